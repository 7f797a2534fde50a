"""The manager's team dashboard: its Plotly figures built here on the server from the engine's
reads (``selectors.team_dashboard``), and the CSV of each figure's data.

Every figure draws exactly the numbers the engine returned (rates in %, rounded to 0.01 of a
point, NPS/CSAT/CES as read); its CSV holds the same rows unrounded, as the read API would.
"""

import json
import re

import plotly.graph_objects as go
from django.http import HttpResponse
from django.utils import formats
from django.utils.translation import gettext as _

from cxtracker import tabular
from cxtracker.months import Month

from .selectors import ComparisonLine, TeamDashboard

CHARTS = ("deployment", "transformation", "kpis", "dimensions")
_LINE_COLORS = {"team": "#1e88e5", "business_unit": "#ef6c00", "organization": "#757575"}
_LOW_SAMPLE_COLOR = "#9e9e9e"


# ---------------------------------------------------------------------------------------------
# Figures


def percent(share: float | None) -> float | None:
    """A share in [0, 1] as the percentage a figure draws."""
    return None if share is None else round(100 * share, 2)


def month_label(month: Month) -> str:
    """The month in the active language, in full ("March 2026", "mars 2026"): Django's French
    abbreviations ("jan.", "fév.") are not those of French typography ("janv.", "févr.")."""
    return formats.date_format(month.first_day, "F Y")


def line_label(line: ComparisonLine) -> str:
    if line.unit is None:
        return _("Organization")
    return line.unit.name


def _separators() -> str:
    """Plotly's decimal and thousands separators in the active language ("," and a space in French)."""
    return formats.get_format("DECIMAL_SEPARATOR") + (formats.get_format("THOUSAND_SEPARATOR") or "\u00a0")


def _layout(fig, *, title: str, x_title: str, y_title: str, height: int = 360) -> None:
    """The look of the executive dashboard's charts (dashboards.figures): title and axis labels in
    the user's language, its decimal separator, the legend at the bottom, under the x axis title,
    so that a 375 px phone keeps its width for the data (static/dashboards/dashboard.js adapts
    margins and ticks to the width)."""
    fig.update_layout(
        template=go.layout.Template(),
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        height=height,
        autosize=True,
        margin={"l": 56, "r": 24, "t": 48, "b": 88},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container"},
        hoverlabel={"namelength": -1},
        separators=_separators(),
        hovermode="x unified",
    )
    axis = {"gridcolor": "#eeeeee", "zerolinecolor": "#bdbdbd", "automargin": True}
    fig.update_xaxes(title={"text": x_title}, **axis)
    fig.update_yaxes(title={"text": y_title}, **axis)


def _month_axis(fig) -> None:
    """Months as dates, named by Plotly in the page's locale (French: static/dashboards/plotly-locale-fr.js)."""
    fig.update_xaxes(type="date", tickformat="%b %Y", hoverformat="%B %Y", dtick="M1")


def _json(fig) -> dict:
    return json.loads(fig.to_json())


def _x(dashboard: TeamDashboard) -> list[str]:
    return [m.first_day.isoformat() for m in dashboard.months]


def rate_figure(dashboard: TeamDashboard, chart: str) -> dict:
    """Deployment or transformation rate per month: the team, its business unit, the organization."""
    key, title, y_title = {
        "deployment": ("deployment_rate", _("Deployment rate"), _("Deployment rate (%)")),
        "transformation": ("transformation_rate", _("Transformation rate"), _("Transformation rate (%)")),
    }[chart]
    fig = go.Figure()
    for line in dashboard.lines:
        fig.add_scatter(
            x=_x(dashboard),
            y=[percent(r[key]) for r in line.rows],
            name=line_label(line),
            mode="lines+markers",
            line={"color": _LINE_COLORS[line.key], "width": 4 if line.key == "team" else 2},
            hovertemplate="%{y:.1f} %",
        )
    _layout(fig, title=title, x_title=_("Month"), y_title=y_title)
    _month_axis(fig)
    fig.update_yaxes(range=[-2, 102], ticksuffix=" %")
    return _json(fig)


KPI_CHARTS = ("nps", "csat", "ces")


def kpi_figure(dashboard: TeamDashboard, key: str) -> dict:
    """NPS (with its margin of error), CSAT or CES of the team per month; a low-sample month is
    drawn hollow and grey, never hidden, and its tooltip says n."""
    title, y_title = {
        "nps": (_("NPS of the team"), _("NPS")),
        "csat": (_("CSAT of the team"), _("CSAT (%)")),
        "ces": (_("CES of the team"), _("CES (1 to 7)")),
    }[key]
    rows = dashboard.kpis
    low = [r[f"{key}_low_sample"] for r in rows]
    hover = [
        (_("n = %(n)s (low sample)") if is_low else _("n = %(n)s")) % {"n": r[f"{key}_n"]}
        for r, is_low in zip(rows, low, strict=True)
    ]
    trace = {
        "x": _x(dashboard),
        "y": [r[key] for r in rows],
        "name": y_title,
        "mode": "lines+markers",
        "customdata": hover,
        "hovertemplate": "%{y:.1f} · %{customdata}",
        "marker": {
            "size": 10,
            "symbol": ["circle-open" if is_low else "circle" for is_low in low],
            "color": [_LOW_SAMPLE_COLOR if is_low else _LINE_COLORS["team"] for is_low in low],
            "line": {"width": 2},
        },
        "line": {"color": _LINE_COLORS["team"]},
        "connectgaps": True,
    }
    if key == "nps":
        trace["error_y"] = {
            "type": "data",
            "array": [r["nps_margin_of_error"] for r in rows],
            "visible": True,
            "color": "#90caf9",
        }
    fig = go.Figure(go.Scatter(**trace))
    _layout(fig, title=title, x_title=_("Month"), y_title=y_title, height=320)
    _month_axis(fig)
    fig.update_layout(showlegend=False)
    y_range = {"nps": [-100, 100], "csat": [0, 100], "ces": [1, 7]}[key]
    fig.update_yaxes(range=y_range, ticksuffix=" %" if key == "csat" else "")
    return _json(fig)


def dimension_figure(dashboard: TeamDashboard) -> dict:
    """Per dimension at the latest month: transformation rate, known share and mastered share of
    the team's (member, behavior) pairs, the lowest transformation rate on top."""
    names = [d["name"] for d in dashboard.dimensions]
    fig = go.Figure()
    for key, label, color in (
        ("transformation_rate", _("Transformation rate"), "#1e88e5"),
        ("known_share", _("Known share"), "#f9a825"),
        ("mastered_share", _("Mastered share"), "#2e7d32"),
    ):
        fig.add_bar(
            y=names,
            x=[percent(d[key]) for d in dashboard.dimensions],
            name=label,
            orientation="h",
            marker={"color": color},
            hovertemplate="%{x:.1f} %",
        )
    month = month_label(dashboard.dimensions_month) if dashboard.dimensions_month else ""
    _layout(
        fig,
        title=_("Dimensions, %(month)s") % {"month": month},
        x_title=_("Share of the team's member × behavior pairs (%)"),
        y_title=_("Dimension"),
        height=max(320, 160 + 70 * len(names)),
    )
    fig.update_layout(barmode="group", hovermode="y unified")
    fig.update_xaxes(range=[0, 100], ticksuffix=" %")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _json(fig)


def dimension_rows(dashboard: TeamDashboard) -> list[dict]:
    """The dimension figure's data in %, for the table beside it."""
    keys = ("transformation_rate", "known_share", "mastered_share")
    return [{"name": d["name"], **{k: percent(d[k]) for k in keys}} for d in dashboard.dimensions]


# ---------------------------------------------------------------------------------------------
# CSV of each figure's data


def _cell(value):
    """Booleans as the API writes them: the file's columns are the API's fields."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_rows(dashboard: TeamDashboard, chart: str) -> tuple[list[str], list[list]]:
    """The header and the rows of one chart's data."""
    if chart in ("deployment", "transformation"):
        figures = (
            ["active_members", "coached_members", "coverage", "cadence", "deployment_rate"]
            if chart == "deployment"
            else ["active_members", "transformation_rate", "assessed_share", "known_share", "mastered_share"]
        )
        header = ["month", "line", "unit_code", "unit_name", *figures, "suppressed"]
        rows = []
        for line in dashboard.lines:
            for month, r in zip(dashboard.months, line.rows, strict=True):
                rows.append(
                    [
                        str(month),
                        line.key,
                        line.unit.code if line.unit else "",
                        line_label(line),
                        *[r[f] for f in figures],
                        r["suppressed"],
                    ]
                )
        return header, rows
    if chart == "kpis":
        figures = [
            "nps",
            "nps_margin_of_error",
            "nps_n",
            "nps_low_sample",
            "csat",
            "csat_n",
            "csat_low_sample",
            "ces",
            "ces_n",
            "ces_low_sample",
        ]
        return ["month", *figures], [[r["period"], *[r[f] for f in figures]] for r in dashboard.kpis]
    if chart == "dimensions":
        figures = ["transformation_rate", "assessed_share", "known_share", "mastered_share"]
        month = str(dashboard.dimensions_month) if dashboard.dimensions_month else ""
        return (
            ["month", "dimension_code", "dimension_name", *figures],
            [[month, d["code"], d["name"], *[d[f] for f in figures]] for d in dashboard.dimensions],
        )
    raise ValueError(chart)


def csv_response(dashboard: TeamDashboard, chart: str) -> HttpResponse:
    header, rows = csv_rows(dashboard, chart)
    code = re.sub(r"[^A-Za-z0-9._-]", "_", dashboard.team.code)
    # A data file, keyed by field names: commas and points in every language.
    return tabular.csv_response(header, ([_cell(v) for v in row] for row in rows), filename=f"{code}-{chart}.csv")
