"""The steering report of a stakeholder for one period (issue 9): one builder, ``report_build``,
whose ``Report`` the page, the PDF / XLSX / CSV exports, the REST API and the e-mails all render.

Sections come in the report's order: the flagship KPI, then the KPIs *for action*, then those *for
information* (seed article 004, step 4). A KPI shows once, in the first section that names it.
Each KPI carries its value with n and margin, its trend over the last periods, its change against
the previous period and the same period a year before, its hot / cold split (survey KPIs), and the
related action plans.

Figures are the engine's, over the stakeholder's units in scope (the sum of their subtrees; the
whole organization when it has none):

- survey KPIs (NPS, CSAT, CES, on one breakdown or not) from the summed survey counts of the
  scope (``kpis.engine.surveys.survey_sums``, the sums ``kpis_read`` reads),
  turned into figures by ``kpis.engine.formulas.survey_figures`` (with the CSAT and CES
  margins). Changes are tested by ``kpis.engine.stats`` and the tests corrected together, across the
  whole report, by Benjamini–Hochberg at 5 %;
- the two rates from ``kpis.engine.rates.rates_read``, protected for the reader (small groups
  hidden; several units read as one target, hidden when one of them is); census figures, not
  samples: no test;
- a business or operational metric: the scope's own value, else the mean of its teams' values
  (``kpis.engine.metrics.metric_values_read``); no test either.

Rates and metrics are monthly. A weekly report shows them for the last month closed at the end of
its week, a quarterly one the quarter's rates (``rates_read`` reads quarters) and the mean of the
quarter's monthly metric values.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import formats
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from cxtracker import charts
from cxtracker.months import Month, Quarter, Week
from cxtracker.tenancy.models import Organization, OrgUnit
from kpis.engine import stats
from kpis.engine.formulas import survey_figures
from kpis.engine.marks import history_months
from kpis.engine.metrics import metric_values_read
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target
from kpis.models import Metric
from steering import kpi_codes
from steering.models import ActionPlan, ActionPlanStatus, ReportFrequency, Stakeholder

PERIOD_TYPES = {ReportFrequency.WEEKLY: Week, ReportFrequency.MONTHLY: Month, ReportFrequency.QUARTERLY: Quarter}
# The trend of a KPI: this many periods, the report's last.
TREND_LENGTH = {"week": 12, "month": 12, "quarter": 8}
# Periods listed on a stakeholder's page, newest first.
LISTED_PERIODS = {"week": 53, "month": 24, "quarter": 12}
SECTIONS = ("flagship", "action", "information")
TRIGGERS = ("event", "periodic")


# --- periods -----------------------------------------------------------------------------------


def period_type(stakeholder: Stakeholder):
    return PERIOD_TYPES[stakeholder.frequency]


def period_parse(stakeholder: Stakeholder, text: str):
    """The stakeholder's period named by ``text`` (``YYYY-MM``, ``YYYY-Www`` or ``YYYY-Qn`` by its
    frequency); ValueError for another format."""
    return period_type(stakeholder).parse(text)


def last_closed_period(org: Organization, stakeholder: Stakeholder):
    """The stakeholder's last period that is over, in the organization's timezone."""
    return period_type(stakeholder).of(org.today()).previous()


def is_closed(org: Organization, period) -> bool:
    return period.end_day <= org.today()


def year_before(period):
    """The same period a year earlier: 12 months, 4 quarters, 52 weeks (the same weekdays)."""
    if period.kind == "month":
        return period.shift(-12)
    if period.kind == "quarter":
        return Quarter(period.year - 1, period.quarter)
    return Week.of(period.first_day - datetime.timedelta(weeks=52))


def trend_periods(period) -> list:
    """The report's trend: ``TREND_LENGTH`` periods ending with ``period``, oldest first."""
    periods = [period]
    for _i in range(TREND_LENGTH[period.kind] - 1):
        periods.insert(0, periods[0].previous())
    return periods


def monthly_period(period):
    """The period rates and metrics are read for in a report of ``period``: the same for months and
    quarters; for a week, the last month closed at the week's end."""
    if period.kind == "week":
        return Month.of(period.end_day).previous()
    return period


def periods_available(org: Organization, stakeholder: Stakeholder) -> list:
    """The closed periods of the stakeholder with figures, newest first: from the last closed one
    back to the organization's first month of data, at most ``LISTED_PERIODS``."""
    kind = period_type(stakeholder)
    last = last_closed_period(org, stakeholder)
    first_day = history_months(org=org)[0].first_day
    periods, period = [], last
    while period.end_day > first_day and len(periods) < LISTED_PERIODS[kind.kind]:
        periods.append(period)
        period = period.previous()
    return periods


def period_label(period) -> str:
    """The period in words, in the active language: "November 2026", "Week 47, 2026", "Q3 2026"."""
    if period.kind == "month":
        return formats.date_format(period.first_day, "YEAR_MONTH_FORMAT")
    if period.kind == "quarter":
        return _("Q%(quarter)d %(year)d") % {"quarter": period.quarter, "year": period.year}
    return _("Week %(week)d, %(year)d") % {"week": period.week, "year": period.year}


def tick_labels(periods: list) -> list[str]:
    """A trend's ticks: the month, week or quarter, with its year under the first one and under
    each first of a year ("Dec.<br>2025", "Jan.<br>2026", "Feb.", …; "W47<br>2026"; "Q3<br>2026")."""
    labels = []
    for i, period in enumerate(periods):
        if period.kind == "month":
            text, first_of_year = formats.date_format(period.first_day, "N"), period.month == 1
        elif period.kind == "quarter":
            text, first_of_year = _("Q%(quarter)d") % {"quarter": period.quarter}, period.quarter == 1
        else:
            text, first_of_year = _("W%(week)02d") % {"week": period.week}, period.week == 1
        labels.append(f"{text}<br>{period.year}" if i == 0 or first_of_year else text)
    return labels


def period_dates(period) -> str:
    """A week's days ("16 – 22 Nov. 2026"), for the page's subtitle; "" for months and quarters."""
    if period.kind != "week":
        return ""
    return f"{formats.date_format(period.first_day, 'j N')} – {formats.date_format(period.last_day, 'j N Y')}"


# --- what a report holds -----------------------------------------------------------------------


@dataclass
class Comparison:
    """The KPI against another period: that period's value, the change (this period's value minus
    that one, in the KPI's own units: a rate's change is a share), the test's p-value (survey KPIs
    only) and whether the change is significant after the report's correction."""

    period: str
    label: str
    value: float | None
    change: float | None
    p_value: float | None = None
    significant: bool = False
    suppressed: bool = False


@dataclass
class Point:
    period: str
    label: str  # the period in words ("November 2026")
    tick: str  # its tick on the chart (steering.reports.build.tick_labels)
    value: float | None
    n: int | None = None
    margin: float | None = None
    low_sample: bool = False
    suppressed: bool = False


@dataclass
class Split:
    """Hot (``event``: right after a purchase, a call…) or cold (``periodic``) responses."""

    trigger: str
    label: str
    value: float | None
    n: int
    margin: float | None
    low_sample: bool


@dataclass
class PlanRow:
    pk: int
    external_id: str
    title: str
    unit_code: str
    unit_name: str
    owner: str
    status: str
    status_label: str
    start_on: datetime.date
    due_on: datetime.date
    done_on: datetime.date | None
    overdue: bool


@dataclass
class KpiReport:
    code: str
    label: str
    kind: str  # survey, rate, metric
    kpi: str  # nps, csat, ces, deployment_rate, transformation_rate or the metric code
    section: str
    period: str  # the period of the figure (a month in a weekly report's rates)
    period_label: str
    unit: str = ""  # "%" for rates and CSAT, the metric's unit of measure
    known: bool = True  # False: a metric the organization no longer has
    value: float | None = None
    n: int | None = None
    margin: float | None = None
    low_sample: bool = False
    suppressed: bool = False
    previous: Comparison | None = None
    year_ago: Comparison | None = None
    trend: list[Point] = field(default_factory=list)
    hot_cold: list[Split] | None = None
    plans: list[PlanRow] = field(default_factory=list)
    note: str = ""
    higher_is_better: bool = True

    @property
    def is_share(self) -> bool:
        """Rates are shares in [0, 1], shown as percentages."""
        return self.kind == "rate"

    @property
    def decimals(self) -> int:
        if self.kpi == "ces":
            return 2
        if self.kind == "metric":
            return 2
        return 1

    @property
    def comparisons(self) -> list[Comparison]:
        return [c for c in (self.previous, self.year_ago) if c is not None]


@dataclass
class Section:
    key: str
    title: str
    kpis: list[KpiReport]


@dataclass
class Report:
    org: Organization
    stakeholder: Stakeholder
    period: object
    period_label: str
    previous_label: str
    year_ago_label: str
    scope: list[OrgUnit]  # empty: the whole organization
    protect: bool
    sections: list[Section]
    summary: list[str]
    language: str
    closed: bool

    @property
    def kpis(self) -> list[KpiReport]:
        return [k for s in self.sections for k in s.kpis]

    @property
    def flagship(self) -> KpiReport | None:
        return self.sections[0].kpis[0] if self.sections[0].kpis else None

    @property
    def period_dates(self) -> str:
        return period_dates(self.period)

    @property
    def scope_label(self) -> str:
        return ", ".join(u.name for u in self.scope) if self.scope else _("The whole organization")


def section_titles() -> dict[str, str]:
    return {
        "flagship": _("Flagship KPI"),
        "action": _("For action"),
        "information": _("For information"),
    }


# --- the scope ---------------------------------------------------------------------------------


def scope_units(stakeholder: Stakeholder) -> list[OrgUnit]:
    """The stakeholder's units, those inside another one of them dropped (their teams count once)."""
    units = sorted(stakeholder.units.all(), key=lambda u: u.path)
    return [u for u in units if not any(o.pk != u.pk and u.path.startswith(o.path) for o in units)]


# --- the builder -------------------------------------------------------------------------------


def report_build(*, org: Organization, stakeholder: Stakeholder, period, reader: Reader) -> Report:
    """The stakeholder's report for ``period`` (a Month, Week or Quarter of its frequency), as
    ``reader`` may see it (an executive, a steering member, an e-mail: small groups' rates hidden,
    SPEC §4)."""
    if stakeholder.organization_id != org.pk:
        raise ValueError("the stakeholder belongs to another organization")
    if period.kind != period_type(stakeholder).kind:
        raise ValueError(f"a {stakeholder.frequency} stakeholder reports on {period_type(stakeholder).kind}s")
    units = scope_units(stakeholder)
    builder = _Builder(org, stakeholder, period, units, reader)
    sections = builder.sections()
    _correct(sections)
    report = Report(
        org=org,
        stakeholder=stakeholder,
        period=period,
        period_label=period_label(period),
        previous_label=period_label(period.previous()),
        year_ago_label=period_label(year_before(period)),
        scope=units,
        protect=reader.protects,
        sections=sections,
        summary=[],
        language=get_language() or org.language,
        closed=is_closed(org, period),
    )
    report.summary = summary_sentences(report)
    return report


def _section_codes(stakeholder: Stakeholder) -> list[tuple[str, str]]:
    """(section, canonical code) in the report's order, each code once (its first section)."""
    seen, rows = set(), []
    lists = (
        ("flagship", [stakeholder.flagship_kpi or "nps"]),
        ("action", stakeholder.kpis_for_action or []),
        ("information", stakeholder.kpis_for_information or []),
    )
    for section, codes in lists:
        for code in codes:
            try:
                canonical = str(kpi_codes.parse(code))
            except kpi_codes.KpiCodeError:
                canonical = code
            if canonical not in seen:
                seen.add(canonical)
                rows.append((section, canonical))
    return rows


class _Builder:
    def __init__(self, org, stakeholder, period, units, reader):
        self.org = org
        self.stakeholder = stakeholder
        self.period = period
        self.units = units
        self.reader = reader
        self.target = Target(*units)
        self.names = kpi_codes.kpi_names(org=org)
        self.metrics = {m.code: m for m in Metric.objects.for_org(org)}
        self.today = org.today()
        self._rates_rows = None

    # periods ----------------------------------------------------------------------------------

    def _periods(self, period) -> tuple[list, object, object]:
        """The trend, the previous period and the year-before period of ``period``."""
        return trend_periods(period), period.previous(), year_before(period)

    # sections ---------------------------------------------------------------------------------

    def sections(self) -> list[Section]:
        titles = section_titles()
        by_section: dict[str, list[KpiReport]] = {key: [] for key in SECTIONS}
        plans = self._plans()
        for section, code in _section_codes(self.stakeholder):
            kpi = self._kpi(section, code)
            kpi.plans = plans.get(code, [])
            by_section[section].append(kpi)
        return [Section(key, titles[key], by_section[key]) for key in SECTIONS]

    def _kpi(self, section: str, code: str) -> KpiReport:
        label = kpi_codes.kpi_code_label(code, names=self.names)
        try:
            parsed = kpi_codes.parse(code)
        except kpi_codes.KpiCodeError:
            parsed = None
        if parsed is None or (parsed.kind == "metric" and parsed.kpi not in self.metrics):
            return KpiReport(
                code=code,
                label=label,
                kind=parsed.kind if parsed else "metric",
                kpi=parsed.kpi if parsed else code,
                section=section,
                period=str(self.period),
                period_label=period_label(self.period),
                known=False,
                note=_("This KPI is no longer defined in the organization: no figures."),
            )
        if parsed.kind == "survey":
            return self._survey(section, parsed, label)
        if parsed.kind == "rate":
            return self._rate(section, parsed, label)
        return self._metric(section, parsed, label)

    # survey KPIs ------------------------------------------------------------------------------

    def _survey(self, section: str, code: kpi_codes.KpiCode, label: str) -> KpiReport:
        trend, previous, year_ago = self._periods(self.period)
        periods = sorted({*trend, year_ago})
        sums = survey_sums(org=self.org, targets=[self.target], periods=periods, filters=code.filters)
        min_sample = self.org.min_sample_size

        def sums_of(p):
            return sums.get((self.target.key, p, None), {})

        def figures_of(p):
            return survey_figures(sums_of(p), min_sample=min_sample)

        kpi = code.kpi
        margin_key = f"{kpi}_margin_of_error"
        points = []
        for p, tick in zip(trend, tick_labels(trend), strict=True):
            f = figures_of(p)
            points.append(
                Point(
                    period=str(p),
                    label=period_label(p),
                    tick=tick,
                    value=f[kpi],
                    n=f[f"{kpi}_n"],
                    margin=f[margin_key],
                    low_sample=f[f"{kpi}_low_sample"],
                )
            )
        current = figures_of(self.period)
        report = KpiReport(
            code=str(code),
            label=label,
            kind="survey",
            kpi=kpi,
            section=section,
            period=str(self.period),
            period_label=period_label(self.period),
            unit="%" if kpi == "csat" else "",
            value=current[kpi],
            n=current[f"{kpi}_n"],
            margin=current[margin_key],
            low_sample=current[f"{kpi}_low_sample"],
            trend=points,
        )
        comparisons = []
        for other in (previous, year_ago):
            change = stats.KPI_CHANGES[kpi](sums_of(other), sums_of(self.period))
            value = figures_of(other)[kpi]
            comparisons.append(
                Comparison(
                    period=str(other),
                    label=period_label(other),
                    value=value,
                    change=None if change.delta is None else round(change.delta, 4),
                    # scipy answers numpy scalars: plain floats for the templates and JSON.
                    p_value=None if change.p_value is None else float(change.p_value),
                )
            )
        report.previous, report.year_ago = comparisons
        if code.breakdown != "trigger":
            report.hot_cold = self._hot_cold(code)
        return report

    def _hot_cold(self, code: kpi_codes.KpiCode) -> list[Split]:
        sums = survey_sums(
            org=self.org, targets=[self.target], periods=[self.period], filters=code.filters, by="trigger"
        )
        labels = {"event": _("Hot (after an event)"), "periodic": _("Cold (periodic)")}
        splits = []
        for trigger in TRIGGERS:
            f = survey_figures(
                sums.get((self.target.key, self.period, trigger), {}), min_sample=self.org.min_sample_size
            )
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

    # rates ------------------------------------------------------------------------------------

    def _rate_rows(self) -> dict:
        """str(period) → the scope's rates (a ``rates_read`` row), for every period a rate KPI
        shows (read once for both rates)."""
        if self._rates_rows is None:
            base = monthly_period(self.period)
            trend, previous, year_ago = self._periods(base)
            periods = sorted({*trend, previous, year_ago})
            rows = rates_read(org=self.org, reader=self.reader, targets=[self.target], periods=periods)
            self._rates_rows = {row["period"]: row for row in rows}
        return self._rates_rows

    def _rate(self, section: str, code: kpi_codes.KpiCode, label: str) -> KpiReport:
        rows = self._rate_rows()
        base = monthly_period(self.period)
        trend, previous, year_ago = self._periods(base)
        key = code.kpi

        def value(p):
            row = rows.get(str(p), {})
            return row.get(key), bool(row.get("suppressed"))

        current, hidden = value(base)
        report = KpiReport(
            code=str(code),
            label=label,
            kind="rate",
            kpi=key,
            section=section,
            period=str(base),
            period_label=period_label(base),
            unit="%",
            value=current,
            n=rows.get(str(base), {}).get("active_members"),
            suppressed=hidden,
            trend=[
                Point(period=str(p), label=period_label(p), tick=tick, value=value(p)[0], suppressed=value(p)[1])
                for p, tick in zip(trend, tick_labels(trend), strict=True)
            ],
        )
        comparisons = []
        for other in (previous, year_ago):
            other_value, other_hidden = value(other)
            # No change against (or of) a hidden figure: it would give the figure away.
            change = None
            if not (hidden or other_hidden) and current is not None and other_value is not None:
                change = round(current - other_value, 4)
            comparisons.append(
                Comparison(
                    period=str(other),
                    label=period_label(other),
                    value=other_value,
                    change=change,
                    suppressed=other_hidden,
                )
            )
        report.previous, report.year_ago = comparisons
        report.note = self._monthly_note(base)
        return report

    def _monthly_note(self, base) -> str:
        if self.period.kind == "week":
            return _("Monthly figure: %(month)s, the last month closed at the end of the week.") % {
                "month": period_label(base)
            }
        return ""

    # metrics ----------------------------------------------------------------------------------

    def _metric_points(self, metric: Metric, months: list[Month]) -> dict:
        """month → (value, teams averaged): the scope's own value, else the mean of its teams'."""
        points = metric_values_read(org=self.org, metric=metric, targets=[self.target], months=months)
        return {m: (p.value, p.teams) for (_key, m), p in points.items()}

    def _metric(self, section: str, code: kpi_codes.KpiCode, label: str) -> KpiReport:
        metric = self.metrics[code.kpi]
        base = monthly_period(self.period)
        trend, previous, year_ago = self._periods(base)
        periods = sorted({*trend, previous, year_ago})
        months = sorted({m for p in periods for m in p.months()})
        points = self._metric_points(metric, months)

        def value(p):
            known = [points[m][0] for m in p.months() if m in points]
            return round(sum(known) / len(known), 4) if known else None

        current = value(base)
        report = KpiReport(
            code=str(code),
            label=label,
            kind="metric",
            kpi=code.kpi,
            section=section,
            period=str(base),
            period_label=period_label(base),
            unit=metric.unit_of_measure,
            value=current,
            trend=[
                Point(period=str(p), label=period_label(p), tick=tick, value=value(p))
                for p, tick in zip(trend, tick_labels(trend), strict=True)
            ],
            higher_is_better=metric.higher_is_better,
        )
        comparisons = []
        for other in (previous, year_ago):
            other_value = value(other)
            change = None if current is None or other_value is None else round(current - other_value, 4)
            comparisons.append(
                Comparison(period=str(other), label=period_label(other), value=other_value, change=change)
            )
        report.previous, report.year_ago = comparisons
        notes = []
        teams = {points[m][1] for m in base.months() if m in points}
        if any(teams):
            notes.append(_("Mean of the teams' values."))
        if base.kind == "quarter":
            notes.append(_("Mean of the quarter's months."))
        monthly = self._monthly_note(base)
        if monthly:
            notes.append(monthly)
        report.note = " ".join(notes)
        return report

    # action plans -----------------------------------------------------------------------------

    def _plans(self) -> dict[str, list[PlanRow]]:
        """canonical KPI code → the plans of the scope's units aimed at it: open ones, and those
        done since the trend began; dropped ones left out. Status and lateness are today's."""
        trend_start = trend_periods(self.period)[0].first_day
        plans = (
            ActionPlan.objects.for_org(self.org)
            .select_related("unit", "owner")
            .exclude(status=ActionPlanStatus.DROPPED)
            .exclude(target_kpi="")
            .filter(
                Q(status__in=(ActionPlanStatus.PLANNED, ActionPlanStatus.IN_PROGRESS)) | Q(done_on__gte=trend_start)
            )
            .filter(start_on__lte=self.period.last_day)
        )
        if self.units:
            q = Q()
            for unit in self.units:
                q |= Q(unit__path__startswith=unit.path)
            plans = plans.filter(q)
        order = {ActionPlanStatus.IN_PROGRESS: 0, ActionPlanStatus.PLANNED: 1, ActionPlanStatus.DONE: 2}
        result: dict[str, list[PlanRow]] = defaultdict(list)
        for plan in sorted(plans, key=lambda p: (order.get(p.status, 3), p.due_on, p.pk)):
            try:
                code = str(kpi_codes.parse(plan.target_kpi))
            except kpi_codes.KpiCodeError:
                continue
            result[code].append(
                PlanRow(
                    pk=plan.pk,
                    external_id=plan.external_id,
                    title=plan.title,
                    unit_code=plan.unit.code,
                    unit_name=plan.unit.name,
                    owner=(plan.owner.get_full_name() or plan.owner.email) if plan.owner else "",
                    status=plan.status,
                    status_label=plan.get_status_display(),
                    start_on=plan.start_on,
                    due_on=plan.due_on,
                    done_on=plan.done_on,
                    overdue=plan.is_overdue(self.today),
                )
            )
        return result


def _correct(sections: list[Section]) -> None:
    """Benjamini–Hochberg at 5 % over every test of the report at once: a report of many KPIs
    would otherwise flag a change by chance alone."""
    tests = [c for s in sections for k in s.kpis for c in k.comparisons if c.p_value is not None]
    flags = stats.benjamini_hochberg([c.p_value for c in tests])
    for comparison, flag in zip(tests, flags, strict=True):
        comparison.significant = bool(flag)


# --- the "what changed" summary ----------------------------------------------------------------


def format_value(kpi: KpiReport, value: float | None) -> str:
    """A KPI's value in the reader's language: "32.5", "−4.0", "81.0 %", "5.62", "182,340.50 €"."""
    if value is None:
        return "—"
    if kpi.is_share:
        value = 100 * value
    value = round(value, kpi.decimals)
    text = formats.number_format(abs(value), decimal_pos=kpi.decimals, use_l10n=True, force_grouping=True)
    if value < 0:
        text = "\u2212" + text  # the minus sign, not a hyphen
    return f"{text}\u00a0{kpi.unit}" if kpi.unit else text


def format_change(kpi: KpiReport, change: float | None) -> str:
    """A change with its sign and unit: "+6.2 pts" (NPS, CSAT, rates), "−0.15" (CES), "+1,250.00 €"."""
    if change is None:
        return "—"
    if kpi.is_share:
        change = 100 * change
    decimals = kpi.decimals
    magnitude = formats.number_format(
        round(abs(change), decimals), decimal_pos=decimals, use_l10n=True, force_grouping=True
    )
    sign = "+" if round(change, decimals) > 0 else "\u2212" if round(change, decimals) < 0 else ""
    # Percentages change by points; a mean (CES) or a metric by its own unit.
    in_points = kpi.kind == "rate" or kpi.kpi in ("nps", "csat") or kpi.unit == "%"
    unit = pgettext("points", "pts") if in_points else kpi.unit
    return f"{sign}{magnitude}\u00a0{unit}" if unit else f"{sign}{magnitude}"


def summary_sentences(report: Report) -> list[str]:
    """Plain sentences from the figures, nothing else: each significant change (after the
    report's correction) in the report's order, then the related plans that are late."""
    sentences = []
    for kpi in report.kpis:
        for comparison in kpi.comparisons:
            if not comparison.significant or comparison.change is None:
                continue
            values = {
                "kpi": kpi.label,
                "change": format_change(kpi, abs(comparison.change)).lstrip("+"),
                "period": comparison.label,
                "before": format_value(kpi, comparison.value),
                "after": format_value(kpi, kpi.value),
            }
            if comparison.change > 0:
                sentence = _("%(kpi)s rose by %(change)s against %(period)s, from %(before)s to %(after)s.")
            else:
                sentence = _("%(kpi)s fell by %(change)s against %(period)s, from %(before)s to %(after)s.")
            sentences.append(sentence % values)
    if not sentences:
        sentences.append(
            _("No significant change against %(previous)s or against %(year_ago)s.")
            % {"previous": report.previous_label, "year_ago": report.year_ago_label}
        )
    low = [k.label for k in report.kpis if k.kind == "survey" and k.low_sample and k.value is not None]
    if low:
        sentences.append(
            ngettext(
                "Few responses for %(kpis)s: read it with care.",
                "Few responses for %(kpis)s: read them with care.",
                len(low),
            )
            % {"kpis": ", ".join(low)}
        )
    late = {p.pk for k in report.kpis for p in k.plans if p.overdue}
    if late:
        sentences.append(
            ngettext(
                "%(count)d related action plan is past its due date.",
                "%(count)d related action plans are past their due date.",
                len(late),
            )
            % {"count": len(late)}
        )
    return sentences


def hidden_label(org: Organization) -> str:
    return charts.fewer_than(org.min_group_size)
