"""Is a change of a survey KPI significant? Two-sided tests at 95% from the engine's sums, and the
Benjamini–Hochberg correction for a table of them. No Django here.

- NPS: z-test on the difference of two NPS, each with SPEC §4's variance
  (100² × (p + d − (p − d)²) / n).
- CSAT (top-2-box): two-proportion z-test with the pooled proportion.
- CES (a mean on 1–7): Welch's t-test from Σx and Σx².

Rates (deployment, transformation) are census figures over every active member, not samples: they
get no test.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import formulas

ALPHA = 0.05


@dataclass(frozen=True)
class Change:
    """The change from the previous period to this one, its two-sided p-value (None when it cannot
    be tested: a period without data, or a variance of zero on both sides) and whether it is
    significant at ``ALPHA``."""

    delta: float | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def _two_sided_normal(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def _g(sums: Mapping, key: str) -> int:
    return int(sums.get(key) or 0)


def nps_change(prev: Mapping, cur: Mapping) -> Change:
    n1, n2 = _g(prev, "nps_n"), _g(cur, "nps_n")
    if n1 == 0 or n2 == 0:
        return Change(None, None)
    a = formulas.nps(_g(prev, "promoters"), _g(prev, "detractors"), n1)
    b = formulas.nps(_g(cur, "promoters"), _g(cur, "detractors"), n2)
    v1 = formulas.nps_variance(_g(prev, "promoters"), _g(prev, "detractors"), n1) * 100**2 / n1
    v2 = formulas.nps_variance(_g(cur, "promoters"), _g(cur, "detractors"), n2) * 100**2 / n2
    delta = b - a
    if v1 + v2 <= 0:
        return Change(delta, None if delta == 0 else 0.0)
    return Change(delta, _two_sided_normal(delta / math.sqrt(v1 + v2)))


def csat_change(prev: Mapping, cur: Mapping) -> Change:
    n1, n2 = _g(prev, "csat_n"), _g(cur, "csat_n")
    if n1 == 0 or n2 == 0:
        return Change(None, None)
    x1, x2 = _g(prev, "csat_top2"), _g(cur, "csat_top2")
    delta = 100 * (x2 / n2 - x1 / n1)
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return Change(delta, None if delta == 0 else 0.0)
    return Change(delta, _two_sided_normal((x2 / n2 - x1 / n1) / math.sqrt(variance)))


def ces_change(prev: Mapping, cur: Mapping) -> Change:
    n1, n2 = _g(prev, "ces_n"), _g(cur, "ces_n")
    if n1 == 0 or n2 == 0:
        return Change(None, None)
    m1, m2 = _g(prev, "ces_sum") / n1, _g(cur, "ces_sum") / n2
    delta = m2 - m1
    v1 = formulas.sample_variance(_g(prev, "ces_sum"), _g(prev, "ces_sq_sum"), n1)
    v2 = formulas.sample_variance(_g(cur, "ces_sum"), _g(cur, "ces_sq_sum"), n2)
    if v1 is None or v2 is None:
        return Change(delta, None)
    se2 = v1 / n1 + v2 / n2
    if se2 <= 0:
        return Change(delta, None if delta == 0 else 0.0)
    t = delta / math.sqrt(se2)
    # Welch–Satterthwaite degrees of freedom.
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    from scipy import stats as scipy_stats  # here: scipy takes seconds to import in a web worker

    return Change(delta, 2 * scipy_stats.t.sf(abs(t), df))


KPI_CHANGES = {"nps": nps_change, "csat": csat_change, "ces": ces_change}


def benjamini_hochberg(p_values: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Which of the tests are discoveries at false discovery rate ``alpha`` (untested: False).

    Sort the m tested p-values, find the largest rank k with p₍ₖ₎ ≤ k·alpha/m, and reject the k
    smallest."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    keep = 0
    for rank, (p, _i) in enumerate(tested, start=1):
        if p <= rank * alpha / m:
            keep = rank
    rejected = {i for _p, i in tested[:keep]}
    return [i in rejected for i in range(len(p_values))]
