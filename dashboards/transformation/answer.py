"""The board's cached answer: what it holds (``ANSWER_PARTS``, every part the page shows) and its
key (``answer_key``), everything those parts are computed from."""

from __future__ import annotations

from django.db.models import Count, Max

from dashboards import caching
from steering.models import ActionPlan

from .forms import CHARTS

ANSWER_PARTS = ("tiles", "table", *(f"{chart}_chart" for chart in CHARTS), "lag")
# Bump when what the parts hold changes shape.
ANSWER_VERSION = 1


def answer_key(board, *, tree, metrics) -> tuple:
    """Everything the board's figures are computed from, as plain values. ``tree`` and ``metrics``
    are the view's (it reads every unit and metric anyway): plain values naming each unit (id,
    parent, path, code, name, kind) and each metric.

    The version of the snapshots of the unit's subtree covers the engine's reads (rates, survey
    sums, the lag panel: they read nothing outside it; as-was, the organization's and the
    placements'); the tree
    covers roll-ups, names and drill-down links (a move needs no recomputation); then the action
    plans and business-metric values (written without one), the organization's settings (read at
    read time: the minimum group size hides groups at once), who reads (suppression) in which
    language, the filters, and today (an overdue plan is drawn up to today)."""
    org, f = board.org, board.filters
    plans = ActionPlan.objects.for_org(org).aggregate(count=Count("pk"), latest=Max("updated_at"), last=Max("pk"))
    charted = {m.pk: m for m in (f.metric, board.lag_metric) if m is not None}
    return (
        ANSWER_VERSION,
        org.pk,
        org.slug,
        org.name,
        org.timezone,
        str(org.rate_weight),
        org.expected_animations_per_month,
        org.min_sample_size,
        org.min_group_size,
        board.reader.whole,
        board.language,
        str(org.today()),
        f.unit.pk if f.unit else None,
        str(f.span),
        f.metric.code if f.metric else None,
        f.sort,
        f.mastery,
        f.lag,
        f.tree,
        caching.snapshots_version(org, f.unit, f.tree),
        tree,
        metrics,
        (plans["count"], plans["latest"].isoformat() if plans["latest"] else None, plans["last"]),
        tuple(caching.metric_version(org, m) for _pk, m in sorted(charted.items())),
    )
