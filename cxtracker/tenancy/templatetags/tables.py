"""``{% header_cells _("Name") _("Code") %}``: the header row's cells of a table, one ``<th
scope="col">`` each, the labels escaped (every list page writes them the same way)."""

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def header_cells(*labels):
    return format_html_join("", '<th scope="col">{}</th>', ((label,) for label in labels))
