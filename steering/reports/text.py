"""A report's figures in words, in the reader's language: values and changes with their signs and
units, and the "what changed" sentences, which say no more than the figures."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from cxtracker import charts
from cxtracker.tenancy.models import Organization

from .contents import KpiReport, Report


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
