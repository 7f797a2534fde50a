"""The before/after-versus-comparable-teams figure of a finished action plan, on hand-computed cases:
the arithmetic (steering.plan_effect) and the whole read from survey responses through the engine's
snapshots (steering.selectors.action_plan_effect)."""

import datetime

import pytest
from django.utils import timezone

from cxtracker.months import Month
from kpis.engine.recompute import snapshots_recompute
from kpis.models import SurveyResponse
from steering import plan_effect
from steering.selectors import action_plan_effect
from steering.services import action_plan_create
from tests.factories import make_unit

D = datetime.date


# --- windows -----------------------------------------------------------------------------------


def test_windows_are_the_plans_length_before_its_start_and_after_its_completion():
    # 15 Jan → 20 Feb spans January and February: L = 2. Before: the two whole months before
    # January; after: the two whole months after February (it ended on the 20th).
    w = plan_effect.plan_windows(D(2026, 1, 15), D(2026, 2, 20), last_closed=Month(2026, 12))
    assert (w.length, [str(m) for m in w.before], [str(m) for m in w.after]) == (
        2,
        ["2025-11", "2025-12"],
        ["2026-03", "2026-04"],
    )


def test_windows_are_capped_at_three_months_and_start_on_a_completion_on_the_first():
    # January to May spans five months, capped at 3; done on 1 May: May is wholly after the plan.
    w = plan_effect.plan_windows(D(2026, 1, 10), D(2026, 5, 1), last_closed=Month(2026, 6))
    assert [str(m) for m in w.before] == ["2025-10", "2025-11", "2025-12"]
    assert [str(m) for m in w.planned_after] == ["2026-05", "2026-06", "2026-07"]
    # July is not over yet: two of the three after months count.
    assert ([str(m) for m in w.after], w.complete) == (["2026-05", "2026-06"], False)


# --- arithmetic --------------------------------------------------------------------------------


def nps_sums(promoters, detractors, n):
    return {"promoters": promoters, "detractors": detractors, "nps_n": n}


def test_nps_difference_in_differences_with_its_interval():
    effect = plan_effect.survey_effect(
        "nps",
        (nps_sums(2, 5, 10), nps_sums(5, 2, 10)),
        [
            (nps_sums(6, 8, 20), nps_sums(8, 6, 20)),
            (nps_sums(4, 4, 10), nps_sums(5, 3, 10)),
            # No response after: left out of both windows.
            (nps_sums(9, 0, 10), nps_sums(0, 0, 0)),
        ],
    )
    # Plan: before 100 × (2 − 5) / 10 = −30, after 100 × (5 − 2) / 10 = +30: +60.
    assert (effect.plan_before.value, effect.plan_after.value, effect.plan_change) == (-30.0, 30.0, 60.0)
    # Comparison, pooled over two units: before 10 promoters, 12 detractors of 30 → −6.667;
    # after 13 and 9 of 30 → +13.333: +20.
    assert effect.comparison_units == 2
    assert effect.comparison_before.value == pytest.approx(-6.666667, abs=1e-6)
    assert effect.comparison_after.value == pytest.approx(13.333333, abs=1e-6)
    assert effect.comparison_change == pytest.approx(20.0)
    # The plan's change beyond the comparison's: 60 − 20 = 40 NPS points.
    assert effect.effect == pytest.approx(40.0)
    # Variances 100² × (p + d − (p − d)²) / n:
    #   plan before  p .2, d .5:      (.7 − .09) = .61       → 10⁴ × .61 / 10 = 610
    #   plan after   p .5, d .2:      .61                    → 610
    #   comp before  p 1/3, d .4:     .7333 − .0044 = .7289  → 10⁴ × .7289 / 30 = 242.963
    #   comp after   p 13/30, d .3:   .7333 − .0178 = .7156  → 238.519
    # sum 1701.481, se 41.249, 1.96 × se = 80.847: 40 ± 80.85.
    assert effect.standard_error == pytest.approx(41.2490, abs=1e-4)
    assert (effect.ci_low, effect.ci_high) == (pytest.approx(-40.8466, abs=1e-4), pytest.approx(120.8466, abs=1e-4))
    assert not effect.significant


def test_csat_and_ces_estimates_and_their_variances():
    # CSAT 5, 4, 2, 1: top-2 2 of 4 = 50%, variance 10⁴ × .5 × .5 / 4 = 625.
    csat = plan_effect.survey_estimate("csat", {"csat_n": 4, "csat_top2": 2, "csat_sum": 12, "csat_sq_sum": 46})
    assert (csat.value, csat.variance, csat.n) == (50.0, 625.0, 4)
    # CES 3, 5, 7: mean 5, s² = (83 − 15² / 3) / 2 = 4, variance of the mean 4 / 3.
    ces = plan_effect.survey_estimate("ces", {"ces_n": 3, "ces_sum": 15, "ces_sq_sum": 83})
    assert (ces.value, ces.variance) == (5.0, pytest.approx(4 / 3))


def test_census_effect_is_the_change_of_means_without_interval():
    effect = plan_effect.census_effect(
        ([0.2, 0.3], [0.5, 0.6]),
        [([0.3, 0.3], [0.4, 0.4]), ([0.1, None], [None, None])],
    )
    # Plan .25 → .55: +.30; the one comparison unit with both windows .3 → .4: +.10; effect +.20.
    assert effect.plan_change == pytest.approx(0.30)
    assert (effect.comparison_units, effect.comparison_change) == (1, pytest.approx(0.10))
    assert effect.effect == pytest.approx(0.20)
    assert (effect.standard_error, effect.ci_low) == (None, None)


# --- the whole read, from responses ------------------------------------------------------------

PROMOTER, PASSIVE, DETRACTOR = 9, 7, 3


def respond(org, team, month: str, promoters, detractors, passives=0):
    start = Month.parse(month).bounds(org.tzinfo)[0] + datetime.timedelta(days=3, hours=10)
    scores = [PROMOTER] * promoters + [DETRACTOR] * detractors + [PASSIVE] * passives
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organization=org,
            external_id=f"{team.code}-{month}-{i}",
            unit=team,
            responded_at=start + datetime.timedelta(minutes=i),
            nps=score,
        )
        for i, score in enumerate(scores)
    )


def test_a_done_plan_against_the_business_units_other_teams_without_a_plan(org, tree):
    t1, t2, b = tree["T1"], tree["T2"], tree["B"]
    t4 = make_unit(org, "team", b, code="T4")
    t5 = make_unit(org, "team", b, code="T5")
    # April to May: L = 2; before February–March, after June–July (done on 31 May).
    plan = action_plan_create(
        org=org,
        title="Accueil",
        unit=t1,
        target_kpi="nps",
        status="done",
        start_on=D(2025, 4, 1),
        due_on=D(2025, 5, 31),
        done_on=D(2025, 5, 31),
    )
    # T1: before 2 P, 5 D of 10; after 5 P, 2 D of 10. April, during the plan, does not count.
    respond(org, t1, "2025-02", 1, 3, 1)
    respond(org, t1, "2025-03", 1, 2, 2)
    respond(org, t1, "2025-04", 0, 10)
    respond(org, t1, "2025-06", 3, 1, 1)
    respond(org, t1, "2025-07", 2, 1, 2)
    # T2: before 6 P, 8 D of 20; after 8 P, 6 D of 20.
    respond(org, t2, "2025-02", 3, 4, 3)
    respond(org, t2, "2025-03", 3, 4, 3)
    respond(org, t2, "2025-06", 4, 3, 3)
    respond(org, t2, "2025-07", 4, 3, 3)
    # T4: before 4 P, 4 D of 10; after 5 P, 3 D of 10. Its plan on CSAT does not exclude it from NPS.
    respond(org, t4, "2025-02", 4, 4, 2)
    respond(org, t4, "2025-07", 5, 3, 2)
    action_plan_create(org=org, title="CSAT", unit=t4, target_kpi="csat", start_on=D(2025, 5, 1), due_on=D(2025, 6, 1))
    # T5 had its own NPS plan over those months: not a team "without a plan", whatever its figures.
    respond(org, t5, "2025-02", 0, 10)
    respond(org, t5, "2025-07", 10, 0)
    action_plan_create(
        org=org, title="T5", unit=t5, target_kpi="nps.journey=purchase", start_on=D(2025, 6, 1), due_on=D(2025, 9, 1)
    )
    # T3 is in another business unit.
    respond(org, tree["T3"], "2025-02", 0, 10)
    respond(org, tree["T3"], "2025-07", 10, 0)
    snapshots_recompute(org=org, months=Month.range(Month(2025, 1), Month(2025, 8)))

    result = action_plan_effect(plan=plan, today=D(2025, 9, 15))

    assert result.reason is None
    assert (result.kind, result.target) == ("survey", "nps")
    assert [str(m) for m in result.windows.before] == ["2025-02", "2025-03"]
    assert [str(m) for m in result.windows.after] == ["2025-06", "2025-07"]
    assert [u.code for u in result.comparison] == ["T2", "T4"]
    assert [u.code for u in result.excluded] == ["T5"]
    effect = result.effect
    # The hand-computed case above: −30 → +30 against −6.667 → +13.333, effect 40 ± 80.85.
    assert (effect.plan_before.value, effect.plan_after.value) == (-30.0, 30.0)
    assert (effect.plan_before.n, effect.comparison_before.n) == (10, 30)
    assert effect.comparison_change == pytest.approx(20.0)
    assert effect.effect == pytest.approx(40.0)
    assert (effect.ci_low, effect.ci_high) == (pytest.approx(-40.8466, abs=1e-4), pytest.approx(120.8466, abs=1e-4))


def test_no_figure_before_the_plan_is_done_or_before_a_month_after_it_is_over(org, tree):
    kwargs = {"org": org, "title": "P", "unit": tree["T1"], "target_kpi": "nps", "start_on": D(2025, 4, 1)}
    running = action_plan_create(**kwargs, due_on=D(2025, 6, 1), status="in_progress")
    assert action_plan_effect(plan=running).reason == "not_done"
    today = timezone.localdate()
    done = action_plan_create(**{**kwargs, "start_on": today}, due_on=today, status="done", done_on=today)
    assert action_plan_effect(plan=done, today=today).reason == "too_early"
