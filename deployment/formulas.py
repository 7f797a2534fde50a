"""The deployment rate's arithmetic (SPEC §4), with no Django: the database counts, this divides.

A figure with no data is ``None``, never 0 (SPEC §8): a team with no active member has no coverage.
"""

from collections.abc import Iterable


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


def deployment_rate(coverage_value: float | None, cadence_value: float, weight: float) -> float | None:
    """w·coverage + (1 − w)·cadence; no rate for a team without active members."""
    if coverage_value is None:
        return None
    if not 0 <= weight <= 1:
        raise ValueError("weight must be within [0, 1]")
    return weight * coverage_value + (1 - weight) * cadence_value


def mean_level(levels: Iterable[int]) -> float | None:
    """The mean of mastery levels (a member's latest levels in one dimension), None when unrated."""
    levels = list(levels)
    if not levels:
        return None
    return sum(levels) / len(levels)


def level_score(level: int) -> float:
    """A mastery level 1–4 as a score in [0, 1]: (level − 1) / 3."""
    return (level - 1) / 3
