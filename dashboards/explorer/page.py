"""What the explorer's page shows of its board: the tiles over the span, the trend of each figure
with its table, each breakdown's chart beside its table, and the links that switch the figure."""

from __future__ import annotations

from kpis.engine.surveys import BREAKDOWNS

from .board import ExplorerBoard
from .figures import kpi_name, period_label
from .forms import BREAKDOWN_LABELS, KPIS


def figures_context(board: ExplorerBoard, *, link) -> dict:
    """The page's figures; ``link(**changes)``: the page with its filters changed (the CSV
    downloads, the figure shown in the breakdowns)."""
    series = board.trend_series()
    sums = board.breakdown_sums()
    totals = board.totals(sums)
    return {
        "kind": board.kind,
        "kpi": board.kpi,
        "by": board.by,
        "totals": totals,
        "tiles": [_tile(totals, k) for k in KPIS],
        "has_data": any(totals[f"{k}_n"] for k in KPIS),
        "trends": [
            {"chart": board.chart(f"trend-{k}", series=series), "csv_url": link(csv=f"trend-{k}")} for k in KPIS
        ],
        "trend_rows": [
            {"series": label, "period": period_label(p, board.kind), "start": p.first_day, "f": f}
            for _value, label, figures_list in series
            for p, f in zip(board.periods, figures_list, strict=True)
        ],
        "breakdowns": [_breakdown(board, b, sums[b], link) for b in BREAKDOWNS],
        "kpi_links": [(k, k.upper(), link(kpi=None if k == "nps" else k)) for k in KPIS],
        "by_label": BREAKDOWN_LABELS[board.by] if board.by else "",
        "min_sample_size": board.min_sample,
        "charts": True,
    }


def _tile(totals: dict, kpi: str) -> dict:
    return {
        "key": kpi,
        "label": kpi_name(kpi),
        "value": totals[kpi],
        "n": totals[f"{kpi}_n"],
        "margin": totals[f"{kpi}_margin_of_error"],
        "low": totals[f"{kpi}_low_sample"],
    }


def _breakdown(board: ExplorerBoard, breakdown: str, sums: dict, link) -> dict:
    """One breakdown's chart and the table beside it, from the span's sums by its values."""
    rows = board.breakdown_rows(breakdown, sums)
    return {
        "key": breakdown,
        "label": BREAKDOWN_LABELS[breakdown],
        "chart": board.chart(breakdown, rows=rows),
        "rows": [{"value": v, "label": label, "f": f} for v, label, f in rows],
        "csv_url": link(csv=breakdown),
        "filtered": breakdown in board.filters,
    }
