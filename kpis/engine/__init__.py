"""The rate and KPI engine, the only read model of the figures.

- ``compute``: the counts per team and month from the field and survey data;
- ``marks`` and ``recompute``: what to recompute and the recomputation that writes the snapshots;
- the reads: ``targets`` (what a figure is read for), ``rates``, ``surveys``, ``metrics``, ``panel``
  (the lag analysis's panel, choices and words), all protected for their reader by ``readers``;
- no Django: ``formulas``, ``stats``, ``protection``, ``lag``; the sentences: ``lag_text``;
- ``tasks``: the Celery tasks.
"""
