"""The organization the steering report tests read (tests/dashboards/test_report*.py).

Months: the report's month ``M`` = March 2026, the previous ``P`` = February 2026, the year before
``Y`` = March 2025. Tree (tests.factories.make_tree): R → B → T1, T2; R2 → B2 → T3.

- T1, 6 members: 100 responses in P (30 promoters, 30 detractors: NPS 0), 100 in M (50 / 25:
  NPS 25), 100 in Y (10 / 60: NPS −50). CSAT and CES the same in P and M (half 5 / half 3, half
  6 / half 4). In M, 70 hot (``event``) and 30 cold (``periodic``) responses, journeys ``achat``
  (the first 60) and ``sav``. Three members rated level 3 on one behavior in M.
- T2, 6 members: 20 responses in M (all 9); two members rated level 2 in P.
- T3, 3 members (a small group: hidden from the readers above the managers): 10 responses in M
  (all 0).
- Revenue in M: T1 1,000, T3 3,000.

The NPS change of T1 from P to M has p ≈ 0.028: significant alone, not after Benjamini–Hochberg
among four tests (NPS vs Y, whose p is tiny, ranks first; 0.028 > 2 × 0.05 / 4).
"""

import datetime

from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from deployment.services import observation_create
from experience.models import Behavior
from kpis.engine.recompute import snapshots_recompute
from kpis.models import Metric, MetricValue, SurveyResponse
from kpis.services import metrics_seed_defaults
from steering.services import action_plan_create, stakeholder_create
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member, make_membership, make_org, make_tree, make_user

M, P, Y = Month(2026, 3), Month(2026, 2), Month(2025, 3)
PASSWORD = "correct horse battery"


def _at(org, month: Month, day: int = 10) -> datetime.datetime:
    return datetime.datetime(month.year, month.month, day, 12, 0, tzinfo=org.tzinfo)


def _responses(org, team, month, scores, *, prefix, csat=None, ces=None, triggers=None, journeys=None):
    rows = []
    for i, nps in enumerate(scores):
        rows.append(
            SurveyResponse(
                organization=org,
                external_id=f"{prefix}-{i}",
                unit=team,
                responded_at=_at(org, month, 1 + i % 27),
                nps=nps,
                csat=csat[i] if csat else None,
                ces=ces[i] if ces else None,
                trigger=triggers[i] if triggers else "",
                journey=journeys[i] if journeys else "",
            )
        )
    SurveyResponse.objects.bulk_create(rows)


def build(slug="acme") -> dict:
    org = make_org(slug, "Acme Retail")
    tree = make_tree(org)
    make_experience_model(org, dimensions=(("accueil", 2), ("conseil", 2)))
    behaviors = {b.code: b for b in Behavior.objects.filter(organization=org)}
    metrics_seed_defaults(org=org)
    members = {
        team: [make_member(org, tree[team], code=f"{team}-{i}") for i in range(n)]
        for team, n in (("T1", 6), ("T2", 6), ("T3", 3))
    }
    w = {"org": org, "tree": tree, "members": members}

    users = {}
    for key, role in (
        ("admin", Role.ADMIN),
        ("executive", Role.EXECUTIVE),
        ("steering_a", Role.STEERING),
        ("steering_b", Role.STEERING),
        ("manager", Role.MANAGER),
    ):
        users[key] = make_user(f"{key}@{slug}.example.com", password=PASSWORD, first_name=key.title())
        make_membership(users[key], org, role, units=[tree["T1"]] if role == Role.MANAGER else ())
    w.update(users)

    observer = users["admin"]
    for member in members["T1"][:3]:
        observation_create(
            org=org,
            member=member,
            observer=observer,
            observed_at=_at(org, M, 5),
            kind="observation",
            ratings={behaviors["accueil-1"]: 3},
        )
    for member in members["T2"][:2]:
        observation_create(
            org=org,
            member=member,
            observer=observer,
            observed_at=_at(org, P, 5),
            kind="observation",
            ratings={behaviors["accueil-1"]: 2},
        )

    half = [5] * 50 + [3] * 50
    ces = [6] * 50 + [4] * 50
    _responses(org, tree["T1"], P, [10] * 30 + [3] * 30 + [8] * 40, prefix="t1p", csat=half, ces=ces)
    _responses(
        org,
        tree["T1"],
        M,
        [10] * 50 + [3] * 25 + [8] * 25,
        prefix="t1m",
        csat=half,
        ces=ces,
        triggers=["event"] * 70 + ["periodic"] * 30,
        journeys=["achat"] * 60 + ["sav"] * 40,
    )
    _responses(org, tree["T1"], Y, [10] * 10 + [3] * 60 + [8] * 30, prefix="t1y")
    _responses(org, tree["T2"], M, [9] * 20, prefix="t2m")
    _responses(org, tree["T3"], M, [0] * 10, prefix="t3m")

    revenue = Metric.objects.for_org(org).get(code="revenue")
    for team, value in (("T1", 1000.0), ("T3", 3000.0)):
        MetricValue.objects.create(
            organization=org, metric=revenue, unit=tree[team], period_start=M.first_day, value=value
        )

    snapshots_recompute(org=org, months=Month.range(Y, M))

    w["a"] = stakeholder_create(
        org=org, code="sh-a", name="Alpha", users=[users["steering_a"]], units=[tree["T1"]], flagship_kpi="nps"
    )
    w["b"] = stakeholder_create(
        org=org,
        code="sh-b",
        name="Beta",
        users=[users["steering_b"], users["manager"]],
        units=[tree["T1"]],
        flagship_kpi="nps",
        kpis_for_action=["csat", "transformation_rate", "nps.journey=achat", "nps"],
        kpis_for_information=["ces", "deployment_rate", "revenue"],
    )
    w["c"] = stakeholder_create(
        org=org,
        code="sh-c",
        name="Gamma",
        units=[tree["T1"], tree["T3"]],
        flagship_kpi="nps",
        kpis_for_action=["transformation_rate"],
        kpis_for_information=["revenue"],
    )
    w["org_wide"] = stakeholder_create(
        org=org, code="sh-org", name="Whole", flagship_kpi="nps", kpis_for_action=["transformation_rate", "csat"]
    )

    def plan(key, unit, target, status, start, due, done=None):
        w[key] = action_plan_create(
            org=org,
            external_id=key,
            title=f"Plan {key}",
            unit=tree[unit],
            owner=users["admin"],
            target_kpi=target,
            status=status,
            start_on=start,
            due_on=due,
            done_on=done,
        )

    plan("plan-t1-nps", "T1", "nps", "in_progress", datetime.date(2026, 1, 5), datetime.date(2026, 2, 20))
    plan("plan-t3-nps", "T3", "nps", "planned", datetime.date(2026, 3, 1), datetime.date(2026, 6, 30))
    plan("plan-t1-csat", "T1", "csat", "in_progress", datetime.date(2026, 1, 5), datetime.date(2026, 6, 30))
    plan("plan-t1-dropped", "T1", "nps", "dropped", datetime.date(2026, 1, 5), datetime.date(2026, 6, 30))
    plan(
        "plan-t1-old",
        "T1",
        "nps",
        "done",
        datetime.date(2024, 1, 5),
        datetime.date(2024, 3, 1),
        datetime.date(2024, 3, 1),
    )
    plan("plan-t1-later", "T1", "nps", "planned", datetime.date(2026, 5, 1), datetime.date(2026, 6, 30))
    assert timezone.now().date() > M.last_day
    return w
