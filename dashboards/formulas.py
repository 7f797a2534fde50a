"""Roll-ups of team figures to business units, regions and the organization (SPEC §4), no Django."""

from collections.abc import Iterable


def weighted_mean(values_and_weights: Iterable[tuple[float | None, int]]) -> float | None:
    """The mean of team values weighted by their active member counts; teams without a value or
    without an active member are left out; None when no team is left."""
    pairs = [(v, w) for v, w in values_and_weights if v is not None and w > 0]
    total = sum(w for _v, w in pairs)
    if total == 0:
        return None
    return sum(v * w for v, w in pairs) / total
