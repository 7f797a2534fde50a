"""SPEC §4's arithmetic, in one place and with no Django: the database counts, this divides.

Snapshots hold additive sums (counts, sums, sums of squares); a team, a business unit, a region or
the organization is the same sums over more teams, and every ratio below turns sums into figures.
A figure with no data is ``None``, never 0 (SPEC §8).
"""

import math
from collections.abc import Iterable, Mapping

Z_95 = 1.959963984540054


# ---------------------------------------------------------------------------------------------
# Deployment rate


def coverage(coached_members: int, active_members: int) -> float | None:
    """Share of the active members with at least one observation or coaching in the month."""
    if active_members <= 0:
        return None
    return min(coached_members, active_members) / active_members


def cadence(animations: int, expected_per_month: int) -> float:
    """Animations held against the organization's target, capped at 1."""
    if expected_per_month <= 0:
        raise ValueError("expected_per_month must be positive")
    return min(1.0, animations / expected_per_month)


def deployment_rate(coverage_value: float | None, cadence_value: float | None, weight: float) -> float | None:
    """w·coverage + (1 − w)·cadence; no rate for a team without active members."""
    if coverage_value is None or cadence_value is None:
        return None
    if not 0 <= weight <= 1:
        raise ValueError("weight must be within [0, 1]")
    return weight * coverage_value + (1 - weight) * cadence_value


def weighted_mean(values_and_weights: Iterable[tuple[float | None, int]]) -> float | None:
    """The mean of team values weighted by their active member counts; teams without a value or
    without an active member are left out; None when no team is left."""
    pairs = [(v, w) for v, w in values_and_weights if v is not None and w > 0]
    total = sum(w for _v, w in pairs)
    if total == 0:
        return None
    return sum(v * w for v, w in pairs) / total


def rollup_cadence(cadence_weight: float, active_members: int) -> float | None:
    """Σ(active × cadence) / Σ active: the active-weighted mean of the teams' cadences."""
    if active_members <= 0:
        return None
    return cadence_weight / active_members


# ---------------------------------------------------------------------------------------------
# Transformation rate


def mean_level(levels: Iterable[int]) -> float | None:
    """The mean of mastery levels (a member's latest levels in one dimension), None when unrated."""
    levels = list(levels)
    if not levels:
        return None
    return sum(levels) / len(levels)


def transformation_rate(score_points: int, pairs: int) -> float | None:
    """The mean score over (member, behavior) pairs, from Σ(level − 1) over them (unrated: 0)."""
    if pairs <= 0:
        return None
    return score_points / 3 / pairs


def share(count: int, total: int) -> float | None:
    if total <= 0:
        return None
    return count / total


def mastery(sums: Mapping[str, int]) -> dict[str, float | None]:
    """The transformation rate and the shares from a snapshot's pair sums."""
    pairs = sums.get("pairs") or 0
    return {
        "transformation_rate": transformation_rate(sums.get("score_points") or 0, pairs),
        "assessed_share": share(sums.get("assessed") or 0, pairs),
        "known_share": share(sums.get("known") or 0, pairs),
        "mastered_share": share(sums.get("mastered") or 0, pairs),
    }


def deployment(sums: Mapping[str, float], *, weight: float) -> dict[str, float | None]:
    """Coverage, cadence and deployment rate of a group of teams from their summed snapshots.

    The active-weighted means of SPEC §4 are exactly these ratios: Σ coached / Σ active is the
    weighted mean of coverages, Σ(active × cadence) / Σ active that of cadences; teams with no
    active member weigh 0.
    """
    active = int(sums.get("active_members") or 0)
    cov = coverage(int(sums.get("coached_members") or 0), active)
    cad = rollup_cadence(float(sums.get("cadence_weight") or 0), active)
    return {"coverage": cov, "cadence": cad, "deployment_rate": deployment_rate(cov, cad, weight)}


# ---------------------------------------------------------------------------------------------
# Customer KPIs


def nps(promoters: int, detractors: int, n: int) -> float | None:
    if n <= 0:
        return None
    return 100 * (promoters - detractors) / n


def nps_variance(promoters: int, detractors: int, n: int) -> float | None:
    """Variance of one response's score on the −100/0/100 scale, over 100²: p + d − (p − d)²."""
    if n <= 0:
        return None
    p, d = promoters / n, detractors / n
    return p + d - (p - d) ** 2


def nps_margin_of_error(promoters: int, detractors: int, n: int) -> float | None:
    """95% margin: 1.96 × 100 × sqrt((p + d − (p − d)²) / n) (SPEC §4)."""
    variance = nps_variance(promoters, detractors, n)
    if variance is None:
        return None
    return 1.96 * 100 * math.sqrt(max(variance, 0.0) / n)


def csat(top2: int, n: int) -> float | None:
    """Top-2-box CSAT in %: responses with csat ≥ 4 over those with a csat."""
    if n <= 0:
        return None
    return 100 * top2 / n


def mean(total: float, n: int) -> float | None:
    if n <= 0:
        return None
    return total / n


def sample_variance(total: float, squares: float, n: int) -> float | None:
    """Unbiased variance from Σx and Σx² (None below 2 values)."""
    if n < 2:
        return None
    return max((squares - total * total / n) / (n - 1), 0.0)


def low_sample(n: int, minimum: int) -> bool:
    return n < minimum


KPI_SUMS = (
    "promoters",
    "detractors",
    "nps_n",
    "csat_n",
    "csat_top2",
    "csat_sum",
    "csat_sq_sum",
    "ces_n",
    "ces_sum",
    "ces_sq_sum",
    "ces_easy",
)


def kpis(sums: Mapping[str, int], *, min_sample: int) -> dict:
    """NPS, CSAT and CES with their n, margin and low-sample flags, from summed survey counts."""
    g = {k: int(sums.get(k) or 0) for k in KPI_SUMS}
    return {
        "nps": nps(g["promoters"], g["detractors"], g["nps_n"]),
        "nps_n": g["nps_n"],
        "nps_margin_of_error": nps_margin_of_error(g["promoters"], g["detractors"], g["nps_n"]),
        "nps_low_sample": low_sample(g["nps_n"], min_sample),
        "csat": csat(g["csat_top2"], g["csat_n"]),
        "csat_mean": mean(g["csat_sum"], g["csat_n"]),
        "csat_n": g["csat_n"],
        "csat_low_sample": low_sample(g["csat_n"], min_sample),
        "ces": mean(g["ces_sum"], g["ces_n"]),
        "ces_easy_share": share(g["ces_easy"], g["ces_n"]),
        "ces_n": g["ces_n"],
        "ces_low_sample": low_sample(g["ces_n"], min_sample),
    }


def csat_margin_of_error(top2: int, n: int) -> float | None:
    """95% margin of the top-2 share, in points: 1.96 × 100 × sqrt(p (1 − p) / n), as NPS's."""
    if n <= 0:
        return None
    p = top2 / n
    return 1.96 * 100 * math.sqrt(p * (1 - p) / n)


def ces_margin_of_error(total: float, squares: float, n: int) -> float | None:
    """95% margin of the mean CES: 1.96 × s / sqrt(n), s the sample standard deviation (none below
    two answers)."""
    variance = sample_variance(total, squares, n)
    if variance is None:
        return None
    return 1.96 * math.sqrt(variance / n)


def survey_figures(sums: Mapping[str, int], *, min_sample: int) -> dict:
    """``kpis`` with the CSAT and CES margins too, rounded as the read API rounds its figures: what
    the explorer and the steering report show."""
    g = {k: int(sums.get(k) or 0) for k in KPI_SUMS}
    figures = kpis(g, min_sample=min_sample)
    figures["csat_margin_of_error"] = csat_margin_of_error(g["csat_top2"], g["csat_n"])
    figures["ces_margin_of_error"] = ces_margin_of_error(g["ces_sum"], g["ces_sq_sum"], g["ces_n"])
    return {k: rounded(v) if isinstance(v, float) else v for k, v in figures.items()}


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
