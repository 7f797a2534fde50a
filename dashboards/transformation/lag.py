"""The lag analysis a board shows: the engine's fit (``kpis.engine.panel``) of the chosen outcome
over the unit's teams, on at least ``LAG_MIN_MONTHS`` outcome months ending with the span.

The fit takes seconds on a large organization and changes only with the snapshots: its answer is
cached (dashboards.caching), keyed on the organization, the outcome, the months, the unit's teams,
the latest recomputation and, for a business metric, its values.
"""

from __future__ import annotations

from cxtracker.tenancy.models import Organization, OrgUnit
from dashboards import caching
from kpis.engine.panel import SURVEY_OUTCOMES, lag_fit, lag_words
from kpis.models import Metric

# The lag analysis needs a long panel: at least this many outcome months, whatever the span.
LAG_MIN_MONTHS = 24
LAG_MAX_LAG = 6


def lag_metric(*, org: Organization, outcome: str, charted: Metric | None) -> Metric | None:
    """The business metric the lag analysis is about (None for a survey KPI); ``charted``, the
    trend's, is read already."""
    if outcome in SURVEY_OUTCOMES:
        return None
    if charted is not None and charted.code == outcome:
        return charted
    return Metric.objects.for_org(org).get(code=outcome)


def board_lag(
    *, org: Organization, unit: OrgUnit | None, teams: list[OrgUnit], span, outcome: str, metric: Metric | None
) -> dict:
    """The fit's result and its sentence and labels (``lag_words``), with the outcome months read."""
    last = span.last
    first = min(span.first, last.shift(1 - LAG_MIN_MONTHS))
    parts = (
        org.pk,
        org.slug,
        outcome,
        str(first),
        str(last),
        LAG_MAX_LAG,
        org.min_sample_size,
        unit.pk if unit else None,
        tuple(sorted(t.pk for t in teams)),
        caching.snapshots_version(org, unit),
        caching.metric_version(org, metric) if metric is not None else None,
    )
    fit = caching.cached(
        "lag",
        parts,
        lambda: lag_fit(
            org=org, outcome=outcome, metric=metric, unit=unit, first=first, last=last, max_lag=LAG_MAX_LAG
        ),
    )
    return {"result": fit.result, **lag_words(fit, outcome, metric), "first": first, "last": last}
