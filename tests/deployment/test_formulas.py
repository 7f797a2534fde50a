"""SPEC §4's deployment rate, pinned by hand-computed values."""

import pytest

from kpis.engine import formulas


@pytest.mark.parametrize(
    ("coached", "active", "expected"),
    [(0, 10, 0.0), (3, 12, 0.25), (9, 12, 0.75), (12, 12, 1.0), (1, 3, 1 / 3), (0, 0, None)],
)
def test_coverage(coached, active, expected):
    assert formulas.coverage(coached, active) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("animations", "expected_per_month", "expected"),
    [(0, 4, 0.0), (1, 4, 0.25), (3, 4, 0.75), (4, 4, 1.0), (9, 4, 1.0), (2, 3, 2 / 3), (1, 1, 1.0)],
)
def test_cadence_is_capped_at_one(animations, expected_per_month, expected):
    assert formulas.cadence(animations, expected_per_month) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("coverage", "cadence", "weight", "expected"),
    [
        (0.75, 1.0, 0.5, 0.875),  # SPEC §8's example
        (0.5, 0.25, 0.5, 0.375),
        (0.5, 0.25, 0.8, 0.45),  # 0.8·0.5 + 0.2·0.25
        (1.0, 0.0, 0.0, 0.0),
        (1.0, 0.0, 1.0, 1.0),
        (None, 1.0, 0.5, None),
    ],
)
def test_deployment_rate(coverage, cadence, weight, expected):
    result = formulas.deployment_rate(coverage, cadence, weight)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_bad_parameters_raise():
    with pytest.raises(ValueError):
        formulas.cadence(1, 0)
    with pytest.raises(ValueError):
        formulas.deployment_rate(0.5, 0.5, 1.5)


@pytest.mark.parametrize(("levels", "expected"), [([], None), ([4], 4.0), ([1, 2, 4], 7 / 3)])
def test_mean_level(levels, expected):
    assert formulas.mean_level(levels) == (pytest.approx(expected) if expected is not None else None)
