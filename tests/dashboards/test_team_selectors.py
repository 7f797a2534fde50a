"""The team pages' month summary: the engine's deployment figures counted live (SPEC §4), pinned by
hand on members who join, leave and are observed around the month's edges in the organization's
timezone; one read for a page of teams, whatever their number."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxtracker.months import Month
from cxtracker.tenancy.models import Membership
from dashboards.teams.selectors import team_month_rates
from deployment.services import animation_create, observation_create
from tests.factories import make_member

PARIS = datetime.timezone(datetime.timedelta(hours=1))
MARCH = Month(2026, 3)


def _observe(org, member, observer, when, behavior):
    observation_create(
        org=org, member=member, observer=observer, observed_at=when, kind="coaching", ratings={behavior: 2}
    )


def test_team_month_rates_hand_computed(org, tree, exp_model, behaviors, admin):
    org.rate_weight = Decimal("0.6")
    org.expected_animations_per_month = 4
    org.save()
    t1, t2, t3 = tree["T1"], tree["T2"], tree["T3"]
    a, b, c = (make_member(org, t1, active_from=datetime.date(2025, 1, 1)) for _ in range(3))
    make_member(org, t1, active_from=datetime.date(2026, 4, 1))  # joins after March: not active
    gone = make_member(org, t1, active_from=datetime.date(2025, 1, 1), active_to=datetime.date(2026, 3, 5))
    d = make_member(org, t2, active_from=datetime.date(2025, 1, 1))
    beh = behaviors["accueil-1"]
    _observe(org, a, admin, datetime.datetime(2026, 3, 10, 10, tzinfo=PARIS), beh)
    _observe(org, a, admin, datetime.datetime(2026, 3, 20, 10, tzinfo=PARIS), beh)  # still one member
    _observe(org, gone, admin, datetime.datetime(2026, 3, 2, 10, tzinfo=PARIS), beh)
    # 2026-03-01 00:30 Paris is Feb 28 23:30 UTC: counted in March.
    _observe(org, b, admin, datetime.datetime(2026, 2, 28, 23, 30, tzinfo=datetime.UTC), beh)
    # 2026-02-28 23:30 Paris: February.
    _observe(org, c, admin, datetime.datetime(2026, 2, 28, 23, 30, tzinfo=PARIS), beh)
    _observe(org, d, admin, datetime.datetime(2026, 4, 1, 10, tzinfo=PARIS), beh)
    for team, n in ((t1, 3), (t2, 6)):
        for _ in range(n):
            animation_create(
                org=org,
                team=team,
                held_by=admin,
                held_at=datetime.datetime(2026, 3, 3, 9, tzinfo=PARIS),
                kind="briefing",
            )
    membership = Membership.objects.select_related("organization").get(user=admin, organization=org)

    with CaptureQueriesContext(connection) as one_team:
        team_month_rates(membership=membership, teams=[t1], month=MARCH)
    with CaptureQueriesContext(connection) as queries:
        summary = team_month_rates(membership=membership, teams=[t1, t2, t3], month=MARCH)
    # A page of teams is one read: as many queries for three teams as for one.
    assert len(queries) == len(one_team)

    s1 = summary[t1.pk]
    # active: a, b, c, gone = 4; coached: a, gone, b = 3
    assert (s1["active_members"], s1["coached_members"], s1["animations"]) == (4, 3, 3)
    assert s1["coverage"] == pytest.approx(0.75)
    assert s1["cadence"] == pytest.approx(0.75)
    assert s1["deployment_rate"] == pytest.approx(0.6 * 0.75 + 0.4 * 0.75)
    s2 = summary[t2.pk]
    assert (s2["active_members"], s2["coached_members"], s2["coverage"], s2["cadence"]) == (1, 0, 0.0, 1.0)
    assert s2["deployment_rate"] == pytest.approx(0.4)
    s3 = summary[t3.pk]
    assert (s3["active_members"], s3["coverage"], s3["deployment_rate"]) == (0, None, None)
    assert not any(s["suppressed"] for s in summary.values())  # an admin sees every team whole
