"""What the board's trend is drawn from: the unit's rates and survey figures of each month of the
span, a business metric's values, and the action plans that overlap the span."""

from __future__ import annotations

from cxtracker import charts
from cxtracker.tenancy.models import Organization, OrgUnit
from kpis.engine.metrics import metric_values_read
from kpis.engine.readers import hide
from kpis.engine.targets import Target
from kpis.models import Metric
from steering.selectors import action_plans_for_chart, plan_span_end

from . import figures
from .reads import BoardReads

# Beyond this many action plans the trend would be a forest of markers.
MAX_PLANS = 12


def trend_chart(reads: BoardReads, *, metric: Metric | None, language: str) -> charts.Chart:
    """The unit's rates, NPS and ``metric`` month by month, with the action plans."""
    unit, months = reads.unit, reads.months
    points = (
        metric_values_read(org=reads.org, metric=metric, targets=[Target(unit)], months=months, tree=reads.tree)
        if metric is not None
        else {}
    )
    key = unit.pk if unit else None
    monthly = [reads.rates(unit, m) for m in months]
    if reads.rates(unit, reads.span)["suppressed"]:
        # Hidden over the span (small in one of its months): hidden in every month too, so
        # that the chart never shows what the tiles withhold (the end of the span is a month).
        monthly = [hide(dict(row)) for row in monthly]
    return figures.trend_chart(
        months=months,
        plans=trend_plans(org=reads.org, unit=unit, span=reads.span),
        rates=monthly,
        kpis=[reads.kpis(unit, m) for m in months],
        metric_name=metric.name if metric else None,
        metric_unit=metric.unit_of_measure if metric else "",
        metric_points=[points.get((key, m)) for m in months],
        min_group_size=reads.org.min_group_size,
        language=language,
    )


def trend_plans(*, org: Organization, unit: OrgUnit | None, span) -> list[dict]:
    """The action plans drawn on the trend: those of the unit, the units above it and its subtree
    that overlap the span (dropped ones left out), the closest to the unit first when there are too
    many to draw."""
    today = org.today()
    plans = action_plans_for_chart(org=org, unit=unit, first=span.first, last=span.last, ancestors=True)
    plans.sort(key=lambda p: (p.unit.path.count("/"), p.start_on, p.pk))
    return [
        {
            "title": p.title,
            "unit": p.unit.name,
            "status": p.get_status_display(),
            "start": p.start_on,
            "end": plan_span_end(p, today),
        }
        for p in plans[:MAX_PLANS]
    ]
