import datetime
import threading

import pytest
from django.db import connection

from kpis.models import Metric, MetricValue
from tests.api.conftest import Api, make_api_key

URL = "/api/v1/metric-values/"
pytestmark = pytest.mark.django_db

VALUE = {"metric": "revenue", "unit": "T1", "period": "2026-03", "value": 182340.5}


def test_first_write_creates_second_updates(api, tree, revenue):
    r = api.post(URL, VALUE)
    assert r.status_code == 201
    assert r.json()["period"] == "2026-03" and r.json()["value"] == 182340.5
    r = api.post(URL, {**VALUE, "value": 190000})
    assert r.status_code == 200 and r.json()["value"] == 190000
    row = MetricValue.objects.get()
    assert (row.period_start, row.value) == (datetime.date(2026, 3, 1), 190000)


def test_bulk_reports_created_updated_rejected(api, tree, revenue):
    api.post(URL, VALUE)
    r = api.post(URL, [VALUE, {**VALUE, "unit": "T2"}, {**VALUE, "metric": "nope"}])
    assert r.status_code == 200
    assert r.json() == {
        "created": 1,
        "duplicates": 0,
        "updated": 1,
        "rejected": 1,
        "results": [
            {"index": 0, "status": "updated"},
            {"index": 1, "status": "created"},
            {"index": 2, "status": "rejected", "errors": {"metric": ["Unknown metric code: nope."]}},
        ],
    }


def test_the_last_of_two_items_with_one_key_wins(api, tree, revenue):
    r = api.post(URL, [VALUE, {**VALUE, "value": 1.0}])
    assert [x["status"] for x in r.json()["results"]] == ["created", "updated"]
    assert MetricValue.objects.get().value == 1.0


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"period": "2026-3"}, "period"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2999-01"}, "period"),
        ({"period": "2026-03-01"}, "period"),
        ({"value": "12"}, "value"),
        ({"value": None}, "value"),
        ({"value": True}, "value"),
        ({"unit": "NOPE"}, "unit"),
        ({"metric": 3}, "metric"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, tree, revenue, fields, key):
    r = api.post(URL, {**VALUE, **fields})
    assert r.status_code == 400
    assert key in r.json(), r.json()
    assert not MetricValue.objects.exists()


def test_list_filters(api, tree, revenue):
    api.post(URL, [VALUE, {**VALUE, "unit": "T3", "period": "2026-01"}])
    assert api.get(URL).json()["count"] == 2
    assert [v["unit"] for v in api.get(URL, {"unit": "R2"}).json()["results"]] == ["T3"]
    assert [v["period"] for v in api.get(URL, {"from": "2026-02-15"}).json()["results"]] == ["2026-03"]
    assert api.get(URL, {"metric": "contacts"}).json()["count"] == 0


def test_outsider_sees_nothing_and_cannot_use_our_metric(api, outsider_api, tree, revenue):
    api.post(URL, VALUE)
    assert outsider_api.get(URL).json()["count"] == 0
    r = outsider_api.post(URL, VALUE)
    assert r.status_code == 400 and r.json()["metric"] == ["Unknown metric code: revenue."]
    assert MetricValue.objects.get().value == 182340.5


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_store_each_value_once(org, tree):
    from django.test import Client

    Metric.objects.create(organization=org, code="revenue", name="Revenue", category="business")
    key = make_api_key(org)
    items = [{**VALUE, "period": f"2025-{m:02d}"} for m in range(1, 13)]
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
    assert MetricValue.objects.count() == 12
    assert all(o["rejected"] == 0 for o in outcomes)
