"""The board's tiles and units table: each figure over the span against the previous span.

Rates are a census of the active members: their change is shown without a test, and never against
a hidden previous figure (it would give the figure away). Survey figures are samples: their change
is tested, and in the table corrected for every test of the table at once.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from cxtracker import charts
from cxtracker.tenancy.models import OrgUnit
from kpis.engine import stats

from .reads import BoardReads

SURVEY_KPIS = ("nps", "csat", "ces")
SURVEY_LABELS = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def board_tiles(reads: BoardReads) -> list[dict]:
    """The unit's deployment and transformation rates, then its NPS, CSAT and CES."""
    cur, prev = reads.rates(reads.unit, reads.span), reads.rates(reads.unit, reads.previous)
    return [
        _rate_tile("deployment_rate", _("Deployment rate"), cur, prev),
        _rate_tile("transformation_rate", _("Transformation rate"), cur, prev),
        *(_survey_tile(reads, key) for key in SURVEY_KPIS),
    ]


def _rate_tile(key: str, label: str, cur: dict, prev: dict) -> dict:
    return {
        "key": key,
        "label": label,
        "kind": "rate",
        "value": charts.percent(cur[key]),
        "previous": charts.percent(prev[key]),
        "delta": rate_change(cur, prev, key),
        "suppressed": cur["suppressed"],
        "active_members": cur["active_members"],
    }


def _survey_tile(reads: BoardReads, key: str) -> dict:
    k_cur, k_prev = reads.kpis(reads.unit, reads.span), reads.kpis(reads.unit, reads.previous)
    change = survey_change(key, reads.sums(reads.unit, reads.previous), reads.sums(reads.unit, reads.span))
    return {
        "key": key,
        "label": SURVEY_LABELS[key],
        "kind": "survey",
        "value": k_cur[key],
        "previous": k_prev[key],
        "n": k_cur[f"{key}_n"],
        "low_sample": k_cur[f"{key}_low_sample"],
        "margin": k_cur.get("nps_margin_of_error") if key == "nps" else None,
        "mean": k_cur.get("csat_mean") if key == "csat" else None,
        "easy_share": charts.percent(k_cur.get("ces_easy_share")) if key == "ces" else None,
        "delta": change["delta"],
        "p_value": change["p"],
        "significant": change["significant"],
    }


def units_table(reads: BoardReads, columns: list[OrgUnit], *, url_for, sort: str) -> list[dict]:
    """One row per compared unit, with the significance of its survey changes corrected for the
    whole table at once (Benjamini–Hochberg at 5 % over every test of the table), sorted by
    ``sort`` (``sort_rows``)."""
    rows = [_table_row(reads, unit, url_for(unit)) for unit in columns]
    tests = [(row, key) for row in rows for key in SURVEY_KPIS]
    flags = stats.benjamini_hochberg([row[f"{key}_p"] for row, key in tests])
    for (row, key), flag in zip(tests, flags, strict=True):
        row[f"{key}_significant"] = bool(flag)
    return sort_rows(rows, sort)


def _table_row(reads: BoardReads, unit: OrgUnit, url: str) -> dict:
    cur, prev = reads.rates(unit, reads.span), reads.rates(unit, reads.previous)
    k_cur = reads.kpis(unit, reads.span)
    monthly = [reads.rates(unit, m) for m in reads.months]
    row = {
        "unit": unit,
        "name": unit.name,
        "code": unit.code,
        "kind": unit.kind,
        "url": url,
        "suppressed": cur["suppressed"],
        "active_members": cur["active_members"],
        "deployment_rate": cur["deployment_rate"],
        "transformation_rate": cur["transformation_rate"],
        "deployment_pct": charts.percent(cur["deployment_rate"]),
        "transformation_pct": charts.percent(cur["transformation_rate"]),
        "deployment_change": rate_change(cur, prev, "deployment_rate"),
        "transformation_change": rate_change(cur, prev, "transformation_rate"),
        "transformation_spark": None
        if cur["suppressed"]
        else sparkline([None if r["suppressed"] else r["transformation_rate"] for r in monthly]),
        "nps_spark": sparkline([reads.kpis(unit, m)["nps"] for m in reads.months]),
    }
    for key in SURVEY_KPIS:
        change = survey_change(key, reads.sums(unit, reads.previous), reads.sums(unit, reads.span))
        row[key] = k_cur[key]
        row[f"{key}_n"] = k_cur[f"{key}_n"]
        row[f"{key}_low_sample"] = k_cur[f"{key}_low_sample"]
        row[f"{key}_change"] = change["delta"]
        row[f"{key}_p"] = change["p"]
    row["nps_margin"] = k_cur["nps_margin_of_error"]
    return row


def rate_change(cur: dict, prev: dict, key: str) -> float | None:
    """The change of a rate in percentage points; none against a hidden previous figure."""
    if prev["suppressed"] or cur[key] is None or prev[key] is None:
        return None
    return round(100 * (cur[key] - prev[key]), 2)


def survey_change(key: str, prev: dict, cur: dict) -> dict:
    """The change of a survey figure between two spans' sums and its test (``stats.KPI_CHANGES``),
    as plain Python for the template and JSON (scipy answers numpy scalars)."""
    change = stats.KPI_CHANGES[key](prev, cur)
    return {
        "delta": None if change.delta is None else round(change.delta, 2),
        "p": None if change.p_value is None else float(change.p_value),
        "significant": bool(change.significant),
    }


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """Rows sorted by a column (``-`` in front: descending); units without the figure (none, or
    suppressed) always last, then by name."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    field = {
        "name": "name",
        "members": "active_members",
        "deployment": "deployment_rate",
        "transformation": "transformation_rate",
    }.get(key, key)

    def value(row):
        if field in ("deployment_rate", "transformation_rate") and row["suppressed"]:
            return None
        return row.get(field)

    by_name = sorted(rows, key=lambda r: (r["name"].casefold(), r["code"]))
    present = [r for r in by_name if value(r) is not None]
    missing = [r for r in by_name if value(r) is None]
    if field == "name":
        present.sort(key=lambda r: (r["name"].casefold(), r["code"]), reverse=descending)
    else:
        present.sort(key=value, reverse=descending)
    return present + missing


def sparkline(values: list[float | None], *, width: int = 72, height: int = 20) -> dict | None:
    """An inline SVG sparkline of a monthly series: polyline segments (gaps where a month has no
    figure) and the last point. None when fewer than two months have a figure."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None
    low, high = min(known), max(known)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    step = width / max(len(values) - 1, 1)
    segments, current, last = [], [], None
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x, y = round(i * step, 1), round(height - 2 - (v - low) / (high - low) * (height - 4), 1)
        current.append(f"{x},{y}")
        last = (x, y)
    if current:
        segments.append(" ".join(current))
    return {"width": width, "height": height, "segments": segments, "last": last}
