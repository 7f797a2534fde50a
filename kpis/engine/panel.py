"""The lag analysis's reads: the (team, month) panel of the snapshots, the choices the fit makes for
an outcome (survey KPIs weighted by n, a positive business metric fitted in logs) and the words
that go with its answer. The API and the executive dashboard both ask here.

The fit itself is ``lag.lag_analysis`` (no Django), the sentence ``lag_text.lag_sentence``.
"""

from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization, OrgUnit, UnitKind

from ..models import Metric, MetricValue, TeamKpiSnapshot, TeamMonthSnapshot
from . import formulas
from .compute import MONTH_SUMS
from .lag import LEADS, MAX_LAG, lag_analysis
from .lag_text import lag_sentence


def team_month_rates(*, org: Organization, first: Month, last: Month, unit: OrgUnit | None = None):
    """One row per team and month: team_id, team_code, month (Month), active_members,
    transformation_rate (None without pairs), deployment_rate."""
    snaps = TeamMonthSnapshot.objects.for_org(org).filter(
        period_start__gte=first.first_day, period_start__lte=last.first_day
    )
    if unit is not None:
        snaps = snaps.filter(team__path__startswith=unit.path)
    weight = float(org.rate_weight)
    records = []
    months: dict = {}  # period start → Month: one per month, not one per row
    rows = snaps.values_list("team_id", "team__code", "period_start", *MONTH_SUMS).order_by("team_id", "period_start")
    for team_id, team_code, start, *values in rows:
        row = dict(zip(MONTH_SUMS, values, strict=True))
        month = months.get(start) or months.setdefault(start, Month.of(start))
        records.append(
            {
                "team_id": team_id,
                "team_code": team_code,
                "month": month,
                "active_members": row["active_members"],
                "transformation_rate": formulas.transformation_rate(row["score_points"], row["pairs"]),
                "deployment_rate": formulas.deployment(row, weight=weight)["deployment_rate"],
            }
        )
    return pd.DataFrame.from_records(
        records, columns=["team_id", "team_code", "month", "active_members", "transformation_rate", "deployment_rate"]
    )


SURVEY_OUTCOMES = ("nps", "csat", "ces")
# Each survey outcome as formulas.kpis works it out: its figure and its n, from the sums.
_OUTCOME_SUMS = {
    "nps": (("promoters", "detractors", "nps_n"), lambda p, d, n: (formulas.nps(p, d, n), n)),
    "csat": (("csat_top2", "csat_n"), lambda top2, n: (formulas.csat(top2, n), n)),
    "ces": (("ces_sum", "ces_n"), lambda total, n: (formulas.mean(total, n), n)),
}


def team_month_outcomes(*, org: Organization, outcome: str, first: Month, last: Month, unit: OrgUnit | None = None):
    """One row per team and month with an outcome: team_id, month (Month), value, n (None for a
    business metric). ``outcome`` is nps, csat, ces or a metric code of the organization."""
    columns = ["team_id", "month", "value", "n"]
    records = []
    if outcome in SURVEY_OUTCOMES:
        snaps = TeamKpiSnapshot.objects.for_org(org).filter(
            breakdown="", period_start__gte=first.first_day, period_start__lte=last.first_day
        )
        if unit is not None:
            snaps = snaps.filter(team__path__startswith=unit.path)
        fields, figure = _OUTCOME_SUMS[outcome]
        months: dict = {}  # period start → Month
        for team_id, start, *sums in snaps.values_list("team_id", "period_start", *fields):
            value, n = figure(*(int(v or 0) for v in sums))
            if value is not None:
                month = months.get(start) or months.setdefault(start, Month.of(start))
                records.append({"team_id": team_id, "month": month, "value": value, "n": n})
    else:
        values = MetricValue.objects.for_org(org).filter(
            metric__code=outcome,
            unit__kind=UnitKind.TEAM,
            period_start__gte=first.first_day,
            period_start__lte=last.first_day,
        )
        if unit is not None:
            values = values.filter(unit__path__startswith=unit.path)
        for team_id, period_start, value in values.values_list("unit_id", "period_start", "value"):
            records.append({"team_id": team_id, "month": Month.of(period_start), "value": value, "n": None})
    return pd.DataFrame.from_records(records, columns=columns)


def lag_panel(
    *,
    org: Organization,
    outcome: str,
    unit: OrgUnit | None,
    first: Month,
    last: Month,
    max_lag: int = MAX_LAG,
    team_ids: set[int] | None = None,
) -> pd.DataFrame:
    """The (team, month) panel of ``kpis.engine.lag.lag_analysis``: columns team (id), month (Month),
    rate, outcome, n. Outcomes are those of months ``first``…``last``; rates reach ``max_lag``
    months before and the two lead months after, so that every outcome month can have its lags.
    ``unit`` keeps its subtree's teams, ``team_ids`` (the caller's scope) those teams."""
    rates = team_month_rates(org=org, first=first.shift(-max_lag), last=last.shift(LEADS), unit=unit)
    outcomes = team_month_outcomes(org=org, outcome=outcome, first=first, last=last, unit=unit)
    panel = pd.merge(
        rates[["team_id", "month", "transformation_rate"]],
        outcomes[["team_id", "month", "value", "n"]],
        on=["team_id", "month"],
        how="outer",
    ).rename(columns={"team_id": "team", "transformation_rate": "rate", "value": "outcome"})
    if team_ids is not None:
        panel = panel[panel["team"].isin(team_ids)]
    return panel.reset_index(drop=True)


@dataclass(frozen=True)
class LagFit:
    """``lag_analysis``'s answer, and whether the outcome was fitted in logs (its slopes in %)."""

    result: dict
    log_outcome: bool


def lag_fit(
    *,
    org: Organization,
    outcome: str,
    metric: Metric | None,
    unit: OrgUnit | None,
    first: Month,
    last: Month,
    max_lag: int = MAX_LAG,
    team_ids: set[int] | None = None,
) -> LagFit:
    """The lag analysis of ``outcome`` (nps, csat, ces, or ``metric``'s code) over the teams of
    ``unit`` (and of ``team_ids``), outcome months ``first``…``last``: survey outcomes weighted by
    n (team-months under the organization's minimum sample left out), a business metric whose
    values are all positive (and not a %) fitted in logs."""
    panel = lag_panel(org=org, outcome=outcome, unit=unit, first=first, last=last, max_lag=max_lag, team_ids=team_ids)
    if metric is None:
        weighted, log_outcome, higher_is_better = True, False, True
    else:
        values = panel["outcome"].dropna()
        weighted = False
        log_outcome = bool(len(values)) and bool((values > 0).all()) and metric.unit_of_measure != "%"
        higher_is_better = metric.higher_is_better
    result = lag_analysis(
        panel,
        max_lag=max_lag,
        weighted=weighted,
        log_outcome=log_outcome,
        higher_is_better=higher_is_better,
        min_n=org.min_sample_size if weighted else None,
        outcome=outcome,
    )
    return LagFit(result, log_outcome)


def lag_labels(outcome: str, metric: Metric | None, log_outcome: bool) -> tuple[str, str]:
    """(the outcome's name, the unit of its slopes) in the reader's language."""
    if metric is None:
        return outcome.upper(), {"nps": _("NPS points"), "csat": _("CSAT points"), "ces": _("CES points")}[outcome]
    if log_outcome:
        return metric.name, "%"
    if metric.unit_of_measure == "%":
        return metric.name, _("percentage points")
    return metric.name, metric.unit_of_measure


def lag_words(fit: LagFit, outcome: str, metric: Metric | None) -> dict:
    """The outcome's name, the slopes' unit and the sentence of a fit, in the reader's language."""
    outcome_label, unit_label = lag_labels(outcome, metric, fit.log_outcome)
    return {
        "outcome_label": outcome_label,
        "unit_label": unit_label,
        "sentence": lag_sentence(fit.result, outcome_label, unit_label),
    }
