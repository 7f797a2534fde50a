"""Did a finished action plan move its KPI? The arithmetic, with no Django.

Plans are opened where scores are low, and a low score tends to come back towards the average by
itself (regression to the mean): a bare before/after flatters every plan. So the plan's unit is
compared with **comparable units without a plan over the same months** (its siblings: for a team,
the same business unit's other teams), and the figure is the difference in differences:

    effect = (plan after − plan before) − (comparison after − comparison before)

Windows: the plan lasts L months (from its start month to its completion month, counted
inclusively), capped at ``CAP_MONTHS``. *Before* is the L whole months before the start month;
*after* the L whole months from completion on (the completion month itself when the plan ended on
its first day, else the month after), of which only the closed months count.

Survey KPIs get a 95% interval. Each of the four figures is estimated from its own responses
(different units or different months), so they are independent and the variance of the effect is
the sum of their four variances:

- NPS: SPEC §4's 100² × (p + d − (p − d)²) / n;
- CSAT (top-2 share, in %): 100² × q (1 − q) / n;
- CES (a mean): s² / n, with s² the sample variance from Σx and Σx².

The comparison pools the responses of its units (sums of counts), weighting big units more, and
treats responses as independent draws: team-level shocks are not in that variance, so the interval
is a lower bound of the uncertainty. The rates and business metrics are census figures, not samples:
their values are means over the window's months (and over the comparison's units), without interval.
Only units with a value in both windows take part, so that the before and after groups are the same.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cxtracker.months import Month
from kpis.engine import formulas

CAP_MONTHS = 3


@dataclass(frozen=True)
class Windows:
    length: int
    before: list[Month]
    # The L months of the after window, and those of them that are closed (fewer while it runs).
    planned_after: list[Month]
    after: list[Month]

    @property
    def complete(self) -> bool:
        return len(self.after) == self.length


def plan_windows(
    start_on: datetime.date, done_on: datetime.date, *, last_closed: Month, cap: int = CAP_MONTHS
) -> Windows:
    """The before and after windows of a plan done on ``done_on``; ``last_closed`` is the last
    month that is over (the organization's previous month)."""
    if done_on < start_on:
        raise ValueError("done_on is before start_on")
    first, last = Month.of(start_on), Month.of(done_on)
    length = max(1, min(cap, (last - first) + 1))
    before = Month.range(first.shift(-length), first.previous())
    first_after = last if done_on.day == 1 else last.next()
    planned_after = [first_after.shift(i) for i in range(length)]
    return Windows(length, before, planned_after, [m for m in planned_after if m <= last_closed])


@dataclass(frozen=True)
class Estimate:
    """A KPI over a window: its value, the variance of that estimate (None: a census figure, or not
    enough responses) and its n (responses; None for a census figure)."""

    value: float | None
    variance: float | None = None
    n: int | None = None


def survey_estimate(kpi: str, sums: Mapping[str, int]) -> Estimate:
    """``kpi`` (nps, csat, ces) from summed survey counts (kpis.engine.formulas.KPI_SUMS)."""
    g = {k: int(sums.get(k) or 0) for k in formulas.KPI_SUMS}
    if kpi == "nps":
        n = g["nps_n"]
        value = formulas.nps(g["promoters"], g["detractors"], n)
        unit_variance = formulas.nps_variance(g["promoters"], g["detractors"], n)
        variance = None if unit_variance is None else 100**2 * max(unit_variance, 0.0) / n
    elif kpi == "csat":
        n = g["csat_n"]
        value = formulas.csat(g["csat_top2"], n)
        variance = None if n <= 0 else 100**2 * (g["csat_top2"] / n) * (1 - g["csat_top2"] / n) / n
    elif kpi == "ces":
        n = g["ces_n"]
        value = formulas.mean(g["ces_sum"], n)
        s2 = formulas.sample_variance(g["ces_sum"], g["ces_sq_sum"], n)
        variance = None if s2 is None else s2 / n
    else:
        raise ValueError(f"not a survey KPI: {kpi!r}")
    return Estimate(value, variance, n)


def census_estimate(values: Sequence[float | None]) -> Estimate:
    """The mean of the known values (months of a window, or units of the comparison)."""
    known = [v for v in values if v is not None]
    return Estimate(sum(known) / len(known) if known else None)


def sum_counts(rows: Sequence[Mapping[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(formulas.KPI_SUMS, 0)
    for row in rows:
        for key in formulas.KPI_SUMS:
            total[key] += int(row.get(key) or 0)
    return total


@dataclass(frozen=True)
class Effect:
    plan_before: Estimate
    plan_after: Estimate
    comparison_before: Estimate
    comparison_after: Estimate
    comparison_units: int

    @property
    def plan_change(self) -> float | None:
        return _diff(self.plan_after, self.plan_before)

    @property
    def comparison_change(self) -> float | None:
        return _diff(self.comparison_after, self.comparison_before)

    @property
    def effect(self) -> float | None:
        """The difference in differences: the plan's change beyond the comparison's."""
        if self.plan_change is None or self.comparison_change is None:
            return None
        return self.plan_change - self.comparison_change

    @property
    def standard_error(self) -> float | None:
        parts = [e.variance for e in (self.plan_before, self.plan_after, self.comparison_before, self.comparison_after)]
        if self.effect is None or any(v is None for v in parts):
            return None
        return math.sqrt(sum(parts))

    @property
    def ci_low(self) -> float | None:
        se = self.standard_error
        return None if se is None else self.effect - formulas.Z_95 * se

    @property
    def ci_high(self) -> float | None:
        se = self.standard_error
        return None if se is None else self.effect + formulas.Z_95 * se

    @property
    def significant(self) -> bool:
        """The interval excludes 0."""
        return self.ci_low is not None and (self.ci_low > 0 or self.ci_high < 0)


def _diff(after: Estimate, before: Estimate) -> float | None:
    if after.value is None or before.value is None:
        return None
    return after.value - before.value


def survey_effect(
    kpi: str,
    plan: tuple[Mapping[str, int], Mapping[str, int]],
    comparison: Sequence[tuple[Mapping[str, int], Mapping[str, int]]],
) -> Effect:
    """``plan``: the (before, after) survey sums of the plan's unit; ``comparison``: the same for
    each comparable unit. A comparable unit without a response on the KPI in one window is left
    out; the others' counts are pooled."""
    n_key = {"nps": "nps_n", "csat": "csat_n", "ces": "ces_n"}[kpi]
    kept = [(b, a) for b, a in comparison if int(b.get(n_key) or 0) > 0 and int(a.get(n_key) or 0) > 0]
    return Effect(
        plan_before=survey_estimate(kpi, plan[0]),
        plan_after=survey_estimate(kpi, plan[1]),
        comparison_before=survey_estimate(kpi, sum_counts([b for b, _a in kept])),
        comparison_after=survey_estimate(kpi, sum_counts([a for _b, a in kept])),
        comparison_units=len(kept),
    )


def census_effect(
    plan: tuple[Sequence[float | None], Sequence[float | None]],
    comparison: Sequence[tuple[Sequence[float | None], Sequence[float | None]]],
) -> Effect:
    """``plan``: the monthly values of the plan's unit over (before, after); ``comparison``: the
    same for each comparable unit. A unit's window is the mean of its months; the comparison is
    the mean of its units' windows, over the units with a value in both."""
    windows = [(census_estimate(b).value, census_estimate(a).value) for b, a in comparison]
    kept = [(b, a) for b, a in windows if b is not None and a is not None]
    return Effect(
        plan_before=census_estimate(plan[0]),
        plan_after=census_estimate(plan[1]),
        comparison_before=census_estimate([b for b, _a in kept]),
        comparison_after=census_estimate([a for _b, a in kept]),
        comparison_units=len(kept),
    )
