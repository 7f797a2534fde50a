"""A dashboard chart's data as a CSV download (``&csv=<chart>`` on its page)."""

from django.utils.translation import get_language

from cxtracker.charts import Chart
from cxtracker.tabular import csv_response


def chart_csv(chart: Chart, *, org, unit, span):
    """Named after the chart, the unit (else the organization) and the span, so that downloads of
    several pages sit side by side; in the reader's language (French: semicolons, decimal commas)."""
    scope = unit.code if unit is not None else org.slug
    filename = f"{chart.name}-{scope}-{span.first}-{span.last}.csv"
    return csv_response(chart.columns, chart.rows, filename=filename, language=get_language())
