"""The engine beyond the hand-computed case (tests/kpis/test_engine_by_hand.py): the Python path of
the embedded SQLite default gives the PostgreSQL figures, ratings carry across model versions by
behavior code, a recompute is all or nothing, a real worker runs it, and the read API refuses bad
input and never shows another organization's figures."""

import datetime
import os
import random
import time

import pytest
from django.db import IntegrityError, connection
from django.utils import timezone

from cxtracker.celery import app as celery_app
from cxtracker.months import Month
from cxtracker.tenancy.models import Member
from cxtracker.tenancy.services import member_create
from deployment.services import animation_create, observation_create
from experience.services import experience_model_activate, experience_model_create_from_json
from kpis.engine import compute, recompute
from kpis.engine.marks import periods_mark_dirty
from kpis.engine.tasks import recompute_org_task
from kpis.ingest import survey_responses_ingest
from kpis.models import DirtyPeriod, TeamKpiSnapshot, TeamMonthSnapshot
from tests.api.conftest import MODEL_JSON, Api, make_api_key
from tests.factories import make_tree

PARIS = datetime.timezone(datetime.timedelta(hours=1))
MONTHS = Month.range(Month(2026, 1), Month(2026, 6))


def _random_history(org, tree, seed=7):
    """Members joining and leaving, observations at random moments (month ends and ties
    included) over six months, animations: a panel with no hand-made regularity."""
    rng = random.Random(seed)
    model = experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    behaviors = list(model.behaviors.values_list("code", flat=True))
    members = []
    for i in range(24):
        team = tree[rng.choice(["T1", "T2", "T3"])]
        start = datetime.date(2025, 12, 1) + datetime.timedelta(days=rng.randrange(0, 150))
        end = start + datetime.timedelta(days=rng.randrange(20, 200)) if rng.random() < 0.4 else None
        members.append(
            member_create(org=org, code=f"R{i:02d}", name=f"Random {i}", team=team, active_from=start, active_to=end)
        )
    moments = []
    for _ in range(160):
        day = datetime.datetime(2026, 1, 1, tzinfo=PARIS) + datetime.timedelta(minutes=rng.randrange(0, 181 * 24 * 60))
        moments.append(day)
    moments += [datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC)] * 3  # ties, 1 April in Paris
    for moment in moments:
        day = moment.astimezone(org.tzinfo).date()
        active = [m for m in members if m.is_active_on(day)]
        if not active:
            continue
        member = rng.choice(active)
        ratings = {code: rng.randint(1, 4) for code in rng.sample(behaviors, rng.randint(1, len(behaviors)))}
        observation_create(
            org=org, member=member, observer=None, observed_at=moment, kind="observation", ratings=ratings
        )
    items = []
    for i in range(300):
        moment = datetime.datetime(2026, 1, 1, tzinfo=PARIS) + datetime.timedelta(
            minutes=rng.randrange(0, 181 * 24 * 60)
        )
        item = {
            "external_id": f"s{i}",
            "unit": rng.choice(["T1", "T2", "T3"]),
            "responded_at": moment.isoformat(),
            "journey": rng.choice(["purchase", "after-sales", ""]),
            "trigger": rng.choice(["event", "periodic", ""]),
            "channel": rng.choice(["store", "web"]),
            "segment": rng.choice(["gold", ""]),
        }
        for score, top in (("nps", 10), ("csat", 5), ("ces", 7)):
            if rng.random() < 0.8:
                item[score] = rng.randint(0 if score == "nps" else 1, top)
        if not any(k in item for k in ("nps", "csat", "ces")):
            item["nps"] = 5
        items.append(item)
    items.append({"external_id": "edge", "unit": "T1", "responded_at": "2026-03-31T23:30:00+00:00", "nps": 10})
    assert survey_responses_ingest(org=org, items=items).created == len(items)
    for _ in range(40):
        held_at = datetime.datetime(2026, 1, 1, tzinfo=PARIS) + datetime.timedelta(hours=rng.randrange(0, 181 * 24))
        animation_create(
            org=org, team=tree[rng.choice(["T1", "T2", "T3"])], held_by=None, held_at=held_at, kind="briefing"
        )
    return model


def _as_dicts(computed):
    kpis = sorted(computed.kpis, key=lambda r: (r["team_id"], r["period_start"], r["breakdown"], r["value"]))
    return (
        {k: vars(v) for k, v in computed.teams.items()},
        {k: vars(v) for k, v in computed.dimensions.items()},
        kpis,
    )


def test_the_python_path_of_sqlite_gives_the_postgresql_figures(org, tree, monkeypatch):
    assert connection.vendor == "postgresql"
    _random_history(org, tree)
    on_postgres = _as_dicts(compute.team_months_compute(org=org, months=MONTHS))
    monkeypatch.setattr(compute.connection, "vendor", "sqlite")
    in_python = _as_dicts(compute.team_months_compute(org=org, months=MONTHS))
    assert on_postgres == in_python
    assert sum(tm["assessed"] for tm in on_postgres[0].values()) > 50, "the panel has rated pairs to compare"
    assert len(on_postgres[2]) > 100, "and survey counts"


def test_snapshots_written_on_the_sqlite_path_are_the_copied_ones(org, tree, monkeypatch):
    _random_history(org, tree, seed=11)
    fields = ["team_id", "period_start", "active_members", "coached_members", "pairs", "score_points", "mastered"]
    recompute.snapshots_recompute(org=org, months=MONTHS)
    copied = list(TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start").values(*fields))
    kpi_count = TeamKpiSnapshot.objects.for_org(org).count()
    monkeypatch.setattr(compute.connection, "vendor", "sqlite")
    recompute.snapshots_recompute(org=org, months=MONTHS)
    assert list(TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start").values(*fields)) == copied
    assert TeamKpiSnapshot.objects.for_org(org).count() == kpi_count > 0


def test_a_rating_of_an_earlier_version_counts_for_the_same_behavior_code(org, tree):
    member = member_create(org=org, code="E1", name="Léa", team=tree["T1"], active_from=datetime.date(2025, 1, 1))
    v1 = experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    observation_create(
        org=org,
        member=member,
        observer=None,
        observed_at=datetime.datetime(2026, 1, 10, 10, tzinfo=PARIS),
        kind="observation",
        ratings={"salue-30s": 4},
    )
    # Version 2 adds a behavior; salue-30s keeps its code.
    data = {
        **MODEL_JSON,
        "dimensions": [
            *MODEL_JSON["dimensions"],
            {"code": "adieu", "name": "Adieu", "behaviors": [{"code": "raccompagne", "name": "Raccompagne"}]},
        ],
    }
    v2 = experience_model_create_from_json(org=org, data=data, activate=False)
    experience_model_activate(org=org, model=v2)
    assert v1.pk != v2.pk
    current = Month.of(org.today())
    computed = compute.team_months_compute(org=org, months=[Month(2026, 1), current], team_ids=[tree["T1"].pk])
    january = computed.teams[(tree["T1"].pk, datetime.date(2026, 1, 1))]
    now = computed.teams[(tree["T1"].pk, current.first_day)]
    # January: version 1 (3 behaviors); salue-30s at level 4 → 3 points over 3 pairs.
    assert (january.pairs, january.score_points, january.mastered) == (3, 3, 1)
    # Now: version 2 (4 behaviors); the level 4 carries over, the new behavior starts at level 1.
    assert (now.pairs, now.score_points, now.mastered, now.assessed) == (4, 3, 1, 1)


def test_a_recompute_failing_midway_leaves_the_previous_snapshots_readable_and_unchanged(org, tree, monkeypatch):
    _random_history(org, tree, seed=3)
    recompute.snapshots_recompute(org=org, months=MONTHS)
    before = list(TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start").values())
    assert before

    # New data, then a recompute whose last write is refused by the database (a negative count
    # breaks the column's check): the whole replacement must roll back.
    observation_create(
        org=org,
        member=Member.objects.for_org(org).active_on(datetime.date(2026, 2, 2)).order_by("pk").first(),
        observer=None,
        observed_at=datetime.datetime(2026, 2, 2, 10, tzinfo=PARIS),
        kind="coaching",
        ratings={"sourit": 4},
    )
    real = compute.team_months_compute

    def computes_a_broken_last_row(**kwargs):
        computed = real(**kwargs)
        computed.kpis.append(
            {
                **dict.fromkeys(
                    (
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
                    ),
                    0,
                ),
                "team_id": tree["T1"].pk,
                "period_start": datetime.date(2026, 2, 1),
                "breakdown": "",
                "value": "",
                "nps_n": -1,
            }
        )
        return computed

    monkeypatch.setattr(compute, "team_months_compute", computes_a_broken_last_row)
    with pytest.raises(IntegrityError):
        recompute.snapshots_recompute(org=org, months=MONTHS)
    after = list(TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start").values())
    assert after == before


def test_recomputing_twice_gives_the_same_rows(org, tree):
    _random_history(org, tree, seed=5)
    recompute.snapshots_recompute(org=org, months=MONTHS)
    fields = [
        "team_id",
        "period_start",
        "active_members",
        "coached_members",
        "animations",
        "pairs",
        "score_points",
        "assessed",
        "known",
        "mastered",
    ]
    first = list(TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start").values(*fields))
    recompute.snapshots_recompute(org=org, months=MONTHS)
    assert list(TeamMonthSnapshot.objects.for_org(org).order_by("team_id", "period_start").values(*fields)) == first


def test_a_new_observation_recomputes_its_team_from_its_month_on(org, tree, members):
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    DirtyPeriod.objects.all().delete()
    observation_create(
        org=org,
        member=members["lea"],
        observer=None,
        observed_at=timezone.now() - datetime.timedelta(days=40),
        kind="observation",
        ratings={"salue-30s": 3},
    )
    marks = set(DirtyPeriod.objects.for_org(org).values_list("period_start", "team_id"))
    observed = Month.of(timezone.now() - datetime.timedelta(days=40), org.tzinfo)
    expected = {(m.first_day, tree["T1"].pk) for m in Month.range(observed, Month.of(org.today()))}
    assert marks == expected
    recompute_org_task.apply(args=(org.pk,))
    assert not DirtyPeriod.objects.for_org(org).exists()
    snapshot = TeamMonthSnapshot.objects.for_org(org).get(team=tree["T1"], period_start=Month.of(org.today()).first_day)
    assert (snapshot.active_members, snapshot.assessed, snapshot.score_points) == (2, 1, 2)


@pytest.mark.worker
def test_a_real_worker_recomputes_through_redis(transactional_db, org, tree, members, real_broker):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set: no broker to run a worker against")
    from celery.contrib.testing.worker import start_worker

    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    periods_mark_dirty(org=org, days=[org.today()])
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10):
        recompute_org_task.delay(org.pk)
        # The task keeps no result: wait for its effect.
        deadline = time.monotonic() + 60
        while DirtyPeriod.objects.for_org(org).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not DirtyPeriod.objects.for_org(org).exists()
    current = Month.of(org.today()).first_day
    assert TeamMonthSnapshot.objects.for_org(org).filter(period_start=current).count() == 3


# ---------------------------------------------------------------------------------------------
# The read API


@pytest.fixture
def computed(org, tree, members):
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    recompute.snapshots_recompute(org=org, months=[Month.of(org.today())])
    return org


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/rates/", {"level": "galaxy"}, "level"),
        ("/api/v1/rates/", {"unit": "NOPE"}, "unit"),
        ("/api/v1/rates/", {"from": "2026-13"}, "from"),
        ("/api/v1/rates/", {"from": "2026-05", "to": "2026-02"}, "to"),
        ("/api/v1/rates/", {"period": "week"}, "period"),
        ("/api/v1/rates/", {"unit": "T1", "level": "organization"}, "level"),
        ("/api/v1/rates/", {"from": "1970-01", "to": "2026-01"}, "from"),
        ("/api/v1/rates/", {"unit": "T1", "level": "region"}, "level"),
        ("/api/v1/kpis/", {"period": "day"}, "period"),
        ("/api/v1/kpis/", {"trigger": "bogus"}, "trigger"),
        ("/api/v1/kpis/", {"journey": "x" * 65}, "journey"),
        ("/api/v1/kpis/", {"to": "yesterday"}, "to"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(client, computed, path, params, field):
    response = Api(client, make_api_key(computed, scopes=["read"])).get(path, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_organization_by_default_a_year_of_months_with_nulls_where_no_data(client, computed):
    body = Api(client, make_api_key(computed, scopes=["read"])).get("/api/v1/rates/").json()
    assert body["count"] == 12
    assert [r["kind"] for r in body["results"]] == ["organization"] * 12
    current, oldest = body["results"][-1], body["results"][0]
    assert current["period"] == str(Month.of(computed.today())) and current["active_members"] == 4
    assert current["transformation_rate"] == 0.0 and current["coverage"] == 0.0
    # Never computed: null, never 0.
    assert oldest["active_members"] is None and oldest["transformation_rate"] is None


def test_kpis_by_week_count_the_responses(client, computed, tree):
    api = Api(client, make_api_key(computed))
    monday = datetime.datetime(2026, 3, 2, 10, tzinfo=PARIS)
    items = [
        {
            "external_id": f"w{i}",
            "unit": "T1",
            "responded_at": (monday + datetime.timedelta(days=i)).isoformat(),
            "nps": 10 if i < 4 else 0,
        }
        for i in range(10)
    ]
    assert api.post("/api/v1/survey-responses/", items).json()["created"] == 10
    rows = api.get("/api/v1/kpis/", {"unit": "T1", "period": "week", "from": "2026-03-02", "to": "2026-03-15"}).json()[
        "results"
    ]
    # W10 is Monday 2 to Sunday 8 March: days 0–6, 4 promoters and 3 detractors → 100 × 1 / 7.
    assert [(r["period"], r["nps_n"], r["nps"]) for r in rows] == [("2026-W10", 7, 14.2857), ("2026-W11", 3, -100.0)]


def test_another_organization_sees_none_of_these_figures(client, computed, other_org):
    make_tree(other_org, prefix="G")
    api = Api(client, make_api_key(other_org, scopes=["read"]))
    response = api.get("/api/v1/rates/", {"unit": "T1"})
    assert response.status_code == 400 and "unit" in response.json()
    for path in ("/api/v1/rates/", "/api/v1/kpis/"):
        rows = api.get(path, {"level": "team"}).json()["results"]
        assert {r["unit"] for r in rows} <= {"GT1", "GT2", "GT3"}
        assert all(r.get("active_members") in (None, 0) for r in rows)
