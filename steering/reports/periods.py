"""The periods of the steering reports: a stakeholder reports by week, month or quarter; each report
compares its period with the previous one and the same one a year before, over a trend of the last
periods; rates and metrics are monthly."""

from __future__ import annotations

import datetime

from django.utils import formats
from django.utils.translation import gettext as _

from cxtracker.months import Month, Quarter, Week
from cxtracker.tenancy.models import Organization
from kpis.engine.marks import history_months

from ..models import ReportFrequency, Stakeholder

PERIOD_TYPES = {ReportFrequency.WEEKLY: Week, ReportFrequency.MONTHLY: Month, ReportFrequency.QUARTERLY: Quarter}
# The trend of a KPI: this many periods, the report's last.
TREND_LENGTH = {"week": 12, "month": 12, "quarter": 8}
# Periods listed on a stakeholder's page, newest first.
LISTED_PERIODS = {"week": 53, "month": 24, "quarter": 12}


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
