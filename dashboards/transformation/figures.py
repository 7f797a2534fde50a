"""Plotly figures of the dashboards, built on the server (plotly.py, pandas) from the engine's reads.

Each builder takes figures already read (``kpis.engine.rates.rates_read`` rows, ``kpis.engine.formulas.kpis``
figures, the lag answer) and returns a ``Chart``: the Plotly figure as JSON-ready dicts, and the
same data as a table for its CSV download. Nothing here queries the database, so that a test can
hold each chart against the engine's numbers.

Conventions, for every chart:

- titles and axis titles go through gettext; ``layout.separators`` gives French decimal commas,
  and the page registers a French Plotly locale for month names (static/dashboards);
- rates are shares in [0, 1] in the engine and percentages here (2 decimals);
- a suppressed group (``rates_read(protect=True)``: fewer active members than the organization's
  minimum group size) shows "fewer than N people", never a figure; a low-sample survey figure is
  drawn hollow and grey with n in its tooltip, never left out.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cxtracker import charts
from cxtracker.charts import (
    DEPLOYMENT_COLOR,
    LOW_SAMPLE_COLOR,
    METRIC_COLOR,
    NPS_COLOR,
    SUPPRESSED_COLOR,
    TRANSFORMATION_COLOR,
    Chart,
    fewer_than,
    percent,
)

# ---------------------------------------------------------------------------------------------
# Rates over time, with NPS and a business metric on second axes


def trend_chart(
    *,
    months: list,
    rates: list[dict],
    kpis: list[dict],
    metric_name: str | None,
    metric_unit: str,
    metric_points: list,
    min_group_size: int,
    language: str,
    plans: list[dict] = (),
) -> Chart:
    """Deployment and transformation rates of each month (left axis, %), NPS (right axis), a
    business metric (a second right axis) and the action plans (a marker and a dotted line at
    each plan's start, its title, unit, status and end in the tooltip).

    ``rates``: one ``rates_read`` row per month; ``kpis``: one ``kpis.engine.formulas.kpis`` dict per
    month; ``metric_points``: a ``MetricPoint`` or None per month (``teams`` > 0: the mean of
    that many teams); ``plans``: dicts with title, unit, status, start and end dates."""
    title = _("Deployment and transformation over time")
    hidden = fewer_than(min_group_size)
    frame = _trend_frame(months, rates, kpis, metric_points)
    plain = {column: charts.plain(frame[column]) for column in frame.columns}
    metric_label = None
    if metric_name is not None:
        metric_label = f"{metric_name} ({metric_unit})" if metric_unit else metric_name
    columns, rows = _trend_table(plain, metric_label=metric_label, hidden=hidden)
    has_rates = frame[["deployment", "transformation"]].notna().to_numpy().any()
    has_nps = frame["nps"].notna().any()
    has_metric = metric_name is not None and frame["metric"].notna().any()
    suppressed = frame["suppressed"].any()
    if not (has_rates or has_nps or has_metric or suppressed):
        return Chart("trend", title, None, columns, rows, empty=_("No figures for these months."))

    fig = go.Figure()
    _rate_lines(fig, plain)
    if has_nps:
        _nps_line(fig, plain)
    if has_metric:
        _metric_line(fig, plain, name=metric_name, unit=metric_unit)
        if any(t for t in plain["metric_teams"] if t):
            metric_label = _("%(metric)s, mean per team") % {"metric": metric_label}
    if plans:
        _plan_markers(fig, plans)
    layout = charts.layout(
        title,
        language=language,
        height=400,
        xaxis=charts.axis(
            _("Month"), type="date", tickformat="%b %Y", hoverformat="%B %Y", dtick="M1" if len(months) <= 12 else None
        ),
        yaxis=charts.axis(_("Rate (%)"), range=[0, 100], ticksuffix=" %"),
        hovermode="x unified",
        annotations=[_hidden_rates_note(hidden)] if suppressed else [],
        shapes=[_plan_line(p) for p in plans],
        margin={"l": 56, "r": 24, "t": 56, "b": 48},
    )
    if has_nps:
        layout["yaxis2"] = charts.axis(
            "NPS", overlaying="y", side="right", showgrid=False, zeroline=False, tickmode="auto", nticks=6
        )
    if has_metric:
        layout["yaxis3"] = charts.axis(
            metric_label,
            overlaying="y",
            side="right",
            anchor="free",
            autoshift=True,
            showgrid=False,
            rangemode="tozero",
            tickmode="auto",
            nticks=6,
        )
    fig.update_layout(layout)
    return Chart("trend", title, charts.figure_json(fig), columns, rows)


def _trend_frame(months: list, rates: list[dict], kpis: list[dict], metric_points: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "x": charts.month_x(months),
            "deployment": [percent(r["deployment_rate"]) for r in rates],
            "transformation": [percent(r["transformation_rate"]) for r in rates],
            "suppressed": [r["suppressed"] for r in rates],
            "active": [r["active_members"] for r in rates],
            "nps": [k["nps"] for k in kpis],
            "nps_n": [k["nps_n"] for k in kpis],
            "nps_low": [k["nps_low_sample"] for k in kpis],
            "metric": [p.value if p is not None else None for p in metric_points],
            "metric_teams": [p.teams if p is not None else None for p in metric_points],
        }
    )


def _trend_table(plain: dict, *, metric_label: str | None, hidden: str) -> tuple[list, list]:
    """The trend's CSV: a row per month, the rates of a hidden month said hidden."""
    columns = [
        _("Month"),
        _("Active members"),
        _("Deployment rate (%)"),
        _("Transformation rate (%)"),
        "NPS",
        _("NPS responses (n)"),
        _("Low sample"),
    ]
    if metric_label is not None:
        columns.append(metric_label)
    rows = []
    for i in range(len(plain["month"])):
        rec = {column: values[i] for column, values in plain.items()}
        rates_cells = [hidden, hidden] if rec["suppressed"] else [rec["deployment"], rec["transformation"]]
        row = [rec["month"], rec["active"], *rates_cells, rec["nps"], rec["nps_n"], _("yes") if rec["nps_low"] else ""]
        if metric_label is not None:
            row.append(rec["metric"])
        rows.append(row)
    return columns, rows


def _rate_lines(fig: go.Figure, plain: dict) -> None:
    for key, name, color in (
        ("deployment", _("Deployment rate"), DEPLOYMENT_COLOR),
        ("transformation", _("Transformation rate"), TRANSFORMATION_COLOR),
    ):
        fig.add_scatter(
            x=plain["x"],
            y=plain[key],
            name=name,
            mode="lines+markers",
            line={"color": color, "width": 3},
            hovertemplate=f"{name}: %{{y:.1f}} %<extra></extra>",
        )


def _nps_line(fig: go.Figure, plain: dict) -> None:
    """NPS on the right axis, a low-sample month hollow and grey with n in its tooltip."""
    low = plain["nps_low"]
    fig.add_scatter(
        x=plain["x"],
        y=plain["nps"],
        name="NPS",
        yaxis="y2",
        mode="lines+markers",
        line={"color": NPS_COLOR, "width": 2, "dash": "dot"},
        marker={
            "size": 9,
            "symbol": ["circle-open" if is_low else "circle" for is_low in low],
            "color": [LOW_SAMPLE_COLOR if is_low else NPS_COLOR for is_low in low],
            "line": {"width": 2},
        },
        customdata=[[n, _("low sample") if is_low else ""] for n, is_low in zip(plain["nps_n"], low, strict=True)],
        hovertemplate="NPS: %{y:.1f} (n = %{customdata[0]}) %{customdata[1]}<extra></extra>",
    )


def _metric_line(fig: go.Figure, plain: dict, *, name: str, unit: str) -> None:
    fig.add_scatter(
        x=plain["x"],
        y=plain["metric"],
        name=name,
        yaxis="y3",
        mode="lines",
        line={"color": METRIC_COLOR, "width": 2},
        hovertemplate=f"{name}: %{{y:,.1f}} {unit}<extra></extra>",
    )


def _plan_markers(fig: go.Figure, plans: list[dict]) -> None:
    """A marker at the top of the chart at each plan's start; the plan in its tooltip."""
    fig.add_scatter(
        x=[p["start"].isoformat() for p in plans],
        y=[100] * len(plans),
        name=_("Action plans"),
        mode="markers",
        marker={"symbol": "triangle-down", "size": 12, "color": "#455a64"},
        customdata=[[p["title"], p["unit"], p["status"], p["end"].isoformat()] for p in plans],
        hovertemplate=(
            "%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<br>"
            + _("from %(start)s to %(end)s") % {"start": "%{x|%d %b %Y}", "end": "%{customdata[3]|%d %b %Y}"}
            + "<extra></extra>"
        ),
    )


def _plan_line(plan: dict) -> dict:
    """A dotted line down the chart at the plan's start, below the data."""
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": plan["start"].isoformat(),
        "x1": plan["start"].isoformat(),
        "y0": 0,
        "y1": 1,
        "layer": "below",
        "line": {"color": "#90a4ae", "width": 1, "dash": "dot"},
    }


def _hidden_rates_note(hidden: str) -> dict:
    return {
        "text": _("Rates: %(hidden)s") % {"hidden": hidden},
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1.02,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"color": "#616161"},
    }


# ---------------------------------------------------------------------------------------------
# The child units as bars (clicking one drills down)


def children_bars(*, rows: list[dict], min_group_size: int, language: str) -> Chart:
    """Deployment and transformation rate of each child unit over the span, horizontal bars; its
    CSV is the whole units table (rates, survey figures, their changes and significance).
    ``rows``: the table's rows (``TransformationDashboard.table``)."""
    title = _("Rates by unit")
    hidden = fewer_than(min_group_size)
    columns = [
        _("Unit"),
        _("Code"),
        _("Active members"),
        _("Deployment rate (%)"),
        _("Transformation rate (%)"),
        _("Deployment change (pts)"),
        _("Transformation change (pts)"),
    ]
    for kpi in ("NPS", "CSAT", "CES"):
        columns += [
            kpi,
            _("%(kpi)s responses (n)") % {"kpi": kpi},
            _("%(kpi)s low sample") % {"kpi": kpi},
            _("%(kpi)s change") % {"kpi": kpi},
            _("%(kpi)s change p-value") % {"kpi": kpi},
            _("%(kpi)s change significant (Benjamini-Hochberg 5%%)") % {"kpi": kpi},
        ]
    table = []
    for r in rows:
        if r["suppressed"]:
            rates = [hidden] * 4
        else:
            rates = [
                percent(r["deployment_rate"]),
                percent(r["transformation_rate"]),
                r["deployment_change"],
                r["transformation_change"],
            ]
        line = [r["name"], r["code"], r["active_members"], *rates]
        for key in ("nps", "csat", "ces"):
            line += [
                r[key],
                r[f"{key}_n"],
                _("yes") if r[f"{key}_low_sample"] else "",
                r[f"{key}_change"],
                r[f"{key}_p"],
                _("yes") if r[f"{key}_significant"] else "",
            ]
        table.append(line)
    if not rows:
        return Chart("children", title, None, columns, table, empty=_("No units below this one."))
    # Top to bottom in the table's order: Plotly draws the first category at the bottom.
    ordered = list(reversed(rows))
    names = [r["name"] for r in ordered]
    urls = [r["url"] for r in ordered]
    fig = go.Figure()
    for key, name, color in (
        ("deployment_rate", _("Deployment rate"), DEPLOYMENT_COLOR),
        ("transformation_rate", _("Transformation rate"), TRANSFORMATION_COLOR),
    ):
        fig.add_bar(
            y=names,
            x=[None if r["suppressed"] else percent(r[key]) for r in ordered],
            name=name,
            orientation="h",
            marker={"color": color},
            customdata=urls,
            hovertemplate=f"%{{y}}<br>{name}: %{{x:.1f}} %<extra></extra>",
        )
    annotations = [
        {"text": hidden, "x": 0, "y": r["name"], "xanchor": "left", "showarrow": False, "font": {"color": "#616161"}}
        for r in ordered
        if r["suppressed"]
    ]
    fig.update_layout(
        charts.layout(
            title,
            language=language,
            height=max(220, 110 + 44 * len(rows)),
            barmode="group",
            xaxis=charts.axis(_("Rate (%)"), range=[0, 100], ticksuffix=" %"),
            yaxis=charts.axis("", type="category", automargin=True),
            annotations=annotations,
        )
    )
    return Chart("children", title, charts.figure_json(fig), columns, table)


# ---------------------------------------------------------------------------------------------
# Mastery by dimension × unit


def mastery_heatmap(*, units: list[dict], share: str, min_group_size: int, language: str) -> Chart:
    """The known or mastered share (``share``: "known" | "mastered") of each dimension (rows) in
    each unit (columns) at the end of the span. ``units``: dicts with name, code, url, suppressed
    and dimensions (the ``rates_read`` row's list: code, name, known_share, mastered_share)."""
    title = _("Mastered share by dimension") if share == "mastered" else _("Known share by dimension")
    hidden = fewer_than(min_group_size)
    key = f"{share}_share"
    dimensions: dict[str, str] = {}
    for u in units:
        for d in u["dimensions"]:
            dimensions.setdefault(d["code"], d["name"])
    columns = [_("Unit"), _("Code"), _("Dimension"), _("Known share (%)"), _("Mastered share (%)")]
    rows = []
    for u in units:
        if u["suppressed"]:
            rows.append([u["name"], u["code"], "", hidden, hidden])
            continue
        for d in u["dimensions"]:
            rows.append([u["name"], u["code"], d["name"], percent(d["known_share"]), percent(d["mastered_share"])])
    note = _("Grey: %(hidden)s.") % {"hidden": hidden} if any(u["suppressed"] for u in units) else ""
    if not dimensions:
        empty = (
            hidden if units and all(u["suppressed"] for u in units) else _("No mastery figures for these units yet.")
        )
        return Chart("heatmap", title, None, columns, rows, empty=empty)
    frame = pd.DataFrame(
        [
            {"unit": u["name"], "dimension": d["code"], "value": percent(d[key])}
            for u in units
            if not u["suppressed"]
            for d in u["dimensions"]
        ],
        columns=["unit", "dimension", "value"],
    )
    grid = frame.pivot_table(index="dimension", columns="unit", values="value", aggfunc="first")
    unit_names = [u["name"] for u in units]
    grid = grid.reindex(index=list(dimensions), columns=unit_names)
    z = [[None if pd.isna(v) else float(v) for v in row] for row in grid.to_numpy()]
    y = [dimensions[code] for code in grid.index]
    # Hidden units' cells say why in the grey trace's tooltip: a long text here would make Plotly
    # shrink every cell's figure to fit it.
    text = [["" if z[i][j] is None else f"{z[i][j]:.0f}" for j in range(len(units))] for i in range(len(y))]
    urls = [[u["url"] for u in units] for _row in y]
    fig = go.Figure()
    fig.add_heatmap(
        x=unit_names,
        y=y,
        z=z,
        zmin=0,
        zmax=100,
        colorscale="YlGn",
        colorbar={"title": {"text": "%"}, "thickness": 12},
        text=text,
        texttemplate="%{text}",
        textfont={"size": 12},
        customdata=urls,
        hoverongaps=False,
        hovertemplate="%{x}<br>%{y}: %{z:.1f} %<extra></extra>",
        xgap=2,
        ygap=2,
    )
    if any(u["suppressed"] for u in units):
        # Greyed columns that say why, over the gaps the hidden units leave.
        fig.add_heatmap(
            x=unit_names,
            y=y,
            z=[[1 if u["suppressed"] else None for u in units] for _row in y],
            colorscale=[[0, SUPPRESSED_COLOR], [1, SUPPRESSED_COLOR]],
            showscale=False,
            # In the tooltip only: written in every cell it would shrink every cell's text.
            text=[[hidden if u["suppressed"] else "" for u in units] for _row in y],
            hovertemplate="%{x}: %{text}<extra></extra>",
            hoverongaps=False,
            xgap=2,
            ygap=2,
        )
    fig.update_layout(
        charts.layout(
            title,
            language=language,
            height=max(260, 120 + 46 * len(y)),
            xaxis=charts.axis(_("Unit"), type="category", tickangle=-30 if len(units) > 4 else 0, showgrid=False),
            yaxis=charts.axis(_("Dimension"), type="category", autorange="reversed", showgrid=False),
        )
    )
    return Chart("heatmap", title, charts.figure_json(fig), columns, rows, note=note)


# ---------------------------------------------------------------------------------------------
# Transformation against NPS, per team


def transformation_nps_scatter(*, teams: list[dict], min_group_size: int, language: str) -> Chart:
    """One point per team: its transformation rate at the end of the span against its NPS over the
    span. ``teams``: dicts with name, code, url, suppressed, transformation_rate, nps, nps_n,
    nps_low_sample. Suppressed teams are not placed (their rate is hidden): a note says how many."""
    title = _("Transformation and NPS by team")
    hidden = fewer_than(min_group_size)
    columns = [_("Team"), _("Code"), _("Transformation rate (%)"), "NPS", _("NPS responses (n)"), _("Low sample")]
    rows = [
        [
            t["name"],
            t["code"],
            hidden if t["suppressed"] else percent(t["transformation_rate"]),
            t["nps"],
            t["nps_n"],
            _("yes") if t["nps_low_sample"] else "",
        ]
        for t in teams
    ]
    placed = [t for t in teams if not t["suppressed"] and t["transformation_rate"] is not None and t["nps"] is not None]
    suppressed = sum(1 for t in teams if t["suppressed"])
    note = ""
    if suppressed:
        note = ngettext(
            "%(count)d team not placed: %(hidden)s.", "%(count)d teams not placed: %(hidden)s.", suppressed
        ) % {"count": suppressed, "hidden": hidden}
    if not placed:
        empty = _("No team has both a transformation rate and an NPS.")
        return Chart("scatter", title, None, columns, rows, empty=empty, note=note)
    fig = go.Figure()
    for low in (False, True):
        group = [t for t in placed if bool(t["nps_low_sample"]) == low]
        if not group:
            continue
        fig.add_scatter(
            x=[percent(t["transformation_rate"]) for t in group],
            y=[t["nps"] for t in group],
            name=_("Low sample (hollow)") if low else _("Teams"),
            mode="markers",
            marker={
                "size": 11,
                "symbol": "circle-open" if low else "circle",
                "color": LOW_SAMPLE_COLOR if low else TRANSFORMATION_COLOR,
                "line": {"width": 2},
                "opacity": 0.85,
            },
            text=[t["name"] for t in group],
            customdata=[[t["url"], t["nps_n"]] for t in group],
            hovertemplate=(
                "%{text}<br>"
                + _("Transformation rate")
                + ": %{x:.1f} %<br>NPS: %{y:.1f} (n = %{customdata[1]})<extra></extra>"
            ),
        )
    fig.update_layout(
        charts.layout(
            title,
            language=language,
            height=400,
            xaxis=charts.axis(_("Transformation rate (%)"), ticksuffix=" %", rangemode="tozero"),
            yaxis=charts.axis("NPS"),
        )
    )
    return Chart("scatter", title, charts.figure_json(fig), columns, rows, note=note)


# ---------------------------------------------------------------------------------------------
# The lag curve of the engine (kpis.engine.lag)


def lag_chart(*, result: dict, sentence: str, outcome_label: str, unit_label: str, language: str) -> Chart:
    """The effect of +10 points of transformation on the outcome at each delay k (the engine's
    curve: slope and 95 % interval), leads (k < 0, the placebo) greyed, the best lag highlighted;
    the engine's sentence under it."""
    title = _("Delay before transformation shows in %(outcome)s") % {"outcome": outcome_label}
    columns = [
        _("Delay (months)"),
        _("Effect per +10 points"),
        # xgettext:no-python-format
        _("95% interval, low"),
        # xgettext:no-python-format
        _("95% interval, high"),
        _("p-value"),
        _("Within-team r"),
        _("Team-months (n)"),
    ]
    curve = result.get("curve") or []
    rows = [[e["lag"], e["slope"], e["ci_low"], e["ci_high"], e["p_value"], e["r"], e["n"]] for e in curve]
    if not curve:
        return Chart("lag", title, None, columns, rows, empty=sentence, note=sentence)
    best = result.get("best_lag")
    colors = [
        LOW_SAMPLE_COLOR if e["lag"] < 0 else (NPS_COLOR if e["lag"] == best else TRANSFORMATION_COLOR) for e in curve
    ]
    effect = _("Effect per +10 points of transformation")
    y_title = _("%(unit)s per +10 pts") % {"unit": unit_label} if unit_label else effect
    fig = go.Figure()
    fig.add_scatter(
        x=[e["lag"] for e in curve],
        y=[e["slope"] for e in curve],
        mode="markers+lines",
        name=effect,
        line={"color": "#90a4ae", "width": 1},
        marker={"size": 11, "color": colors},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [e["ci_high"] - e["slope"] for e in curve],
            "arrayminus": [e["slope"] - e["ci_low"] for e in curve],
            "color": "#78909c",
            "thickness": 1.5,
            "width": 4,
        },
        customdata=[[e["ci_low"], e["ci_high"], e["n"]] for e in curve],
        hovertemplate=(
            _("Delay")
            + ": %{x}<br>"
            + _("Effect")
            + ": %{y:.2f} ("
            # xgettext:no-python-format
            + _("95% interval")
            + " %{customdata[0]:.2f} – %{customdata[1]:.2f})<br>n = %{customdata[2]}<extra></extra>"
        ),
        showlegend=False,
    )
    fig.update_layout(
        charts.layout(
            title,
            language=language,
            height=380,
            xaxis=charts.axis(_("Delay (months); below 0: placebo"), dtick=1, zeroline=False),
            yaxis=charts.axis(y_title),
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 0,
                    "y1": 0,
                    "line": {"color": "#616161", "width": 1, "dash": "dash"},
                }
            ],
        )
    )
    return Chart("lag", title, charts.figure_json(fig), columns, rows, note=sentence)
