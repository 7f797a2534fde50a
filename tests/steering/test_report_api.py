"""``GET /api/v1/reports/<stakeholder>/<period>/``: the report's figures as JSON, sections in order;
bad periods 400, unknown or unreadable stakeholders 404, nothing across tenants."""

import pytest

from cxtracker.months import Month
from kpis.engine.readers import Reader
from steering.reports.build import report_build
from tests.api.conftest import Api, make_api_key
from tests.steering import report_data
from tests.steering.report_data import M

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return report_data.build()


def _path(code, period):
    return f"/api/v1/reports/{code}/{period}/"


def test_the_report_as_json_in_the_reports_order(client, w):
    api = Api(client, make_api_key(w["org"]))
    response = api.get(_path("sh-b", "2026-03"))
    assert response.status_code == 200
    body = response.json()
    assert body["stakeholder"] == {"code": "sh-b", "name": "Beta", "frequency": "monthly"}
    assert (body["period"], body["previous_period"], body["year_before_period"]) == ("2026-03", "2026-02", "2025-03")
    assert body["units"] == ["T1"]
    assert [s["key"] for s in body["sections"]] == ["flagship", "action", "information"]
    assert [[k["code"] for k in s["kpis"]] for s in body["sections"]] == [
        ["nps"],
        ["csat", "transformation_rate", "nps.journey=achat"],
        ["ces", "deployment_rate", "revenue"],
    ]
    nps = body["sections"][0]["kpis"][0]
    assert (nps["value"], nps["n"], nps["margin_of_error"]) == (25.0, 100, 16.2515)
    assert nps["previous"]["change"] == 25.0 and nps["previous"]["significant"] is False
    assert nps["year_before"] == {
        "period": "2025-03",
        "value": -50.0,
        "change": 75.0,
        "p_value": nps["year_before"]["p_value"],
        "significant": True,
        "suppressed": False,
    }
    assert [s["trigger"] for s in nps["hot_cold"]] == ["event", "periodic"]
    assert len(nps["trend"]) == 12 and nps["trend"][-1]["period"] == "2026-03"
    assert [p["external_id"] for p in nps["action_plans"]] == ["plan-t1-nps"]


def test_the_json_holds_the_builders_figures(client, w):
    """An API key is an admin's integration: unprotected, as /rates/."""
    report = report_build(org=w["org"], stakeholder=w["c"], period=M, reader=Reader.unrestricted())
    body = Api(client, make_api_key(w["org"])).get(_path("sh-c", "2026-03")).json()
    got = {k["code"]: k["value"] for s in body["sections"] for k in s["kpis"]}
    assert got == {k.code: k.value for k in report.kpis}
    assert got["transformation_rate"] == 0.0556
    assert body["protected"] is False


def test_a_steering_session_reads_its_stakeholder_protected(client, w):
    client.force_login(w["steering_a"])
    api = Api(client)
    response = api.get(_path("sh-a", "2026-03"))
    assert response.status_code == 200
    assert response.json()["protected"] is True
    assert api.get(_path("sh-b", "2026-03")).status_code == 404


def test_a_small_groups_rate_is_null_for_a_protected_session(client, w):
    client.force_login(w["executive"])
    body = Api(client).get(_path("sh-c", "2026-03")).json()
    rate = body["sections"][1]["kpis"][0]
    assert (rate["code"], rate["value"], rate["suppressed"]) == ("transformation_rate", None, True)


@pytest.mark.parametrize("period", ["2026-W10", "2026-Q1", "2026-13", "2026-3", "x", "1969-12"])
def test_a_period_not_of_the_stakeholders_frequency_is_400(client, w, period):
    response = Api(client, make_api_key(w["org"])).get(_path("sh-a", period))
    assert response.status_code == 400
    assert "period" in response.json()


def test_a_period_not_over_is_400(client, w):
    current = Month.of(w["org"].today())
    response = Api(client, make_api_key(w["org"])).get(_path("sh-a", str(current)))
    assert response.status_code == 400
    assert response.json() == {"period": ["This period is not over yet."]}


def test_unknown_stakeholder_is_404(client, w):
    assert Api(client, make_api_key(w["org"])).get(_path("nobody", "2026-03")).status_code == 404


def test_another_tenants_key_gets_404(client, w):
    other = report_data.build(slug="globex")
    other["a"].code = "sh-a-globex"
    other["a"].save(update_fields=["code"])
    other["b"].name = "Globex Beta"
    other["b"].save(update_fields=["name"])
    api = Api(client, make_api_key(other["org"]))
    assert api.get(_path("sh-a", "2026-03")).status_code == 404
    # sh-b is a code of both: the key reads its own organization's.
    assert api.get(_path("sh-b", "2026-03")).json()["stakeholder"]["name"] == "Globex Beta"
    assert api.get(_path("sh-a-globex", "2026-03")).status_code == 200


def test_a_manager_session_gets_404(client, w):
    client.force_login(w["manager"])
    assert Api(client).get(_path("sh-b", "2026-03")).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_answer_matches_the_published_schema(live_server):
    """schemathesis (tests/api/test_schemathesis.py) cannot guess a stakeholder's code: here its
    check runs on real 200s, a weekly and a quarterly report included, and on a 400."""
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from steering.services import stakeholder_create

    w = report_data.build()
    stakeholder_create(org=w["org"], code="weekly", name="Weekly", frequency="weekly", kpis_for_action=["ces"])
    stakeholder_create(org=w["org"], code="quarterly", name="Q", frequency="quarterly", kpis_for_action=["revenue"])
    headers = {"Authorization": f"Api-Key {make_api_key(w['org'])}", "Accept-Language": "en"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json")
    operation = schema["/api/v1/reports/{code}/{period}/"]["GET"]
    for code, period, status in (
        ("sh-b", "2026-03", 200),
        ("sh-c", "2026-03", 200),
        ("weekly", "2026-W10", 200),
        ("quarterly", "2026-Q1", 200),
        ("sh-b", "2026-W10", 400),
    ):
        case = operation.Case(path_parameters={"code": code, "period": period}, headers=headers)
        response = case.call(base_url=live_server.url)
        assert response.status_code == status, (code, period, response.text)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
