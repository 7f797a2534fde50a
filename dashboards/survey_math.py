"""The KPI explorer's survey figures from summed survey counts, with no Django.

``kpis.engine.formulas.kpis`` gives NPS, CSAT and CES with their n and low-sample flags, and the NPS margin
of SPEC §4; the explorer also shows a 95 % margin for CSAT and CES, computed here the same way
(1.96 standard errors):

- CSAT (top-2-box share, in points): 1.96 × 100 × sqrt(p (1 − p) / n), p the top-2 share;
- CES (a mean on 1–7): 1.96 × s / sqrt(n), s the sample standard deviation from Σx and Σx²
  (none below two answers).

Figures are rounded as ``kpis.engine.reads.kpis_read`` rounds them (4 decimals), so that the explorer
shows exactly the engine's numbers.
"""

import math
from collections.abc import Mapping

from kpis.engine import formulas

Z = 1.96


def csat_margin_of_error(top2: int, n: int) -> float | None:
    if n <= 0:
        return None
    p = top2 / n
    return Z * 100 * math.sqrt(p * (1 - p) / n)


def ces_margin_of_error(total: float, squares: float, n: int) -> float | None:
    variance = formulas.sample_variance(total, squares, n)
    if variance is None:
        return None
    return Z * math.sqrt(variance / n)


def survey_figures(sums: Mapping[str, int], *, min_sample: int) -> dict:
    """``kpis.engine.formulas.kpis`` of the sums, rounded as ``kpis_read`` rounds them, plus
    ``csat_margin_of_error`` and ``ces_margin_of_error``."""
    g = {k: int(sums.get(k) or 0) for k in formulas.KPI_SUMS}
    figures = formulas.kpis(g, min_sample=min_sample)
    figures["csat_margin_of_error"] = csat_margin_of_error(g["csat_top2"], g["csat_n"])
    figures["ces_margin_of_error"] = ces_margin_of_error(g["ces_sum"], g["ces_sq_sum"], g["ces_n"])
    return {k: formulas.rounded(v) if isinstance(v, float) else v for k, v in figures.items()}
