import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from kpis.models import DirtyPeriod, SurveyResponse
from tests.api.conftest import Api, make_api_key

URL = "/api/v1/survey-responses/"
pytestmark = pytest.mark.django_db


def response(external_id="qx-1", **fields):
    return {
        "external_id": external_id,
        "unit": "T1",
        "responded_at": "2026-03-11T18:02:00+01:00",
        "nps": 9,
        "ces": 6,
        "csat": 5,
        "channel": "store",
        "journey": "purchase",
        "trigger": "event",
        "segment": "loyalty-gold",
        "comment": "Très bon accueil",
        "aspects": {"accueil": 5},
        **fields,
    }


def test_one_response_is_created_and_returned(api, tree):
    r = api.post(URL, response())
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["external_id"] == "qx-1"
    assert body["unit"] == "T1"
    assert body["nps"] == 9 and body["ces"] == 6 and body["csat"] == 5
    assert body["aspects"] == {"accueil": 5}
    row = SurveyResponse.objects.get()
    assert row.responded_at == datetime.datetime(2026, 3, 11, 17, 2, tzinfo=datetime.UTC)
    assert row.unit == tree["T1"]


def test_second_post_of_the_same_external_id_changes_nothing(api, tree):
    api.post(URL, response(nps=9))
    r = api.post(URL, response(nps=2, comment="changed"))
    assert r.status_code == 200
    assert r.json()["nps"] == 9
    row = SurveyResponse.objects.get()
    assert (row.nps, row.comment) == (9, "Très bon accueil")


def test_bulk_reports_each_item_and_keeps_the_valid_ones(api, tree):
    api.post(URL, response("old"))
    items = [response("a"), response("old"), response("b"), response("c", nps=11)]
    r = api.post(URL, items)
    assert r.status_code == 200
    assert r.json() == {
        "created": 2,
        "duplicates": 1,
        "rejected": 1,
        "masked": 0,
        "results": [
            {"index": 0, "status": "created"},
            {"index": 1, "status": "duplicate"},
            {"index": 2, "status": "created"},
            {"index": 3, "status": "rejected", "errors": {"nps": ["Must be between 0 and 10."]}},
        ],
    }
    assert sorted(SurveyResponse.objects.values_list("external_id", flat=True)) == ["a", "b", "old"]


def test_the_same_external_id_twice_in_one_bulk_stores_one_row(api, tree):
    r = api.post(URL, [response("a"), response("a", nps=1)])
    assert [x["status"] for x in r.json()["results"]] == ["created", "duplicate"]
    assert SurveyResponse.objects.get().nps == 9


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"nps": 11}, "nps", "Must be between 0 and 10."),
        ({"nps": -1}, "nps", "Must be between 0 and 10."),
        ({"ces": 0}, "ces", "Must be between 1 and 7."),
        ({"ces": 8}, "ces", "Must be between 1 and 7."),
        ({"csat": 6}, "csat", "Must be between 1 and 5."),
        ({"nps": "9"}, "nps", "Must be a whole number."),
        ({"nps": True}, "nps", "Must be a whole number."),
        ({"nps": 9.5}, "nps", "Must be a whole number."),
        ({"nps": None, "ces": None, "csat": None}, "non_field_errors", "Give at least one score: nps, ces or csat."),
        ({"unit": "NOPE"}, "unit", "Unknown unit code: NOPE."),
        ({"unit": "R"}, "unit", "A survey response belongs to a team; R is a region."),
        ({"unit": 12}, "unit", "Must be a string."),
        ({"responded_at": "2026-03-11T18:02:00"}, "responded_at", None),
        ({"responded_at": "yesterday"}, "responded_at", None),
        ({"responded_at": "2999-01-01T00:00:00+00:00"}, "responded_at", "This date is in the future."),
        ({"trigger": "sometimes"}, "trigger", "Must be one of: event, periodic."),
        ({"aspects": {"accueil": 9}}, "aspects", "accueil: must be a whole number from 1 to 5."),
        ({"aspects": [1]}, "aspects", None),
        ({"external_id": ""}, "external_id", "This field may not be blank."),
        ({"colour": "blue"}, "colour", "Unknown field."),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, tree, fields, field, message):
    r = api.post(URL, response(**fields))
    assert r.status_code == 400
    errors = r.json()
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert not SurveyResponse.objects.exists()


def test_missing_required_fields_are_named(api, tree):
    r = api.post(URL, {"nps": 5})
    assert r.status_code == 400
    assert set(r.json()) >= {"external_id", "unit", "responded_at"}


def test_a_naive_datetime_is_refused_with_a_reason(api, tree):
    r = api.post(URL, response(responded_at="2026-03-11T18:02:00"))
    assert "UTC offset" in r.json()["responded_at"][0]


def test_cross_tenant_codes_are_unknown_and_lists_are_empty(api, outsider_api, tree):
    api.post(URL, response("mine"))
    # The outsider's org has its own T1; "mine" is invisible to it.
    assert outsider_api.get(URL).json()["count"] == 0
    assert outsider_api.get(URL + "mine/").status_code == 404
    r = outsider_api.post(URL, response("mine"))
    assert r.status_code == 201  # a new row in its own organization, not a duplicate of ours
    assert SurveyResponse.objects.filter(external_id="mine").count() == 2
    assert SurveyResponse.objects.get(external_id="mine", organization=tree["T1"].organization).nps == 9


def test_an_outsider_cannot_write_to_a_unit_code_only_another_org_has(api, outsider_api, org, tree):
    from tests.factories import make_unit

    make_unit(org, "team", tree["B"], code="ONLY-ACME")
    r = outsider_api.post(URL, response(unit="ONLY-ACME"))
    assert r.status_code == 400
    assert r.json()["unit"] == ["Unknown unit code: ONLY-ACME."]


def test_retrieve_by_external_id(api, tree):
    api.post(URL, response("qx-9"))
    r = api.get(URL + "qx-9/")
    assert r.status_code == 200
    assert r.json()["external_id"] == "qx-9"
    assert api.get(URL + "nope/").status_code == 404


def test_list_filters(api, org, tree):
    api.post(
        URL,
        [
            response("a", unit="T1", responded_at="2026-01-31T23:30:00+01:00", journey="purchase"),
            response("b", unit="T2", responded_at="2026-02-01T00:30:00+01:00", journey="after-sales"),
            response(
                "c", unit="T3", responded_at="2026-03-15T12:00:00+01:00", segment="new", channel="web", journey="x"
            ),
        ],
    )

    def ids(**params):
        r = api.get(URL, params)
        assert r.status_code == 200, r.json()
        return sorted(x["external_id"] for x in r.json()["results"])

    assert ids() == ["a", "b", "c"]
    assert ids(unit="B") == ["a", "b"]  # the business unit's subtree
    assert ids(unit="R2") == ["c"]
    # Months are counted in the organization's timezone (Paris): 23:30 on Jan 31 is January.
    assert ids(**{"from": "2026-02", "to": "2026-02"}) == ["b"]
    assert ids(to="2026-01-31") == ["a"]
    assert ids(**{"from": "2026-03-15"}) == ["c"]
    assert ids(journey="purchase") == ["a"]
    assert ids(segment="new", channel="web") == ["c"]
    assert ids(trigger="periodic") == []


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13"},
        {"to": "March"},
        {"from": "2026-02-30"},
        {"unit": "NOPE"},
        {"from": "2026-03", "to": "2026-01"},
    ],
)
def test_bad_filters_are_a_400(api, tree, params):
    r = api.get(URL, params)
    assert r.status_code == 400
    assert set(r.json()) & set(params)


def test_pagination_shape_and_page_size(api, tree):
    api.post(URL, [response(f"r{i}") for i in range(5)])
    body = api.get(URL, {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]


def test_writes_mark_the_month_for_recomputation(api, org, tree):
    api.post(URL, response(responded_at="2026-03-31T23:30:00+00:00"))  # April 1st in Paris
    assert list(DirtyPeriod.objects.for_org(org).values_list("period_start", flat=True)) == [datetime.date(2026, 4, 1)]


def test_read_only_key_cannot_write(read_api, tree):
    r = read_api.post(URL, response())
    assert r.status_code == 403
    assert "write" in r.json()["detail"]
    assert read_api.get(URL).status_code == 200


def test_bulk_of_1000_takes_a_handful_of_queries(api, tree, django_assert_max_num_queries):
    now = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    items = [response(f"bulk-{i}", responded_at=now.isoformat(), nps=i % 11) for i in range(1000)]
    # Authentication (key lookup), unit codes, savepoint, one INSERT, dirty marks, release.
    with django_assert_max_num_queries(10):
        r = api.post(URL, items)
    assert r.json()["created"] == 1000
    assert SurveyResponse.objects.count() == 1000


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_bulk_store_each_response_once(org, tree):
    from django.test import Client

    key = make_api_key(org)
    items = [response(f"race-{i}") for i in range(200)]
    barrier = threading.Barrier(2)
    outcomes = []

    def post():
        try:
            barrier.wait()
            outcomes.append(Api(Client(), key).post(URL, items).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert SurveyResponse.objects.count() == 200
    assert sorted(o["created"] for o in outcomes) == sorted([outcomes[0]["created"], 200 - outcomes[0]["created"]])
    assert sum(o["created"] for o in outcomes) == 200
    assert sum(o["duplicates"] for o in outcomes) == 200
