"""The house style of every Plotly chart (the dashboards, the team dashboard, the steering report):
colours, layout, axes, French separators, what a hidden group shows, and ``Chart``, a figure with
the table behind it for its CSV download. Builders of figures live with their pages; nothing here
queries the database.

Conventions: titles and axis titles go through gettext; ``layout.separators`` gives French decimal
commas, and the page registers a French Plotly locale for month names (static/dashboards); rates
are shares in [0, 1] in the engine and percentages on the charts (2 decimals); a suppressed group
shows "fewer than N people", never a figure; a low-sample survey figure is drawn hollow and grey
with n in its tooltip, never left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

# Colours: the two rates in the product's blues and greens, NPS in orange, the metric in purple.
DEPLOYMENT_COLOR = "#1e88e5"
TRANSFORMATION_COLOR = "#2e7d32"
NPS_COLOR = "#ef6c00"
METRIC_COLOR = "#6a1b9a"
LOW_SAMPLE_COLOR = "#9e9e9e"
SUPPRESSED_COLOR = "#e0e0e0"
EMPTY_TEMPLATE = go.layout.Template()


@dataclass
class Chart:
    """One chart of a page: its figure (None when there is nothing to draw: ``empty`` says why),
    its data as a table (``columns``, ``rows``) for the CSV, and a sentence to print under it."""

    name: str
    title: str
    figure: dict | None
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    empty: str = ""
    note: str = ""


def fewer_than(minimum: int) -> str:
    """What a suppressed group shows instead of its figures."""
    return _("fewer than %(n)d people") % {"n": minimum}


def percent(share: float | None) -> float | None:
    """A share of the engine (4 decimals) as a percentage with 2 decimals."""
    return None if share is None else round(100 * share, 2)


def separators(language: str) -> str:
    """Plotly's decimal and thousands separators: "," and a no-break space in French."""
    return ",\u00a0" if language.startswith("fr") else ".,"


def layout(title: str, *, language: str, height: int, **more) -> dict:
    layout = {
        "template": EMPTY_TEMPLATE,
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "separators": separators(language),
        "height": height,
        "autosize": True,
        "margin": {"l": 56, "r": 24, "t": 48, "b": 48},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        # At the bottom of the figure, under the x axis title, whatever the plot's height.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container"},
        "hoverlabel": {"namelength": -1},
    }
    layout.update(more)
    return layout


def figure_json(fig: go.Figure) -> dict:
    """The figure as plain dicts and lists (what the page embeds and the tests read)."""
    return fig.to_plotly_json()


def axis(title: str, **more) -> dict:
    return {"title": {"text": title}, "gridcolor": "#eeeeee", "zerolinecolor": "#bdbdbd", "automargin": True, **more}


def plain(series: pd.Series) -> list:
    """A column as Python values for JSON: numpy scalars unboxed, NaN as None (JSON has no NaN:
    the page's JSON.parse would fail on it)."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in series.tolist()]


def month_x(months) -> list[str]:
    """Months as dates Plotly reads ("2026-03-01"): its locale then names them."""
    return [m.first_day.isoformat() for m in months]
