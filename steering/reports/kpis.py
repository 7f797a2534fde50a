"""One KPI of a report, by kind: a survey KPI (NPS, CSAT, CES, on one breakdown or not), a rate
(deployment, transformation) or a business metric, each with its value, trend and comparisons,
read from the engine for the report's scope as its reader may see it.

- Survey KPIs: the summed survey counts of the scope (``kpis.engine.surveys.survey_sums``) turned
  into figures by ``kpis.engine.formulas.survey_figures`` (with the CSAT and CES margins); changes
  are tested by ``kpis.engine.stats`` (the report corrects them together afterwards).
- Rates: ``kpis.engine.rates.rates_read``, protected for the reader (a hidden figure has no change
  either: it would give it away); census figures, not samples: no test.
- Metrics: the scope's own value, else the mean of its teams' values
  (``kpis.engine.metrics.metric_values_read``); no test either.

Rates and metrics are monthly: a weekly report shows them for the last month closed at the end of
its week, a quarterly one the quarter's rates and the mean of its months' metric values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Organization
from kpis.engine import stats
from kpis.engine.formulas import survey_figures
from kpis.engine.metrics import metric_values_read
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target

from .. import kpi_codes
from .contents import Comparison, KpiReport, Point, Split
from .periods import monthly_period, period_label, tick_labels, trend_periods, year_before

TRIGGERS = ("event", "periodic")


@dataclass
class Scope:
    """What every KPI of one report is read for: the organization, the period, the stakeholder's
    units as one target, the reader, and the organization's metrics."""

    org: Organization
    period: object
    target: Target
    reader: Reader
    metrics: dict
    _rates: dict | None = field(default=None, repr=False)

    def rate_rows(self) -> dict:
        """str(period) → the scope's ``rates_read`` row, for every period a rate shows (read once
        for both rates)."""
        if self._rates is None:
            base = monthly_period(self.period)
            periods = sorted({*trend_periods(base), base.previous(), year_before(base)})
            rows = rates_read(org=self.org, reader=self.reader, targets=[self.target], periods=periods)
            self._rates = {row["period"]: row for row in rows}
        return self._rates


def _trend(periods, values) -> list[Point]:
    """The trend's points: ``values(p)`` gives each point's fields besides its period."""
    return [
        Point(period=str(p), label=period_label(p), tick=tick, **values(p))
        for p, tick in zip(periods, tick_labels(periods), strict=True)
    ]


def _monthly_note(scope: Scope, base) -> str:
    if scope.period.kind == "week":
        return _("Monthly figure: %(month)s, the last month closed at the end of the week.") % {
            "month": period_label(base)
        }
    return ""


def survey_kpi(scope: Scope, section: str, code: kpi_codes.KpiCode, label: str) -> KpiReport:
    period, kpi = scope.period, code.kpi
    trend = trend_periods(period)
    sums = survey_sums(
        org=scope.org, targets=[scope.target], periods=sorted({*trend, year_before(period)}), filters=code.filters
    )

    def sums_of(p):
        return sums.get((scope.target.key, p, None), {})

    def figures_of(p):
        f = survey_figures(sums_of(p), min_sample=scope.org.min_sample_size)
        return {
            "value": f[kpi],
            "n": f[f"{kpi}_n"],
            "margin": f[f"{kpi}_margin_of_error"],
            "low_sample": f[f"{kpi}_low_sample"],
        }

    report = KpiReport(
        code=str(code),
        label=label,
        kind="survey",
        kpi=kpi,
        section=section,
        period=str(period),
        period_label=period_label(period),
        unit="%" if kpi == "csat" else "",
        trend=_trend(trend, figures_of),
        **figures_of(period),
    )
    comparisons = []
    for other in (period.previous(), year_before(period)):
        change = stats.KPI_CHANGES[kpi](sums_of(other), sums_of(period))
        comparisons.append(
            Comparison(
                period=str(other),
                label=period_label(other),
                value=figures_of(other)["value"],
                change=None if change.delta is None else round(change.delta, 4),
                # scipy answers numpy scalars: plain floats for the templates and JSON.
                p_value=None if change.p_value is None else float(change.p_value),
            )
        )
    report.previous, report.year_ago = comparisons
    if code.breakdown != "trigger":
        report.hot_cold = _hot_cold(scope, code)
    return report


def _hot_cold(scope: Scope, code: kpi_codes.KpiCode) -> list[Split]:
    sums = survey_sums(
        org=scope.org, targets=[scope.target], periods=[scope.period], filters=code.filters, by="trigger"
    )
    labels = {"event": _("Hot (after an event)"), "periodic": _("Cold (periodic)")}
    splits = []
    for trigger in TRIGGERS:
        counts = sums.get((scope.target.key, scope.period, trigger), {})
        f = survey_figures(counts, min_sample=scope.org.min_sample_size)
        splits.append(
            Split(
                trigger=trigger,
                label=labels[trigger],
                value=f[code.kpi],
                n=f[f"{code.kpi}_n"],
                margin=f[f"{code.kpi}_margin_of_error"],
                low_sample=f[f"{code.kpi}_low_sample"],
            )
        )
    return splits


def _census_kpi(scope: Scope, section: str, code: kpi_codes.KpiCode, label: str, value, **more) -> KpiReport:
    """A census figure's KPI (a rate, a metric: every member or every team, not a sample): its
    month (or quarter), trend and changes, untested. ``value(period)`` gives the figure's value
    and whether it is hidden; a hidden figure has no change, and is no change's reference: that
    would give it away."""
    base = monthly_period(scope.period)
    current = value(base)
    report = KpiReport(
        code=str(code),
        label=label,
        kind=code.kind,
        kpi=code.kpi,
        section=section,
        period=str(base),
        period_label=period_label(base),
        trend=_trend(trend_periods(base), value),
        **current,
        **more,
    )
    comparisons = []
    for other in (base.previous(), year_before(base)):
        then = value(other)
        change = None
        if not (current["suppressed"] or then["suppressed"]) and None not in (current["value"], then["value"]):
            change = round(current["value"] - then["value"], 4)
        comparisons.append(
            Comparison(
                period=str(other),
                label=period_label(other),
                value=then["value"],
                change=change,
                suppressed=then["suppressed"],
            )
        )
    report.previous, report.year_ago = comparisons
    return report


def rate_kpi(scope: Scope, section: str, code: kpi_codes.KpiCode, label: str) -> KpiReport:
    rows = scope.rate_rows()
    base = monthly_period(scope.period)

    def value(p) -> dict:
        row = rows.get(str(p), {})
        return {"value": row.get(code.kpi), "suppressed": bool(row.get("suppressed"))}

    n = rows.get(str(base), {}).get("active_members")
    return _census_kpi(scope, section, code, label, value, unit="%", n=n, note=_monthly_note(scope, base))


def metric_kpi(scope: Scope, section: str, code: kpi_codes.KpiCode, label: str) -> KpiReport:
    metric = scope.metrics[code.kpi]
    base = monthly_period(scope.period)
    periods = sorted({*trend_periods(base), base.previous(), year_before(base)})
    months = sorted({m for p in periods for m in p.months()})
    read = metric_values_read(org=scope.org, metric=metric, targets=[scope.target], months=months)
    points = {m: p for (_key, m), p in read.items()}

    def value(p) -> dict:
        known = [points[m].value for m in p.months() if m in points]
        return {"value": round(sum(known) / len(known), 4) if known else None, "suppressed": False}

    report = _census_kpi(
        scope, section, code, label, value, unit=metric.unit_of_measure, higher_is_better=metric.higher_is_better
    )
    notes = []
    if any(points[m].teams for m in base.months() if m in points):
        notes.append(_("Mean of the teams' values."))
    if base.kind == "quarter":
        notes.append(_("Mean of the quarter's months."))
    notes.append(_monthly_note(scope, base))
    report.note = " ".join(n for n in notes if n)
    return report
