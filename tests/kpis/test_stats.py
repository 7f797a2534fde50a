"""Significance of a KPI change, pinned on hand-computed cases, and the Benjamini–Hochberg
correction (a change significant alone that stops being so in a table)."""

import math
import random

import pytest
from scipy import stats as scipy_stats

from kpis.engine.stats import benjamini_hochberg, ces_change, csat_change, nps_change


def _nps(promoters, detractors, n):
    return {"promoters": promoters, "detractors": detractors, "nps_n": n}


def test_an_nps_rise_on_a_large_sample_is_significant():
    # Before: 40 promoters, 20 detractors of 100 → NPS 20, variance (0.4 + 0.2 − 0.2²) = 0.56,
    #   × 100² / 100 = 56. After: 110 and 30 of 200 → NPS 40, (0.55 + 0.15 − 0.4²) = 0.54, × 100² / 200 = 27.
    # z = 20 / √83 = 2.1953 → p = erfc(2.1953 / √2) = 0.0281.
    change = nps_change(_nps(40, 20, 100), _nps(110, 30, 200))
    assert change.delta == 20.0
    assert round(change.p_value, 4) == 0.0281
    assert change.significant


def test_the_same_nps_rise_on_a_small_sample_is_not():
    # After: 55 and 15 of 100 → NPS 40, variance 0.54 × 100 = 54; z = 20 / √110 = 1.9069 → p 0.0565.
    change = nps_change(_nps(40, 20, 100), _nps(55, 15, 100))
    assert round(change.p_value, 4) == 0.0565
    assert not change.significant


def test_csat_two_proportions():
    # 60/100 → 75/100: pooled 135/200 = 0.675; variance 0.675 × 0.325 × (1/100 + 1/100) = 0.0043875;
    # z = 0.15 / 0.066238 = 2.2646 → p = 0.0235.
    change = csat_change({"csat_top2": 60, "csat_n": 100}, {"csat_top2": 75, "csat_n": 100})
    assert change.delta == pytest.approx(15.0)
    assert round(change.p_value, 4) == 0.0235
    assert change.significant


def test_ces_welch_from_sums_of_squares_equals_scipy_on_the_raw_scores():
    rng = random.Random(1)
    a = [rng.randint(3, 7) for _ in range(40)]
    b = [rng.randint(1, 6) for _ in range(25)]

    def sums(xs):
        return {"ces_n": len(xs), "ces_sum": sum(xs), "ces_sq_sum": sum(x * x for x in xs)}

    change = ces_change(sums(a), sums(b))
    expected = scipy_stats.ttest_ind(b, a, equal_var=False)
    assert change.delta == pytest.approx(sum(b) / len(b) - sum(a) / len(a))
    assert change.p_value == pytest.approx(expected.pvalue)


def test_no_data_on_one_side_is_no_test():
    assert nps_change(_nps(0, 0, 0), _nps(5, 1, 10)).p_value is None
    assert not csat_change({}, {"csat_top2": 3, "csat_n": 4}).significant
    assert (
        ces_change({"ces_n": 1, "ces_sum": 5, "ces_sq_sum": 25}, {"ces_n": 3, "ces_sum": 9, "ces_sq_sum": 27}).p_value
        is None
    )


def test_benjamini_hochberg_keeps_what_survives_the_table():
    # m = 4 at 5%: sorted 0.01 ≤ 1 × 0.0125 ✓; 0.03 > 2 × 0.0125 = 0.025; 0.04 > 0.0375; 0.20 > 0.05.
    # The largest rank passing is 1: only 0.01 stays. 0.03 and 0.04 were significant alone.
    assert benjamini_hochberg([0.04, 0.01, 0.03, 0.20]) == [False, True, False, False]
    # 0.01, 0.02, 0.03 ≤ 0.0125, 0.025, 0.0375: all three; an untested cell is never a discovery.
    assert benjamini_hochberg([0.01, None, 0.02, 0.03]) == [True, False, True, True]
    assert benjamini_hochberg([]) == []
    assert math.isclose(0.0125, 1 * 0.05 / 4)
