"""Members' activity, latest levels and mastery series, computed in the database for whole lists (the
teams' month figures are the engine's: tests/dashboards/test_team_selectors.py)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxtracker.months import Month
from deployment.models import Observation, Rating
from deployment.selectors import latest_levels, member_month_activity
from tests.factories import make_member

PARIS = datetime.timezone(datetime.timedelta(hours=1))
MARCH = Month(2026, 3)


def _observe(org, member, when, model, levels: dict, observer=None):
    obs = Observation.objects.create(organization=org, member=member, observer=observer, observed_at=when, model=model)
    for behavior, level in levels.items():
        Rating.objects.create(
            organization=org, observation=obs, behavior=behavior, level=level, member=member, observed_at=when
        )
    return obs


def test_month_bounds_are_midnights_in_the_org_timezone(org):
    start, end = MARCH.bounds(org.tzinfo)
    assert start.isoformat() == "2026-03-01T00:00:00+01:00"
    assert end.astimezone(datetime.UTC).isoformat() == "2026-03-31T22:00:00+00:00"  # CEST from the 29th


def test_latest_levels_last_rating_wins_and_ties_go_to_the_last_created(org, tree, exp_model, behaviors):
    m1, m2 = make_member(org, tree["T1"]), make_member(org, tree["T1"])
    b1, b2 = behaviors["accueil-1"], behaviors["accueil-2"]
    t = datetime.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    _observe(org, m1, t, exp_model, {b1: 1, b2: 2})
    _observe(org, m1, t + datetime.timedelta(days=5), exp_model, {b1: 3})
    _observe(org, m1, t + datetime.timedelta(days=5), exp_model, {b1: 4})  # same moment, created later
    _observe(org, m1, t + datetime.timedelta(days=40), exp_model, {b2: 1})
    _observe(org, m2, t, exp_model, {b2: 3})
    with CaptureQueriesContext(connection) as queries:
        levels = latest_levels(members=[m1, m2], behaviors=[b1, b2], at=t + datetime.timedelta(days=30))
    assert len(queries) == 1
    assert levels == {(m1.pk, b1.pk): 4, (m1.pk, b2.pk): 2, (m2.pk, b2.pk): 3}
    assert latest_levels(members=[m1], behaviors=[b2])[(m1.pk, b2.pk)] == 1


def test_member_month_activity(org, tree, exp_model, behaviors):
    m1, m2 = make_member(org, tree["T1"]), make_member(org, tree["T1"])
    beh = behaviors["accueil-1"]
    _observe(org, m1, datetime.datetime(2026, 2, 10, tzinfo=PARIS), exp_model, {beh: 2})
    _observe(org, m1, datetime.datetime(2026, 3, 10, tzinfo=PARIS), exp_model, {beh: 2})
    _observe(org, m1, datetime.datetime(2026, 3, 12, tzinfo=PARIS), exp_model, {beh: 2})
    _observe(org, m2, datetime.datetime(2026, 2, 1, tzinfo=PARIS), exp_model, {beh: 2})
    _observe(org, m2, datetime.datetime(2026, 5, 1, tzinfo=PARIS), exp_model, {beh: 2})  # after the month
    activity = member_month_activity(org=org, members=[m1, m2], month=MARCH)
    assert activity[m1.pk].observations_in_month == 2
    assert activity[m1.pk].last_observed_at == datetime.datetime(2026, 3, 12, tzinfo=PARIS)
    assert activity[m2.pk].observations_in_month == 0
    assert activity[m2.pk].last_observed_at == datetime.datetime(2026, 2, 1, tzinfo=PARIS)


def test_member_mastery_series_keeps_the_latest_level_of_each_behavior(org, tree, exp_model, behaviors):
    from deployment.selectors import member_mastery_series

    m = make_member(org, tree["T1"])
    a1, a2, c1 = behaviors["accueil-1"], behaviors["accueil-2"], behaviors["conseil-1"]
    t = datetime.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    _observe(org, m, t, exp_model, {a1: 1, c1: 4})
    _observe(org, m, t + datetime.timedelta(days=7), exp_model, {a2: 3})
    _observe(org, m, t + datetime.timedelta(days=14), exp_model, {a1: 4})
    series = member_mastery_series(org=org, member=m)
    assert [p["observed_at"] for p in series] == [t + datetime.timedelta(days=d) for d in (0, 7, 14)]
    # scores: level 1 → 0, 3 → 2/3, 4 → 1
    assert [p["overall"] for p in series] == pytest.approx([0.5, (0 + 2 / 3 + 1) / 3, (1 + 2 / 3 + 1) / 3])
    assert series[1]["dimensions"] == pytest.approx({"Accueil": 1 / 3, "Conseil": 1.0})
    assert series[2]["dimensions"] == pytest.approx({"Accueil": (1 + 2 / 3) / 2, "Conseil": 1.0})
