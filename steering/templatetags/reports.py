"""Figures of the steering report in the reader's language: ``{{ kpi|kpi_value:comparison.value }}``."""

from django import template
from django.utils.safestring import mark_safe

from steering.reports.text import format_change, format_value

register = template.Library()


@register.filter
def kpi_value(kpi, value):
    """A value of ``kpi`` (its own or a comparison's) with its unit; "—" for none."""
    return format_value(kpi, value)


@register.filter
def kpi_change(kpi, change):
    """A change of ``kpi`` with its sign and unit ("+6.2 pts", "−0.15")."""
    return format_change(kpi, change)


@register.filter
def kpi_margin(kpi, margin):
    """A 95 % margin of error ("± 4.1 pts" for NPS and CSAT, "± 0.12" for CES); "" for none."""
    if margin is None:
        return ""
    return "±\u00a0" + format_change(kpi, margin).lstrip("+")


@register.filter
def css_string(value):
    """Text inside a CSS string ("…" in a <style>: the PDF's running footer), escaped for CSS
    rather than HTML: backslashes, quotes, line breaks and "<" (no closing the <style>)."""
    text = str(value)
    for char, escape in (("\\", "\\5C "), ('"', "\\22 "), ("\n", "\\A "), ("<", "\\3C ")):
        text = text.replace(char, escape)
    return mark_safe(text)  # escaped for its CSS context above
