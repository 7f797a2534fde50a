"""Dated reorganizations: business unit B moves from region R (Nord) to region R2 (Sud) in June
2026. As-is, every month is rolled up in today's tree (R2 holds B all year); as-was, each month in
its own (R holds B until May). Expected figures are worked out by hand:

    R  Nord → B  Lille → T1 (members a1 a2 a3), T2 (b1 b2 b3)      until May 2026
    R2 Sud  → B2 Marseille → T3 (c1 c2 c3 c4)
    from June: B under R2

    active members (every month of 2026)   T1 3, T2 3, B 6, T3 4, B2 4, organization 10
    March: a1 (T1) and c1 (T3) observed → coached 1 in T1, 1 in T3
    responses: T1 NPS 10 in March, T3 NPS 0 in March, T1 NPS 9 in July

The engine has one read path for both databases here (the snapshots' sums, grouped per tree by
the same SQL): nothing to compare between SQLite and PostgreSQL.
"""

import datetime

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.utils import translation

from cxtracker.months import Month, MonthSpan
from cxtracker.tenancy.models import OrgUnit, Tree
from dashboards.transformation.page import board_setup
from dashboards.transformation.reads import BoardReads
from deployment.services import observation_create
from experience.models import Behavior
from experience.services import experience_model_create_from_json
from kpis.engine.readers import Reader
from kpis.ingest import survey_responses_ingest
from tests.api.conftest import MODEL_JSON, Api, make_api_key
from tests.factories import make_member, make_tree

pytestmark = pytest.mark.django_db

YEAR = {"from": "2026-01", "to": "2026-12"}
MONTHS = [str(m) for m in Month.range(Month(2026, 1), Month(2026, 12))]
BEFORE = MONTHS[:5]  # January to May
AFTER = MONTHS[5:]  # June to December
HOT = {"trigger": "event", "channel": "store"}


@pytest.fixture
def moved(org, client):
    """The tree, its members and field data, the snapshots of 2026, then B moved to R2 from June
    by the API."""
    tree = make_tree(org)
    experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)
    members = {}
    for team, codes in (("T1", ("a1", "a2", "a3")), ("T2", ("b1", "b2", "b3")), ("T3", ("c1", "c2", "c3", "c4"))):
        for code in codes:
            members[code] = make_member(org, tree[team], code=code, active_from=datetime.date(2025, 1, 1))
    behavior = Behavior.objects.for_org(org).get(code="salue-30s")
    for code in ("a1", "c1"):
        observation_create(
            org=org,
            member=members[code],
            observer=None,
            observed_at=datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC),
            kind="coaching",
            ratings=[(behavior, 4)],
        )
    survey_responses_ingest(
        org=org,
        items=[
            {"external_id": "r1", "unit": "T1", "responded_at": "2026-03-11T10:00:00+01:00", "nps": 10, **HOT},
            {"external_id": "r2", "unit": "T3", "responded_at": "2026-03-12T10:00:00+01:00", "nps": 0, **HOT},
            {"external_id": "r3", "unit": "T1", "responded_at": "2026-07-11T10:00:00+02:00", "nps": 9, **HOT},
        ],
    )
    call_command("compute_rates", "--org", org.slug, "--from", "2026-01", "--to", "2026-12")
    api = Api(client, make_api_key(org))
    r = api.patch("/api/v1/units/B/", {"parent": "R2", "effective_month": "2026-06"})
    assert r.status_code == 200, r.json()
    return {"tree": tree, "api": api}


def _rows(api, path, **params) -> dict:
    r = api.get(path, {**YEAR, **params, "page_size": 500})
    assert r.status_code == 200, r.json()
    return {(row["unit"], row["period"]): row for row in r.json()["results"]}


def _column(rows, unit, field, months=MONTHS) -> list:
    return [rows[(unit, m)][field] for m in months]


def test_the_move_keeps_the_tree_of_each_month(moved):
    b = OrgUnit.objects.get(code="B")
    assert b.parent.code == "R2"
    assert [(p.parent.code, p.since) for p in b.placements.order_by("since")] == [
        ("R2", datetime.date(2026, 6, 1)),
        ("R", None),
    ]
    trees = OrgUnit.tree(b.organization, Tree.AS_WAS)
    r, r2 = moved["tree"]["R"], moved["tree"]["R2"]
    teams = {moved["tree"][c].pk for c in ("T1", "T2")}
    assert trees.at(datetime.date(2026, 5, 1)).teams_under([r.pk]) == teams
    assert trees.at(datetime.date(2026, 6, 1)).teams_under([r.pk]) == set()
    assert trees.at(datetime.date(2026, 6, 1)).teams_under([r2.pk]) == teams | {moved["tree"]["T3"].pk}


@pytest.mark.parametrize("path", ["/api/v1/rates/", "/api/v1/kpis/"])
def test_teams_and_business_units_read_the_same_both_ways(moved, path):
    api = moved["api"]
    for level in ("team", "business_unit", "organization"):
        assert _rows(api, path, level=level) == _rows(api, path, level=level, tree="as-was")


def test_regions_as_is_hold_the_business_unit_all_year_and_as_was_until_may(moved):
    api = moved["api"]
    as_is = _rows(api, "/api/v1/rates/", level="region")
    as_was = _rows(api, "/api/v1/rates/", level="region", tree="as-was")
    # As-is: R2 holds T1 T2 T3 (3 + 3 + 4) all year; R has no team left.
    assert _column(as_is, "R2", "active_members") == [10] * 12
    assert _column(as_is, "R", "active_members") == [None] * 12
    # As-was: R holds B (3 + 3) until May; R2 T3 alone (4) until May, then all ten.
    assert _column(as_was, "R", "active_members") == [6] * 5 + [None] * 7
    assert _column(as_was, "R2", "active_members") == [4] * 5 + [10] * 7
    # March coverage: as-is R2 2 / 10 = 0.2; as-was R 1 / 6 = 0.1667 (a1), R2 1 / 4 = 0.25 (c1).
    assert as_is[("R2", "2026-03")]["coverage"] == 0.2
    assert as_was[("R", "2026-03")]["coverage"] == 0.1667
    assert as_was[("R2", "2026-03")]["coverage"] == 0.25
    # Transformation in May: pairs are 3 behaviors per member; a1 and c1 at level 4 on salue-30s
    # (score 1), every other pair level 1 (score 0). As-was R: 1 / 18 = 0.0556; R2: 1 / 12 = 0.0833.
    assert as_was[("R", "2026-05")]["transformation_rate"] == 0.0556
    assert as_was[("R2", "2026-05")]["transformation_rate"] == 0.0833
    # As-is R2: 2 / 30 = 0.0667, which as-was gives from June.
    assert as_is[("R2", "2026-05")]["transformation_rate"] == 0.0667
    assert _column(as_was, "R2", "transformation_rate", AFTER) == _column(as_is, "R2", "transformation_rate", AFTER)


def test_survey_kpis_follow_the_tree_of_the_response_month(moved):
    api = moved["api"]
    as_is = _rows(api, "/api/v1/kpis/", level="region")
    as_was = _rows(api, "/api/v1/kpis/", level="region", tree="as-was")
    # March as-is: R2 has both responses (10 and 0): NPS (1 − 1) / 2 = 0; R none.
    assert (as_is[("R2", "2026-03")]["nps"], as_is[("R2", "2026-03")]["nps_n"]) == (0.0, 2)
    assert as_is[("R", "2026-03")]["nps_n"] == 0
    # March as-was: R has T1's 10 (NPS 100), R2 T3's 0 (NPS −100).
    assert (as_was[("R", "2026-03")]["nps"], as_was[("R", "2026-03")]["nps_n"]) == (100.0, 1)
    assert (as_was[("R2", "2026-03")]["nps"], as_was[("R2", "2026-03")]["nps_n"]) == (-100.0, 1)
    # July (after the move): R2 has T1's 9 both ways.
    assert as_was[("R2", "2026-07")] == as_is[("R2", "2026-07")]
    assert as_was[("R2", "2026-07")]["nps_n"] == 1
    # A quarter straddling the move: Q2 as-was counts April and May under R, June under R2.
    quarters = _rows(api, "/api/v1/rates/", level="region", period="quarter", tree="as-was")
    # Active at the quarter's end (June): R none (it was computed, in April and May: 0), R2 10.
    assert (quarters[("R", "2026-Q2")]["active_members"], quarters[("R2", "2026-Q2")]["active_members"]) == (0, 10)


def test_weeks_and_crossed_filters_read_each_month_in_its_tree(moved):
    api = moved["api"]
    span = {"from": "2026-03", "to": "2026-07"}  # two trees: to May, from June
    weeks = _rows(api, "/api/v1/kpis/", level="region", period="week", tree="as-was", **span)
    assert weeks[("R", "2026-W11")]["nps_n"] == 1  # T1's response of 11 March
    assert weeks[("R2", "2026-W11")]["nps_n"] == 1  # T3's of 12 March
    assert (weeks[("R", "2026-W28")]["nps_n"], weeks[("R2", "2026-W28")]["nps_n"]) == (0, 1)  # T1's of 11 July
    # Two filters at once are counted from the responses too.
    crossed = _rows(api, "/api/v1/kpis/", level="region", tree="as-was", trigger="event", channel="store", **span)
    months = _rows(api, "/api/v1/kpis/", level="region", tree="as-was", **span)
    assert crossed == months


def test_an_executive_reads_small_groups_hidden_in_the_tree_of_each_month(moved, executive, client):
    """Minimum group size 5. As-was until May, R2 is T3 alone (4 members): hidden, and R (6) with it,
    its only shown sibling (else R2 = organization − R). As-is R2 holds 10: shown. From June both
    read the same."""
    client.force_login(executive)
    api = Api(client)
    as_is = _rows(api, "/api/v1/rates/", level="region")
    as_was = _rows(api, "/api/v1/rates/", level="region", tree="as-was")
    assert _column(as_is, "R2", "suppressed") == [False] * 12
    assert _column(as_was, "R2", "suppressed") == [True] * 5 + [False] * 7
    assert _column(as_was, "R", "suppressed", BEFORE) == [True] * 5
    assert as_was[("R2", "2026-03")]["coverage"] is None
    assert as_is[("R2", "2026-03")]["coverage"] == 0.2
    organization = _rows(api, "/api/v1/rates/", level="organization", tree="as-was")
    assert organization == _rows(api, "/api/v1/rates/", level="organization")
    assert organization[(None, "2026-03")]["suppressed"] is False


def test_the_dashboard_read_model_reads_each_month_in_its_tree(moved, org, executive):
    tree = moved["tree"]
    span = MonthSpan(Month(2026, 1), Month(2026, 12))

    def reads(unit, view, reader=None):
        reader = reader or Reader.unrestricted()
        columns = list(OrgUnit.objects.filter(parent=unit))
        return BoardReads(org=org, reader=reader, unit=unit, columns=columns, span=span, tree=view)

    r_was, r2_was = reads(tree["R"], Tree.AS_WAS), reads(tree["R2"], Tree.AS_WAS)
    r2_is = reads(tree["R2"], Tree.AS_IS)
    assert [r_was.rates(tree["R"], m)["active_members"] for m in span.months()] == [6] * 5 + [None] * 7
    assert [r2_was.rates(tree["R2"], m)["active_members"] for m in span.months()] == [4] * 5 + [10] * 7
    assert [r2_is.rates(tree["R2"], m)["active_members"] for m in span.months()] == [10] * 12
    assert r_was.kpis(tree["R"], Month(2026, 3))["nps"] == 100.0
    assert r2_was.kpis(tree["R2"], Month(2026, 3))["nps"] == -100.0
    assert r2_is.kpis(tree["R2"], Month(2026, 3))["nps"] == 0.0
    # The business unit and the organization read the same both ways.
    for unit in (tree["B"], None):
        months = [*span.months(), span]
        both = [reads(unit, view) for view in (Tree.AS_IS, Tree.AS_WAS)]
        assert [both[0].rates(unit, m) for m in months] == [both[1].rates(unit, m) for m in months]
        assert [both[0].kpis(unit, m) for m in months] == [both[1].kpis(unit, m) for m in months]
    # Protected for an executive in the tree of each month, as the API does.
    protected = reads(tree["R2"], Tree.AS_WAS, Reader.protected())
    assert [protected.rates(tree["R2"], m)["suppressed"] for m in span.months()] == [True] * 5 + [False] * 7


def test_the_dashboards_take_the_tree_from_the_query_string(moved, org, client, executive):
    client.force_login(executive)
    with translation.override("en"):
        base = f"/o/{org.slug}/dashboards/"
        page = client.get(f"{base}transformation/", {"unit": "R", **YEAR, "tree": "as-was"}, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert b'value="as-was" selected' in page.content
        explorer = client.get(f"{base}kpis/", {"unit": "R", **YEAR, "tree": "as-was"}, HTTP_ACCEPT_LANGUAGE="en")
        assert explorer.status_code == 200
        assert b'value="as-was" selected' in explorer.content
        assert client.get(f"{base}kpis/", {"tree": "sideways"}, HTTP_ACCEPT_LANGUAGE="en").status_code == 400


def test_re_dating_a_move_gives_the_as_was_boards_new_keys(moved, org, executive):
    """A warm as-was page must not keep the old tree: its key holds the placements. Re-dating the
    move (B under R2 from March instead of June) leaves today's tree, and the as-is key, alone."""
    membership = executive.memberships.get(organization=org)

    def setup(view):
        query = QueryDict(mutable=True)
        query.update({**YEAR, "unit": "R", "tree": view})
        with translation.override("en"):
            board = board_setup(org=org, membership=membership, query=query)
            board.context()  # rendered and cached under its key
        return board

    before = {view: setup(view).inputs for view in Tree.values}
    assert moved["api"].patch("/api/v1/units/B/", {"parent": "R2", "effective_month": "2026-03"}).status_code == 200
    after = {view: setup(view) for view in Tree.values}
    assert after[Tree.AS_WAS].inputs != before[Tree.AS_WAS]
    assert after[Tree.AS_IS].inputs == before[Tree.AS_IS]
    reads = after[Tree.AS_WAS].board.reads
    assert [reads.rates(moved["tree"]["R"], m)["active_members"] for m in reads.months[:4]] == [6, 6, None, None]
