"""``{% load typography %}``: ``{% translate "Strengths" %}{% colon %}`` gives "Forces :" in
French (narrow no-break space) and "Strengths:" in English (cxtracker/typography.py)."""

from django import template

from cxtracker import typography

register = template.Library()


@register.simple_tag
def colon():
    return typography.colon()
