"""Tenant isolation of the REST API, checked on every route under api/v1/ rather than on a list.

An outsider's API key (another organization, with a world of its own: the same kinds of rows,
other codes and names) must get 404 on every object route filled with the organization's codes
and none of the organization's rows on every list route, whatever the method and whatever the
organization's codes in the filters, and never see the organization's data; an API key of each
organization reaches every route with its own codes (so that the outsider's 404 is not an
accident of a wrong URL).
"""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cxtracker.api import OrgApiView
from tests.api.conftest import make_api_key
from tests.factories import make_unit
from tests.world import build_world

# The list filters that name objects (SPEC §8), and how to fill them from a world.
CODE_FILTERS = {
    "unit": (lambda w: w["unit"].code, lambda w: w["tree"]["R"].code),
    "metric": (lambda w: w["metric"].code,),
    "journey": (lambda w: w["survey_response"].journey,),
    "segment": (lambda w: w["survey_response"].segment,),
    "channel": (lambda w: w["survey_response"].channel,),
}

API_PREFIX = "api/v1/"
# Public, and free of tenant data: the OpenAPI schema and its docs. The connectors' inbound URL
# takes no API key: the connector's signature decides (tests/connectors/test_inbound.py).
PUBLIC = {"api-schema", "api-docs", "api-connector-inbound"}

API_URL_KWARGS = {
    "api-unit": {"code": lambda w: w["unit"].code},
    "api-member": {"code": lambda w: w["member"].code},
    "api-member-export": {"code": lambda w: w["member"].code},
    "api-member-erase": {"code": lambda w: w["member"].code},
    "api-experience-model": {"version": lambda w: w["model"].version},
    "api-observation": {"external_id": lambda w: w["observation"].external_id},
    "api-animation": {"external_id": lambda w: w["animation"].external_id},
    "api-survey-response": {"external_id": lambda w: w["survey_response"].external_id},
    "api-metric": {"code": lambda w: w["metric"].code},
    "api-action-plan": {"external_id": lambda w: w["action_plan"].external_id},
    "api-report": {"code": lambda w: w["stakeholder"].code, "period": lambda w: w["report_period"]},
    "api-connector": {"pk": lambda w: w["connector"].pk},
}


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route, p.name, p.callback, tuple(p.pattern.converters)


def api_routes():
    return [e for e in _walk(get_resolver().url_patterns) if e[0].startswith(API_PREFIX) and e[1] not in PUBLIC]


def _url(world, name, converters):
    kwargs = {key: API_URL_KWARGS[name][key](world) for key in converters}
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def world(org):
    return build_world(org)


@pytest.fixture
def other_world(other_org):
    # Its own data, none of it with the world's codes (a shared code would rightly find its own row).
    w = build_world(other_org, prefix="X", label="Other")
    # Model versions count from 1 in every organization: give the outsider's a number the world's
    # is not, so that the world's version names nothing of the outsider.
    w["model"].version += 100
    w["model"].save(update_fields=["version"])
    return w


@pytest.fixture
def outsider_key(other_world):
    return make_api_key(other_world["org"])


def _secrets(world):
    return [
        world["org"].name,
        world["org"].slug,
        world["member"].name,
        world["unit"].name,
        world["model"].name,
        world["behavior"].name,
        world["metric"].name,
        world["survey_response"].comment,
        world["connector"].name,
        world["connector"].secret,
        "W-SR1",
        "W-OBS1",
        "W-AN1",
        "W-E1",
    ]


def _codes(world) -> list[str]:
    """The world's codes and external ids, as they would stand in a JSON row of it."""
    w = world
    codes = [unit.code for unit in w["tree"].values()]
    codes += [w["member"].code, w["journey"].code, w["dimension"].code, w["behavior"].code, w["metric"].code]
    codes += [w["observation"].external_id, w["animation"].external_id, w["survey_response"].external_id]
    return [f'"{code}"' for code in codes]


def test_every_api_route_is_an_org_api_view():
    routes = api_routes()
    assert len(routes) >= 15
    for route, name, callback, _conv in routes:
        assert name, route
        assert issubclass(callback.view_class, OrgApiView), f"{name} ({route}) is not an OrgApiView"


def test_every_route_has_its_keywords_filled():
    for _route, name, _callback, converters in api_routes():
        for key in converters:
            assert key in API_URL_KWARGS.get(name, {}), f"{name}: add how to fill <{key}> to API_URL_KWARGS"


def test_outsider_key_gets_404_or_nothing_everywhere(client, world, outsider_key):
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {outsider_key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    secrets = _secrets(world)
    for _route, name, _callback, converters in api_routes():
        url = _url(world, name, converters)
        is_detail = bool(converters)
        for method in ("get", "post", "put", "patch", "delete"):
            kwargs = {} if method == "get" else {"data": json.dumps({"name": "x"}), "content_type": "application/json"}
            response = getattr(client, method)(url, **kwargs, **auth)
            status = response.status_code
            body = response.content.decode()
            if is_detail:
                assert status in (404, 405), f"{method.upper()} {url} gave {status}"
            elif method == "get":
                assert status == 200, f"GET {url} gave {status}"
                # A list (paginated) or an analysis (one object): either way none of the org's codes.
                rows = response.json().get("results", [])
                own = {row.get("code") or row.get("external_id") or row.get("unit") for row in rows}
                assert not any(str(code).startswith("W") for code in own), f"GET {url} lists rows of the org"
                shown = [code for code in _codes(world) if code in body]
                assert not shown, f"GET {url} lists rows naming {shown}"
            else:
                assert status in (400, 405), f"{method.upper()} {url} gave {status}: {body}"
            for secret in secrets:
                assert secret not in body, f"{method.upper()} {url} shows {secret!r}"


def test_outsider_key_cannot_name_the_orgs_objects_in_writes(client, world, outsider_key):
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {outsider_key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    writes = {
        "/api/v1/observations/": {
            "member": "W-E1",
            "observed_at": "2026-01-10T10:00:00+01:00",
            "ratings": [{"behavior": "W-B1", "level": 3}],
        },
        "/api/v1/metric-values/": {"metric": "revenue", "unit": "ONLY-W", "period": "2026-01", "value": 1},
        "/api/v1/survey-responses/": {
            "external_id": "W-SR2",
            "unit": "ONLY-W",
            "responded_at": "2026-01-10T10:00:00+01:00",
            "nps": 1,
        },
    }
    make_unit(world["org"], "team", world["tree"]["B"], code="ONLY-W")
    for url, body in writes.items():
        response = client.post(url, json.dumps(body), content_type="application/json", **auth)
        assert response.status_code == 400, f"POST {url} gave {response.status_code}"


def test_outsider_key_filtering_lists_by_the_orgs_codes_gets_none_of_its_rows(client, world, other_world, outsider_key):
    """``?unit=``, ``?metric=``, ``?journey=``… with the organization's codes: a 400 (unknown code)
    or a list without its rows, never its data; with the outsider's own codes, a 200."""
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {outsider_key}", "HTTP_ACCEPT_LANGUAGE": "en"}
    secrets = [s for s in _secrets(world) if not s.startswith("W-")]  # an error may quote the code asked for
    codes = _codes(world)
    lists = [(name, _url(world, name, conv)) for _route, name, _cb, conv in api_routes() if not conv]
    for name, url in lists:
        for param, fills in CODE_FILTERS.items():
            for fill in fills:
                response = client.get(url, {param: fill(world)}, **auth)
                status, body = response.status_code, response.content.decode()
                where = f"GET {url}?{param}={fill(world)} ({name})"
                assert status in (200, 400), f"{where} gave {status}"
                if status == 200:
                    shown = [code for code in codes if code in body]
                    assert not shown, f"{where} lists rows naming {shown}"
                for secret in secrets:
                    assert secret not in body, f"{where} shows {secret!r}"
                own = client.get(url, {param: fill(other_world)}, **auth)
                assert own.status_code == 200, f"GET {url}?{param}={fill(other_world)} gave {own.status_code}"


@pytest.mark.parametrize("which", ["world", "other_world"])
def test_a_key_of_the_org_reaches_every_route(client, request, which):
    world = request.getfixturevalue(which)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {make_api_key(world['org'])}"}
    for _route, name, _callback, converters in api_routes():
        url = _url(world, name, converters)
        response = client.get(url, **auth)
        assert response.status_code == 200, f"GET {url} gave {response.status_code}"
        body = response.json()
        if not converters and "results" in body:
            assert body["count"] >= 1, f"GET {url}: the world has no row for it"
