"""Plotly figures of the KPI explorer, built on the server from survey figures already read
(``kpis.engine.formulas.survey_figures`` dicts): NPS, CSAT and CES over time, and each broken
down by journey, segment, channel or trigger.

The conventions of ``cxtracker.charts`` (its ``Chart``, layout and axes): titles and axis titles
through gettext, French decimal commas through ``layout.separators`` and French month names through
the page's Plotly locale, a CSV of each chart's data. Every figure carries its n and its 95 % margin
(error bars); a figure below the organization's minimum sample is drawn hollow and grey with n and
"low sample" in its tooltip, never left out. Nothing here queries the database.
"""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cxtracker.charts import LOW_SAMPLE_COLOR, NPS_COLOR, Chart, axis, layout, percent
from cxtracker.typography import colon

CSAT_COLOR = "#00897b"
CES_COLOR = "#5e35b1"
KPI_COLORS = {"nps": NPS_COLOR, "csat": CSAT_COLOR, "ces": CES_COLOR}
# One colour per line when the trend is split by a breakdown (told apart without colour too: the
# legend and the tooltip name each line).
SPLIT_COLORS = ("#1e88e5", "#ef6c00", "#2e7d32", "#8e24aa", "#00897b", "#c62828", "#6d4c41", "#3949ab")
DECIMALS = {"nps": 1, "csat": 1, "ces": 2}
# The scale of each figure: a margin's error bar may reach past it, the axis stops there.
SCALE_BOUNDS = {
    "nps": {"clipmin": -100, "clipmax": 100},
    "csat": {"clipmin": 0, "clipmax": 100},
    "ces": {"clipmin": 1, "clipmax": 7},
}


def _x_hover(kind: str) -> str:
    """The period of a point in its tooltip (Plotly's locale names the months)."""
    if kind == "week":
        return "<b>" + _("week of %(day)s") % {"day": "%{x|%d %B %Y}"} + "</b>"
    return "<b>%{x|%B %Y}</b>" if kind == "month" else "<b>%{x}</b>"


def kpi_name(kpi: str) -> str:
    return {"nps": "NPS", "csat": _("CSAT (%)"), "ces": _("CES (1–7)")}[kpi]


def kpi_axis_title(kpi: str) -> str:
    return {
        "nps": _("NPS (−100 to +100)"),
        "csat": _("CSAT: satisfied, 4–5 of 5 (%)"),
        "ces": _("CES: ease, 1 to 7 (7 = very easy)"),
    }[kpi]


def period_label(period, kind: str) -> str:
    """A period as the reader says it ("T1 2026" in French); months and weeks are dates on the
    charts (Plotly's locale names them)."""
    if kind == "quarter":
        return _("Q%(quarter)d %(year)d") % {"quarter": period.quarter, "year": period.year}
    if kind == "week":
        return _("Week %(week)d, %(year)d") % {"week": period.week, "year": period.year}
    return str(period)


def _x(periods, kind: str) -> list[str]:
    if kind == "quarter":
        return [period_label(p, kind) for p in periods]
    return [p.first_day.isoformat() for p in periods]


def _plus_minus(margin: float | None, decimals: int) -> str:
    """ "± 4,2" in the reader's language, "" without a margin."""
    if margin is None:
        return ""
    return "± " + number_format(round(margin, decimals), decimal_pos=decimals, use_l10n=True)


def _hover(figures: dict, kpi: str, *, low_text: str) -> str:
    if figures[kpi] is None:
        return ""
    parts = [_plus_minus(figures[f"{kpi}_margin_of_error"], DECIMALS[kpi]), f"(n = {figures[f'{kpi}_n']})"]
    if figures[f"{kpi}_low_sample"]:
        parts.append(low_text)
    return " ".join(p for p in parts if p)


def _margins(figures_list: list[dict], kpi: str) -> list[float | None]:
    return [f[f"{kpi}_margin_of_error"] if f[kpi] is not None else None for f in figures_list]


# The figures of a row of the CSV, after its first cells (figure_columns() names them).
FIGURE_KEYS = (
    "nps",
    "nps_margin_of_error",
    "nps_n",
    "nps_low_sample",
    "csat",
    "csat_margin_of_error",
    "csat_n",
    "csat_low_sample",
    "csat_mean",
    "ces",
    "ces_margin_of_error",
    "ces_n",
    "ces_low_sample",
    "ces_easy_share",
)


def figure_columns() -> list[str]:
    return [
        "NPS",
        _("NPS margin of error (95%)"),
        _("NPS responses (n)"),
        _("NPS low sample"),
        _("CSAT (%)"),
        _("CSAT margin of error (95%)"),
        _("CSAT responses (n)"),
        _("CSAT low sample"),
        _("Mean CSAT (1–5)"),
        "CES",
        _("CES margin of error (95%)"),
        _("CES responses (n)"),
        _("CES low sample"),
        _("Easy share, CES 5–7 (%)"),
    ]


def figure_cells(figures: dict) -> list:
    cells = []
    for key in FIGURE_KEYS:
        value = figures[key]
        if key.endswith("_low_sample"):
            value = _("yes") if value else ""
        elif key == "ces_easy_share":
            value = percent(value)
        cells.append(value)
    return cells


# ---------------------------------------------------------------------------------------------
# NPS, CSAT or CES over time


TREND_TITLES = {
    ("nps", "month"): lambda: _("NPS by month"),
    ("nps", "week"): lambda: _("NPS by week"),
    ("nps", "quarter"): lambda: _("NPS by quarter"),
    ("csat", "month"): lambda: _("CSAT by month"),
    ("csat", "week"): lambda: _("CSAT by week"),
    ("csat", "quarter"): lambda: _("CSAT by quarter"),
    ("ces", "month"): lambda: _("CES by month"),
    ("ces", "week"): lambda: _("CES by week"),
    ("ces", "quarter"): lambda: _("CES by quarter"),
}
TREND_KEYS = {
    "nps": ("nps", "nps_margin_of_error", "nps_n", "nps_low_sample"),
    "csat": ("csat", "csat_margin_of_error", "csat_n", "csat_low_sample", "csat_mean"),
    "ces": ("ces", "ces_margin_of_error", "ces_n", "ces_low_sample", "ces_easy_share"),
}


def kpi_trend_chart(
    *, kpi: str, periods: list, kind: str, series: list[tuple], split: str | None, split_label: str, language: str
) -> Chart:
    """``kpi`` (nps, csat or ces) of each period, its 95 % margin as error bars. ``series``:
    (value, label, [figures per period]) — one series (value None) for all responses, or one
    per value of the breakdown ``split``, a line each."""
    period_word = {"week": _("Week"), "quarter": _("Quarter")}.get(kind, _("Month"))
    title = TREND_TITLES[(kpi, kind)]()
    if split:
        title = _("%(title)s, by %(breakdown)s") % {"title": title, "breakdown": split_label.lower()}
    keys = TREND_KEYS[kpi]
    all_columns = dict(zip(FIGURE_KEYS, figure_columns(), strict=True))
    columns = [_("Period"), period_word, *([split_label] if split else []), *(all_columns[k] for k in keys)]
    rows = []
    for _value, label, figures_list in series:
        for period, figures in zip(periods, figures_list, strict=True):
            cells = dict(zip(FIGURE_KEYS, figure_cells(figures), strict=True))
            rows.append(
                [str(period), period_label(period, kind), *([label] if split else []), *(cells[k] for k in keys)]
            )
    name = f"trend-{kpi}"
    if not any(f[kpi] is not None for _v, _l, figures_list in series for f in figures_list):
        return Chart(name, title, None, columns, rows, empty=_("No response with this figure over these months."))

    x_axis = axis(period_word, type="category") if kind == "quarter" else axis(period_word, type="date")
    if kind == "month":
        x_axis.update(tickformat="%b %Y", hoverformat="%B %Y", dtick="M1" if len(periods) <= 6 else None)
    elif kind == "week":
        x_axis.update(tickformat="%d %b", hoverformat="%d %B %Y")
    y_axis = axis(kpi_axis_title(kpi), autorangeoptions=SCALE_BOUNDS[kpi])
    if kpi == "csat":
        y_axis.update(ticksuffix=" %")
    # The layout goes in at construction: plotly.py validates a layout applied afterwards (over
    # the default template) some ten times slower.
    fig = go.Figure(
        layout=layout(
            title,
            language=language,
            height=380 if split else 340,
            hovermode="closest",
            xaxis=x_axis,
            yaxis=y_axis,
            margin={"l": 60, "r": 16, "t": 48, "b": 48},
        )
    )
    low_text = _("low sample")
    x = _x(periods, kind)
    for index, (value, label, figures_list) in enumerate(series):
        color = SPLIT_COLORS[index % len(SPLIT_COLORS)] if split else KPI_COLORS[kpi]
        low = [bool(f[f"{kpi}_low_sample"]) and f[kpi] is not None for f in figures_list]
        fig.add_scatter(
            x=x,
            y=[f[kpi] for f in figures_list],
            name=label if split else kpi_name(kpi),
            legendgroup=str(value),
            showlegend=bool(split),
            mode="lines+markers",
            line={"color": color, "width": 2},
            marker={
                "size": 9 if len(periods) <= 16 else 6,
                # Hollow when low sample; grey too when there is one line (a split keeps the
                # line's colour, to tell the lines apart).
                "symbol": ["circle-open" if is_low else "circle" for is_low in low],
                "color": [(color if split else LOW_SAMPLE_COLOR) if is_low else color for is_low in low],
                "line": {"width": 2},
            },
            error_y={
                "type": "data",
                "array": _margins(figures_list, kpi),
                "visible": True,
                "color": color,
                "thickness": 1,
                "width": 3,
            },
            text=[_hover(f, kpi, low_text=low_text) for f in figures_list],
            hovertemplate=_x_hover(kind)
            + "<br>"
            + (f"{label} · " if split else "")
            + f"{kpi_name(kpi)}{colon()} %{{y:.{DECIMALS[kpi]}f}} %{{text}}<extra></extra>",
        )
    return Chart(name, title, fig.to_plotly_json(), columns, rows)


# ---------------------------------------------------------------------------------------------
# One figure broken down by the values of a breakdown


BREAKDOWN_TITLES = {
    "journey": lambda kpi: _("%(kpi)s by journey") % {"kpi": kpi},
    "segment": lambda kpi: _("%(kpi)s by customer segment") % {"kpi": kpi},
    "channel": lambda kpi: _("%(kpi)s by channel") % {"kpi": kpi},
    "trigger": lambda kpi: _("%(kpi)s, hot (after an event) and cold (periodic)") % {"kpi": kpi},
}


def breakdown_chart(*, breakdown: str, breakdown_label: str, kpi: str, rows: list[tuple], language: str) -> Chart:
    """``kpi`` of each value of ``breakdown`` over the span, horizontal bars with their 95 %
    margins. ``rows``: (value, label, figures), in the order to show them (top first)."""
    title = BREAKDOWN_TITLES[breakdown](kpi.upper())
    columns = [breakdown_label, _("Code"), *figure_columns()]
    table = [[label, value, *figure_cells(figures)] for value, label, figures in rows]
    shown = [(value, label, f) for value, label, f in rows if f[kpi] is not None]
    if not shown:
        return Chart(breakdown, title, None, columns, table, empty=_("No response with this figure over these months."))
    color = KPI_COLORS[kpi]
    low = [bool(f[f"{kpi}_low_sample"]) for _v, _l, f in shown]
    x_axis = axis(kpi_axis_title(kpi), zeroline=True, autorangeoptions=SCALE_BOUNDS[kpi])
    if kpi == "csat":
        x_axis.update(range=[0, 100], ticksuffix=" %")
    elif kpi == "ces":
        x_axis.update(range=[1, 7], dtick=1)
    fig = go.Figure(
        layout=layout(
            title,
            language=language,
            height=max(220, 120 + 42 * len(shown)),
            xaxis=x_axis,
            yaxis=axis(breakdown_label, type="category", autorange="reversed", showgrid=False),
            showlegend=False,
            bargap=0.35,
        )
    )
    low_text = _("low sample")
    fig.add_bar(
        y=[label for _v, label, _f in shown],
        x=[f[kpi] for _v, _l, f in shown],
        orientation="h",
        name=kpi_name(kpi),
        marker={
            # A low-sample bar is hollow: outlined in grey, not filled.
            "color": ["rgba(255,255,255,0)" if is_low else color for is_low in low],
            "line": {"color": [LOW_SAMPLE_COLOR if is_low else color for is_low in low], "width": 2},
        },
        error_x={
            "type": "data",
            "array": [f[f"{kpi}_margin_of_error"] for _v, _l, f in shown],
            "visible": True,
            "color": "#616161",
            "thickness": 1.2,
            "width": 4,
        },
        text=[_hover(f, kpi, low_text=low_text) for _v, _l, f in shown],
        textposition="none",
        hovertemplate=f"%{{y}}<br>{kpi_name(kpi)}{colon()} %{{x:.{DECIMALS[kpi]}f}} %{{text}}<extra></extra>",
    )
    return Chart(breakdown, title, fig.to_plotly_json(), columns, table)
