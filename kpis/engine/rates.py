"""The deployment and transformation rates of targets over periods (SPEC §4, §8 ``/rates/``): the
sums of the targets' team snapshots, or for a month in progress the live counts of the field data
(``live``), turned into figures by ``formulas`` and protected for the reader (``readers``).

A period of several months (a quarter, a span) sums its months' deployment counts (member-months)
and takes the transformation rate at its end, that of its last month. A period hides a group
hidden in any of its months. ``tree``: which teams a unit sums each month (``targets.team_covers``);
as-was, each month's groups are protected in that month's tree.
"""

import datetime
from collections import defaultdict

from django.db import connection

from cxtracker.tenancy.models import Organization, Tree

from ..models import TeamDimensionSnapshot, TeamMonthSnapshot
from . import compute, formulas
from .compute import MONTH_SUMS, PAIR_SUMS
from .readers import Reader, Sizes, hidden_cells, hide
from .targets import Target, cover_of_month, team_covers


def period_months(periods) -> tuple[list, dict]:
    """All months the periods cover, and period → its months."""
    by_period = {p: p.months() for p in periods}
    months = sorted({m for ms in by_period.values() for m in ms})
    return months, by_period


def sum_into(acc: dict, row: dict, keys) -> None:
    for k in keys:
        acc[k] = acc.get(k, 0) + (row.get(k) or 0)


def rolled_up(
    model, org, cover: dict, starts: list, groups: tuple, sum_fields: tuple, any_fields: tuple = (), where=None
) -> dict:
    """The snapshot rows of ``model`` for the months ``starts``, each team's row added to each of
    the targets holding it (``cover``: ``targets.covering``), summed by the database: (target key,
    month start, *groups, *any_fields) → ({field: sum}, rows summed). ``any_fields`` are the same on
    every row of a group (a dimension's name and position in a month): one of them is kept.
    ``where``: {field: value} the rows must also have (a survey snapshot's breakdown).

    One query whatever the number of targets; the (team, target) pairs travel as a VALUES list of
    integers (no parameter limit to meet). Sums of integer columns come back as ints."""
    keys = sorted({key for ks in cover.values() for key in ks}, key=repr)
    number = {key: i for i, key in enumerate(keys)}
    pairs = [(int(team_id), number[key]) for team_id, ks in cover.items() for key in ks]
    if not pairs or not starts:
        return {}
    meta = model._meta
    column = {name: meta.get_field(name).column for name in (*groups, *sum_fields, *any_fields)}
    qn = connection.ops.quote_name
    group_sql = "".join(f", s.{qn(column[g])}" for g in groups)
    any_sql = "".join(f", MIN(s.{qn(column[f])})" for f in any_fields)
    sum_sql = ", ".join(
        f"SUM(s.{qn(column[f])})"
        if meta.get_field(f).get_internal_type() == "FloatField"
        else f"CAST(SUM(s.{qn(column[f])}) AS BIGINT)"
        for f in sum_fields
    )
    values = ", ".join(f"({team}, {target})" for team, target in pairs)
    table, team, org_id, start = (
        qn(meta.db_table),
        qn(meta.get_field("team").column),
        qn(meta.get_field("organization").column),
        qn(meta.get_field("period_start").column),
    )
    months = ", ".join(["%s"] * len(starts))
    where = where or {}
    where_sql = "".join(f" AND s.{qn(meta.get_field(f).column)} = %s" for f in where)
    # Only integers and quoted column names are formatted in; the dates and values are parameters.
    sql = (
        f"WITH c(team_id, target) AS (VALUES {values}) "  # noqa: S608
        f"SELECT c.target, s.{start}{group_sql}{any_sql}, {sum_sql}, COUNT(*) "
        f"FROM {table} s JOIN c ON c.team_id = s.{team} "
        f"WHERE s.{org_id} = %s AND s.{start} IN ({months}){where_sql} "
        f"GROUP BY c.target, s.{start}{group_sql}"
    )
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [org.pk, *starts, *where.values()])
        width = 2 + len(groups) + len(any_fields)
        for row in cursor.fetchall():
            day = row[1] if isinstance(row[1], datetime.date) else datetime.date.fromisoformat(row[1])
            sums = dict(zip(sum_fields, row[width:-1], strict=True))
            result[(keys[row[0]], day, *row[2:width])] = (sums, row[-1])
    return result


def rolled_up_over(model, org, covers: list, starts: list, *args, **kwargs) -> dict:
    """``rolled_up`` of the months ``starts``, each read with its tree's cover (``covers``:
    ``targets.team_covers``): one query per tree."""
    wanted = set(starts)
    result: dict = {}
    for months, cover in covers:
        chosen = [start for start in months if start in wanted]
        if chosen:
            result.update(rolled_up(model, org, cover, chosen, *args, **kwargs))
    return result


def _snapshot_sums(org, covers, starts) -> dict:
    return rolled_up_over(TeamMonthSnapshot, org, covers, starts, (), MONTH_SUMS)


def _live_sums(counts: dict, covers: list) -> dict:
    """The same sums from live counts ((team id, month start) → compute.TeamMonth)."""
    cover_of = cover_of_month(covers)
    result: dict = {}
    for (team_id, start), tm in counts.items():
        for key in cover_of.get(start, {}).get(team_id, ()):
            values, count = result.setdefault((key, start), ({}, 0))
            sum_into(values, vars(tm), MONTH_SUMS)
            result[(key, start)] = (values, count + 1)
    return result


def rates_read(
    *,
    org: Organization,
    reader: Reader,
    targets: list[Target],
    periods: list,
    live: bool = False,
    dimension_periods: list | None = None,
    sizes: Sizes | None = None,
    tree: str = Tree.AS_IS,
) -> list[dict]:
    """Deployment and transformation figures of each target and period, as ``reader`` may see them.

    ``live``: the deployment figures counted now from the field data (a month in progress; the
    transformation figures and dimensions are the snapshots' only). ``dimension_periods``: the
    only periods whose dimensions are wanted (the others answer ``"dimensions": []``; None:
    every period's). ``sizes``: the suppression's member counts when the caller has read them
    (in the same ``tree``). ``tree``: ``Tree.AS_IS`` (today's tree for every month) or
    ``Tree.AS_WAS`` (each month's own)."""
    months, by_period = period_months(periods)
    if not months or not targets:
        return []
    starts = [m.first_day for m in months]
    covers = team_covers(org, targets, starts, tree)
    if live:
        counts = compute.deployment_counts(org=org, months=months)
        sums = _live_sums(counts, covers)
        if sizes is None and reader.protects:
            sizes = Sizes.from_counts(org, counts, tree=tree)
    else:
        sums = _snapshot_sums(org, covers, starts)
        if sizes is None and reader.protects:
            sizes = Sizes.from_snapshots(org, starts, tree=tree)
    with_dimensions = set(periods if dimension_periods is None else dimension_periods)
    dims = {} if live else _dimensions(org, covers, by_period, with_dimensions)
    hidden = hidden_cells(reader, targets, periods, sizes)
    result = []
    for i, t in enumerate(targets):
        for period in periods:
            row = _row(org, t, period, by_period[period], sums, dims, period in with_dimensions)
            result.append(hide(row) if (i, period) in hidden else row)
    return result


def _dimensions(org, covers, by_period, with_dimensions) -> dict:
    """(target key, month start) → dimension code → sums, at the end of the periods that show them."""
    end_starts = sorted({ms[-1].first_day for p, ms in by_period.items() if p in with_dimensions})
    dims: dict = defaultdict(dict)
    rows = rolled_up_over(
        TeamDimensionSnapshot,
        org,
        covers,
        end_starts,
        ("dimension_code",),
        PAIR_SUMS,
        ("dimension_name", "dimension_position"),
    )
    for (key, start, code, name, position), (values, _count) in rows.items():
        dims[(key, start)][code] = {"code": code, "name": name, "position": position, **values}
    return dims


def _row(org, t: Target, period, months, sums: dict, dims: dict, with_dimensions: bool) -> dict:
    def month_sums(m) -> dict:
        return sums.get((t.key, m.first_day), ({}, 0))[0]

    dep: dict = {}
    for m in months:
        sum_into(dep, month_sums(m), ("active_members", "coached_members", "cadence_weight"))
    end_key = (t.key, months[-1].first_day)
    end_sums = month_sums(months[-1])
    computed = any(sums.get((t.key, m.first_day), ({}, 0))[1] for m in months)
    figures = formulas.deployment(dep, weight=float(org.rate_weight))
    animations = sum(month_sums(m).get("animations", 0) for m in months)
    if t.is_team and computed:
        # A team's cadence stands without active members: its animations against the target.
        expected = org.expected_animations_per_month
        figures["cadence"] = sum(formulas.cadence(month_sums(m).get("animations", 0), expected) for m in months) / len(
            months
        )
    dimensions = sorted(dims.get(end_key, {}).values(), key=lambda d: (d["position"], d["code"]))
    return {
        **t.describe(org),
        "period": str(period),
        "active_members": end_sums.get("active_members", 0) if computed else None,
        "coached_members": dep.get("coached_members", 0) if computed else None,
        "animations": animations if computed else None,
        **{k: formulas.rounded(v) for k, v in figures.items()},
        **{k: formulas.rounded(v) for k, v in formulas.mastery(end_sums).items()},
        "dimensions": [
            {"code": d["code"], "name": d["name"], **{k: formulas.rounded(v) for k, v in formulas.mastery(d).items()}}
            for d in dimensions
        ]
        if with_dimensions
        else [],
        "suppressed": False,
    }
