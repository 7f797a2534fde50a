"""Tenant isolation of the REST API, checked on every route under api/v1/ rather than on a list.

An outsider's API key (another organization, with data of its own) must get 404 on every
object route and empty lists on every list route, whatever the method, and never see the
organization's data; an API key of the organization must reach every route (so that the
outsider's 404 is not an accident of a wrong URL).
"""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cxtracker.api import OrgApiView
from tests.api.conftest import make_api_key
from tests.factories import make_unit
from tests.world import build_world

API_PREFIX = "api/v1/"
# Public, and free of tenant data: the OpenAPI schema and its docs.
PUBLIC = {"api-schema", "api-docs"}

API_URL_KWARGS = {
    "api-unit": {"code": lambda w: w["unit"].code},
    "api-member": {"code": lambda w: w["member"].code},
    "api-experience-model": {"version": lambda w: w["model"].version},
    "api-observation": {"external_id": lambda w: w["observation"].external_id},
    "api-animation": {"external_id": lambda w: w["animation"].external_id},
    "api-survey-response": {"external_id": lambda w: w["survey_response"].external_id},
    "api-metric": {"code": lambda w: w["metric"].code},
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
    w = build_world(org)
    # The API addresses field data by external_id.
    for key, external_id in (("observation", "W-OBS1"), ("animation", "W-AN1")):
        w[key].external_id = external_id
        w[key].save(update_fields=["external_id"])
    return w


@pytest.fixture
def outsider_key(other_org):
    # Its own data, none of it with the world's codes (a shared code would rightly find its own row).
    make_unit(other_org, "region", code="XR", name="Elsewhere")
    return make_api_key(other_org)


def _secrets(world):
    return [
        world["org"].name,
        world["org"].slug,
        world["member"].name,
        world["unit"].name,
        world["model"].name,
        world["behavior"].name,
        "W-SR1",
        "W-OBS1",
        "W-AN1",
        "W-E1",
    ]


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
                own = {row.get("code") or row.get("external_id") for row in response.json()["results"]}
                assert not any(str(code).startswith("W") for code in own), f"GET {url} lists rows of the org"
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


def test_a_key_of_the_org_reaches_every_route(client, world):
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {make_api_key(world['org'])}"}
    for _route, name, _callback, converters in api_routes():
        url = _url(world, name, converters)
        response = client.get(url, **auth)
        assert response.status_code == 200, f"GET {url} gave {response.status_code}"
        body = response.json()
        if not converters:
            assert body["count"] >= 1, f"GET {url}: the world has no row for it"
