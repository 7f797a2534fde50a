"""What a steering report holds: its sections of KPIs, each with its value, n and margin, its trend,
its comparisons and its plans. The page, the exports, the API and the e-mails render these."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Organization, OrgUnit

from ..models import Stakeholder
from .periods import period_dates


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
    tick: str  # its tick on the chart (steering.reports.periods.tick_labels)
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
