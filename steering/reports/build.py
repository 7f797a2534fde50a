"""The steering report of a stakeholder for one period: one builder, ``report_build``, whose
``Report`` the page, the PDF / XLSX / CSV exports, the REST API and the e-mails all render.

Sections come in the report's order: the flagship KPI, then the KPIs *for action*, then those *for
information* (seed article 004, step 4). A KPI shows once, in the first section that names it.
Each KPI (``steering.reports.kpis``) carries its value with n and margin, its trend over the last
periods, its change against the previous period and the same period a year before, its hot / cold
split (survey KPIs), and the related action plans. Figures are the engine's, over the
stakeholder's units in scope read as one target (the whole organization when it has none), as the
reader may see them; the survey tests are corrected together, across the whole report, by
Benjamini–Hochberg at 5 %.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Organization, OrgUnit
from kpis.engine import stats
from kpis.engine.readers import Reader
from kpis.engine.targets import Target
from kpis.models import Metric

from .. import kpi_codes
from ..models import Stakeholder
from ..selectors import report_action_plans
from .contents import KpiReport, PlanRow, Report, Section, section_titles
from .kpis import Scope, metric_kpi, rate_kpi, survey_kpi
from .periods import is_closed, period_label, period_type, trend_periods, year_before
from .text import summary_sentences

SECTIONS = ("flagship", "action", "information")
BUILDERS = {"survey": survey_kpi, "rate": rate_kpi, "metric": metric_kpi}


def scope_units(stakeholder: Stakeholder) -> list[OrgUnit]:
    """The stakeholder's units, those inside another one of them dropped (their teams count once)."""
    units = sorted(stakeholder.units.all(), key=lambda u: u.path)
    return [u for u in units if not any(o.pk != u.pk and u.path.startswith(o.path) for o in units)]


def report_build(*, org: Organization, stakeholder: Stakeholder, period, reader: Reader) -> Report:
    """The stakeholder's report for ``period`` (a Month, Week or Quarter of its frequency), as
    ``reader`` may see it (an executive, a steering member, an e-mail: small groups' rates hidden,
    SPEC §4)."""
    if stakeholder.organization_id != org.pk:
        raise ValueError("the stakeholder belongs to another organization")
    if period.kind != period_type(stakeholder).kind:
        raise ValueError(f"a {stakeholder.frequency} stakeholder reports on {period_type(stakeholder).kind}s")
    units = scope_units(stakeholder)
    metrics = {m.code: m for m in Metric.objects.for_org(org)}
    scope = Scope(org=org, period=period, target=Target(*units), reader=reader, metrics=metrics)
    sections = _sections(scope, stakeholder, units)
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


def _sections(scope: Scope, stakeholder: Stakeholder, units: list[OrgUnit]) -> list[Section]:
    names = kpi_codes.kpi_names(org=scope.org)
    plans = _plans(scope, units)
    by_section: dict[str, list[KpiReport]] = {key: [] for key in SECTIONS}
    for section, code in _section_codes(stakeholder):
        kpi = _kpi(scope, section, code, kpi_codes.kpi_code_label(code, names=names))
        kpi.plans = plans.get(code, [])
        by_section[section].append(kpi)
    titles = section_titles()
    return [Section(key, titles[key], by_section[key]) for key in SECTIONS]


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


def _kpi(scope: Scope, section: str, code: str, label: str) -> KpiReport:
    try:
        parsed = kpi_codes.parse(code)
    except kpi_codes.KpiCodeError:
        parsed = None
    if parsed is None or (parsed.kind == "metric" and parsed.kpi not in scope.metrics):
        return KpiReport(
            code=code,
            label=label,
            kind=parsed.kind if parsed else "metric",
            kpi=parsed.kpi if parsed else code,
            section=section,
            period=str(scope.period),
            period_label=period_label(scope.period),
            known=False,
            note=_("This KPI is no longer defined in the organization: no figures."),
        )
    return BUILDERS[parsed.kind](scope, section, parsed, label)


def _plans(scope: Scope, units: list[OrgUnit]) -> dict[str, list[PlanRow]]:
    """canonical KPI code → the plans of the scope's units aimed at it (steering.selectors), in
    progress first. Status and lateness are today's."""
    today = scope.org.today()
    plans = report_action_plans(
        org=scope.org, units=units, since=trend_periods(scope.period)[0].first_day, until=scope.period.last_day
    )
    result: dict[str, list[PlanRow]] = defaultdict(list)
    for plan in plans:
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
                overdue=plan.is_overdue(today),
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
