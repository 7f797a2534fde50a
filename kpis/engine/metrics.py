"""A business or operational metric of targets over months: the value the organization records for
the unit itself, else the mean of its teams' values. A metric says nothing of how it adds up
(revenue adds, an average basket or a retention rate does not): the mean per team is right for
every kind, and the pages say so."""

from collections import defaultdict
from dataclasses import dataclass

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, Tree

from ..models import Metric, MetricValue
from .targets import Target, cover_of_month, team_covers


@dataclass(frozen=True)
class MetricPoint:
    value: float
    teams: int  # 0: the unit's own value; else the number of teams averaged


def metric_values_read(
    *, org: Organization, metric: Metric, targets: list[Target], months: list[Month], tree: str = Tree.AS_IS
) -> dict:
    """(target key, month) → MetricPoint of ``metric``. A target of several units has no value of
    its own: the mean of its teams' (in each month's tree as-was)."""
    if not months or not targets:
        return {}
    cover_of = cover_of_month(team_covers(org, targets, [m.first_day for m in months], tree))
    teams = {team for cover in cover_of.values() for team in cover}
    own_ids = {t.unit.pk for t in targets if t.unit is not None}
    values = MetricValue.objects.for_org(org).filter(metric=metric, period_start__in=[m.first_day for m in months])
    own: dict = {}
    team_values: dict = defaultdict(list)  # (target key, month) → team values
    for unit_id, start, value in values.filter(unit_id__in=[*teams, *own_ids]).values_list(
        "unit_id", "period_start", "value"
    ):
        month = Month.of(start)
        if unit_id in own_ids:
            own[(unit_id, month)] = value
        for key in set(cover_of[start].get(unit_id, ())):
            team_values[(key, month)].append(value)
    result = {}
    for t in targets:
        for m in months:
            if t.unit is not None and (t.key, m) in own:
                result[(t.key, m)] = MetricPoint(own[(t.key, m)], 0)
            elif team_values.get((t.key, m)):
                vals = team_values[(t.key, m)]
                result[(t.key, m)] = MetricPoint(sum(vals) / len(vals), len(vals))
    return result
