"""Number formats of the dashboards, in the reader's language (decimal comma in French), and the
hidden filters of their small forms."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html_join

register = template.Library()

MINUS = "\u2212"


@register.filter
def signed(value, decimals=1):
    """+1.5 / −0.3 with the language's decimal mark; "" for None."""
    if value is None or value == "":
        return ""
    decimals = int(decimals)
    value = round(float(value), decimals)
    text = number_format(abs(value), decimal_pos=decimals, use_l10n=True)
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"{MINUS}{text}"
    return text


@register.filter
def number(value, decimals=1):
    """A figure with ``decimals`` decimals and the language's separators; "—" for None."""
    if value is None or value == "":
        return "—"
    return number_format(
        round(float(value), int(decimals)), decimal_pos=int(decimals), use_l10n=True, force_grouping=True
    )


@register.filter
def pvalue(value):
    """A p-value to 2 significant digits ("< 0.001" below)."""
    if value is None:
        return ""
    if value < 0.001:
        return "< " + number_format(0.001, decimal_pos=3, use_l10n=True)
    return number_format(float(f"{value:.2g}"), decimal_pos=3 if value < 0.01 else 2, use_l10n=True)


@register.filter
def getitem(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def hidden_filters(params, *set_here: str):
    """The filters ``params`` as hidden inputs, but those the form itself sets (``set_here``): a
    form that changes one filter keeps the others. No filters yet (a page with invalid ones): none."""
    kept = ((key, value) for key, value in (params or {}).items() if key not in set_here and value)
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', kept)
