"""The steering report's charts: one small Plotly trend per KPI, in the executive dashboard's
conventions (cxtracker.charts: layout, colours, French separators, low samples hollow and grey,
hidden groups named, never drawn). The page draws them with static/dashboards/dashboard.js, the
PDF as PNG images rendered by kaleido (steering.reports.exports).

X is a category axis of the periods ("2026-11", "2026-W47", "2026-Q3") whose ticks are labelled on
the server ("Nov.<br>2026", "W47", "Q3"; steering.reports.periods.tick_labels), so that the page, kaleido
and both languages show the same ticks without Plotly's date locale.
"""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from cxtracker import charts
from steering.reports.contents import KpiReport

COLORS = {"survey": charts.NPS_COLOR, "rate": charts.TRANSFORMATION_COLOR, "metric": charts.METRIC_COLOR}
HEIGHT = 230


def _y(kpi: KpiReport, value):
    if value is None:
        return None
    return round(100 * value, 2) if kpi.is_share else value


def kpi_trend_chart(kpi: KpiReport, *, name: str, language: str, min_group_size: int) -> charts.Chart:
    """The KPI over the report's trend periods, the report's period last and emphasised; survey
    KPIs with their 95 % margins as error bars. ``name``: the chart's id on the page."""
    title = _("%(kpi)s over the last periods") % {"kpi": kpi.label}
    columns = [_("Period"), kpi.label, "n", _("95% margin of error"), _("Low sample")]
    hidden = charts.fewer_than(min_group_size)
    rows = [
        [
            p.period,
            hidden if p.suppressed else _y(kpi, p.value),
            p.n,
            p.margin,
            _("yes") if p.low_sample else "",
        ]
        for p in kpi.trend
    ]
    if not any(p.value is not None for p in kpi.trend):
        empty = hidden if any(p.suppressed for p in kpi.trend) else _("No figures over these periods.")
        return charts.Chart(name, title, None, columns, rows, empty=empty)
    color = COLORS[kpi.kind]
    x = [p.period for p in kpi.trend]
    y = [_y(kpi, p.value) for p in kpi.trend]
    last = len(kpi.trend) - 1
    low = [p.low_sample and p.value is not None for p in kpi.trend]
    suffix = f" {kpi.unit}" if kpi.unit else ""
    decimals = kpi.decimals
    scatter = {
        "x": x,
        "y": y,
        "mode": "lines+markers",
        "name": kpi.label,
        "line": {"color": color, "width": 2},
        "connectgaps": False,
        "marker": {
            "size": [12 if i == last else 8 for i in range(len(x))],
            "symbol": ["circle-open" if is_low else "circle" for is_low in low],
            "color": [charts.LOW_SAMPLE_COLOR if is_low else color for is_low in low],
            "line": {"width": 2, "color": [charts.LOW_SAMPLE_COLOR if is_low else color for is_low in low]},
        },
        "text": [p.label for p in kpi.trend],
        "hovertemplate": f"%{{text}}: %{{y:.{decimals}f}}{suffix}<extra></extra>",
        "showlegend": False,
    }
    if kpi.kind == "survey":
        margins = [p.margin if p.value is not None else None for p in kpi.trend]
        scatter["error_y"] = {
            "type": "data",
            "array": [m if m is not None else 0 for m in margins],
            "color": "#bdbdbd",
            "thickness": 1,
            "width": 3,
        }
        scatter["customdata"] = [[p.n or 0, _("low sample") if p.low_sample else ""] for p in kpi.trend]
        scatter["hovertemplate"] = (
            f"%{{text}}: %{{y:.{decimals}f}}{suffix} (n = %{{customdata[0]}}) %{{customdata[1]}}<extra></extra>"
        )
    fig = go.Figure()
    fig.add_scatter(**scatter)
    annotations = [
        {
            "text": "×",
            "x": p.period,
            "y": 0,
            "yref": "paper",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"color": "#9e9e9e"},
            "hovertext": hidden,
        }
        for p in kpi.trend
        if p.suppressed
    ]
    yaxis = charts.axis("", ticksuffix=suffix, automargin=True, nticks=5)
    if kpi.is_share:
        yaxis["rangemode"] = "tozero"
    layout = charts.layout(
        "",
        language=language,
        height=HEIGHT,
        xaxis=charts.axis(
            "",
            type="category",
            tickmode="array",
            tickvals=x,
            ticktext=[p.tick for p in kpi.trend],
            tickangle=0,
            showgrid=False,
            automargin=True,
        ),
        yaxis=yaxis,
        annotations=annotations,
        margin={"l": 48, "r": 16, "t": 12, "b": 40},
        hovermode="closest",
    )
    fig.update_layout(layout)
    note = _("Hollow grey: fewer responses than the minimum sample.") if any(low) else ""
    if annotations:
        note = (note + " " + _("×: %(hidden)s.") % {"hidden": hidden}).strip()
    return charts.Chart(name, title, fig.to_plotly_json(), columns, rows, note=note)


def report_charts(report, *, language: str) -> dict[str, charts.Chart]:
    """code → the KPI's trend chart, for every KPI of the report with figures."""
    charts = {}
    for i, kpi in enumerate(report.kpis):
        if kpi.known:
            charts[kpi.code] = kpi_trend_chart(
                kpi, name=f"kpi-{i}", language=language, min_group_size=report.org.min_group_size
            )
    return charts
