"""The team dashboard's Plotly figures, in the house style of every chart (cxtracker.charts), and
the table behind each chart for its CSV.

Every figure draws exactly the numbers the engine returned (``selectors.team_dashboard``: rates in
%, rounded to 0.01 of a point, NPS/CSAT/CES as read); its CSV holds the same rows unrounded, its
columns named as the read API's fields, so that a file can be set beside an API export.
"""

import plotly.graph_objects as go
from django.utils import formats
from django.utils.translation import gettext as _

from cxtracker import charts
from cxtracker.charts import LOW_SAMPLE_COLOR, percent
from cxtracker.months import Month

from .selectors import ComparisonLine, TeamDashboard

CHARTS = ("deployment", "transformation", "kpis", "dimensions")
KPI_CHARTS = ("nps", "csat", "ces")
# The team stands out in blue against its business unit and the organization.
LINE_COLORS = {"team": "#1e88e5", "business_unit": "#ef6c00", "organization": "#757575"}
# The legend sits under the x axis title: room for it below the plot, so that a 375 px phone keeps
# its width for the data (static/dashboards/dashboard.js adapts margins and ticks to the width).
MARGIN = {"l": 56, "r": 24, "t": 48, "b": 88}


def month_label(month: Month) -> str:
    """The month in the active language, in full ("March 2026", "mars 2026"): Django's French
    abbreviations ("jan.", "fév.") are not those of French typography ("janv.", "févr.")."""
    return formats.date_format(month.first_day, "F Y")


def line_label(line: ComparisonLine) -> str:
    if line.unit is None:
        return _("Organization")
    return line.unit.name


def _month_axis() -> dict:
    """Months as dates, named by Plotly in the page's locale (French: static/dashboards/plotly-locale-fr.js)."""
    return charts.axis(_("Month"), type="date", tickformat="%b %Y", hoverformat="%B %Y", dtick="M1")


def rate_figure(dashboard: TeamDashboard, chart: str, *, language: str) -> dict:
    """Deployment or transformation rate per month: the team, its business unit, the organization."""
    key, title, y_title = {
        "deployment": ("deployment_rate", _("Deployment rate"), _("Deployment rate (%)")),
        "transformation": ("transformation_rate", _("Transformation rate"), _("Transformation rate (%)")),
    }[chart]
    fig = go.Figure()
    for line in dashboard.lines:
        fig.add_scatter(
            x=charts.month_x(dashboard.months),
            y=[percent(r[key]) for r in line.rows],
            name=line_label(line),
            mode="lines+markers",
            line={"color": LINE_COLORS[line.key], "width": 4 if line.key == "team" else 2},
            hovertemplate="%{y:.1f} %",
        )
    fig.update_layout(
        charts.layout(
            title,
            language=language,
            height=360,
            margin=MARGIN,
            hovermode="x unified",
            xaxis=_month_axis(),
            yaxis=charts.axis(y_title, range=[-2, 102], ticksuffix=" %"),
        )
    )
    return charts.figure_json(fig)


def kpi_figure(dashboard: TeamDashboard, key: str, *, language: str) -> dict:
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
        "x": charts.month_x(dashboard.months),
        "y": [r[key] for r in rows],
        "name": y_title,
        "mode": "lines+markers",
        "customdata": hover,
        "hovertemplate": "%{y:.1f} · %{customdata}",
        "marker": {
            "size": 10,
            "symbol": ["circle-open" if is_low else "circle" for is_low in low],
            "color": [LOW_SAMPLE_COLOR if is_low else LINE_COLORS["team"] for is_low in low],
            "line": {"width": 2},
        },
        "line": {"color": LINE_COLORS["team"]},
        "connectgaps": True,
    }
    if key == "nps":
        trace["error_y"] = {
            "type": "data",
            "array": [r["nps_margin_of_error"] for r in rows],
            "visible": True,
            "color": "#90caf9",
        }
    y_range = {"nps": [-100, 100], "csat": [0, 100], "ces": [1, 7]}[key]
    fig = go.Figure(go.Scatter(**trace))
    fig.update_layout(
        charts.layout(
            title,
            language=language,
            height=320,
            margin=MARGIN,
            hovermode="x unified",
            showlegend=False,
            xaxis=_month_axis(),
            yaxis=charts.axis(y_title, range=y_range, ticksuffix=" %" if key == "csat" else ""),
        )
    )
    return charts.figure_json(fig)


def dimension_figure(dashboard: TeamDashboard, *, language: str) -> dict:
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
    fig.update_layout(
        charts.layout(
            _("Dimensions, %(month)s") % {"month": month},
            language=language,
            height=max(320, 160 + 70 * len(names)),
            margin=MARGIN,
            barmode="group",
            hovermode="y unified",
            xaxis=charts.axis(_("Share of the team's member × behavior pairs (%)"), range=[0, 100], ticksuffix=" %"),
            yaxis=charts.axis(_("Dimension"), autorange="reversed"),
        )
    )
    return charts.figure_json(fig)


def dimension_rows(dashboard: TeamDashboard) -> list[dict]:
    """The dimension figure's data in %, for the table beside it."""
    keys = ("transformation_rate", "known_share", "mastered_share")
    return [{"name": d["name"], **{k: percent(d[k]) for k in keys}} for d in dashboard.dimensions]


# ---------------------------------------------------------------------------------------------
# The table behind each chart, for its CSV


def _rate_table(dashboard: TeamDashboard, chart: str) -> tuple[list[str], list[list]]:
    figures = (
        ["active_members", "coached_members", "coverage", "cadence", "deployment_rate"]
        if chart == "deployment"
        else ["active_members", "transformation_rate", "assessed_share", "known_share", "mastered_share"]
    )
    header = ["month", "line", "unit_code", "unit_name", *figures, "suppressed"]
    rows = [
        [
            str(month),
            line.key,
            line.unit.code if line.unit else "",
            line_label(line),
            *[r[f] for f in figures],
            r["suppressed"],
        ]
        for line in dashboard.lines
        for month, r in zip(dashboard.months, line.rows, strict=True)
    ]
    return header, rows


_KPI_FIELDS = [
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
_DIMENSION_FIELDS = ["transformation_rate", "assessed_share", "known_share", "mastered_share"]


def chart_table(dashboard: TeamDashboard, chart: str) -> tuple[list[str], list[list]]:
    """The header and the rows of one chart's data (``chart`` in ``CHARTS``)."""
    if chart in ("deployment", "transformation"):
        return _rate_table(dashboard, chart)
    if chart == "kpis":
        return ["month", *_KPI_FIELDS], [[r["period"], *[r[f] for f in _KPI_FIELDS]] for r in dashboard.kpis]
    if chart == "dimensions":
        month = str(dashboard.dimensions_month) if dashboard.dimensions_month else ""
        return (
            ["month", "dimension_code", "dimension_name", *_DIMENSION_FIELDS],
            [[month, d["code"], d["name"], *[d[f] for f in _DIMENSION_FIELDS]] for d in dashboard.dimensions],
        )
    raise ValueError(chart)
