"""What every endpoint shares: authentication, organization resolution, errors, limits, docs."""

import datetime
import logging
import re

import pytest
import redis
import yaml
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from cxtracker.api.throttling import cache_outage
from cxtracker.api.views import date_bound
from cxtracker.tenancy.models import ApiKey, Role
from kpis.models import SurveyResponse
from tests.api.conftest import Api, make_api_key
from tests.factories import make_membership, make_org

URL = "/api/v1/survey-responses/"
WRITE_URLS = [
    "/api/v1/units/",
    "/api/v1/members/",
    "/api/v1/experience-models/",
    "/api/v1/observations/",
    "/api/v1/animations/",
    "/api/v1/survey-responses/",
    "/api/v1/metric-values/",
    "/api/v1/metrics/",
]
pytestmark = pytest.mark.django_db

ONE = {"external_id": "x", "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": 9}


def test_anonymous_gets_401_json(client):
    r = client.get(URL)
    assert r.status_code == 401
    assert "detail" in r.json()
    assert r.headers["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize("header", ["Api-Key cxt_nope_nope", "Api-Key garbage", "Api-Key "])
def test_a_wrong_key_gets_401(client, header):
    r = client.get(URL, HTTP_AUTHORIZATION=header)
    assert r.status_code == 401 and "detail" in r.json()


def test_a_revoked_key_gets_401(client, org):
    key = make_api_key(org)
    ApiKey.objects.update(revoked_at=timezone.now())
    assert Api(client, key).get(URL).status_code == 401


def test_a_key_without_read_scope_cannot_read(client, org):
    api = Api(client, make_api_key(org, scopes=("write",)))
    r = api.get(URL)
    assert r.status_code == 403 and "read" in r.json()["detail"]


@pytest.mark.parametrize("url", WRITE_URLS)
@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ('{"external_id": "x",', 400, "JSON parse error"),
        ("[1, 2", 400, "JSON parse error"),
        ('{"nps": NaN}', 400, "JSON parse error"),
        ("42", 400, "Expected a JSON object or a list of objects."),
        ('"text"', 400, "Expected a JSON object or a list of objects."),
        ("[]", 400, "The list is empty."),
        ("[1]", 200, "Expected an object."),
        ("{}", 400, "This field is required."),
        ('{"code": "a\\u0000b"}', 400, "NUL"),
        ("[" * 1000 + "]" * 1000, 400, "nested too deeply"),  # Python's parser runs out of stack
        ("[" * 40 + "]" * 40, 400, "nested too deeply"),
    ],
)
def test_malformed_bodies_get_a_json_4xx_everywhere(api, tree, url, body, status, needle):
    r = api.post(url, body)
    assert r.status_code == status, r.content
    assert needle in r.content.decode()
    if status == 200:
        assert r.json()["rejected"] == 1


@pytest.mark.parametrize("url", WRITE_URLS)
def test_more_than_1000_items_is_a_400_everywhere(api, url):
    r = api.post(url, [{}] * 1001)
    assert r.status_code == 400
    assert r.json() == {"non_field_errors": ["At most 1000 items per request; this one has 1001."]}


@pytest.mark.parametrize("url", WRITE_URLS)
def test_an_oversized_body_is_a_413_json_everywhere(api, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = api.post(url, [ONE] * 30)
    assert r.status_code == 413
    assert "larger than 1000 bytes" in r.json()["detail"]


def test_another_content_type_is_a_415(api, tree):
    r = api.client.post(URL, "external_id=x", content_type="text/plain", **api.headers)
    assert r.status_code == 415 and "detail" in r.json()


def test_nul_in_a_path_or_filter_is_a_400(api, tree):
    assert api.get(URL, {"journey": "a\x00b"}).status_code == 400
    assert api.get("/api/v1/units/a%00b/").status_code == 400


def test_throttled_per_key_with_retry_after(client, org, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"}}
    first, second = Api(client, make_api_key(org)), Api(client, make_api_key(org))
    assert [first.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    r = first.get(URL)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "detail" in r.json()
    assert second.get(URL).status_code == 200  # another key has its own budget


def test_session_users_are_throttled_per_user(session_api, admin, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "2/min"}}
    api = session_api(admin)
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]


def test_session_with_one_membership_needs_no_org(session_api, admin, tree):
    assert session_api(admin).get("/api/v1/units/").json()["count"] == 7


def test_session_with_several_memberships_names_the_org(session_api, admin, tree):
    second = make_org("second", "Second")
    make_membership(admin, second, Role.ADMIN)
    api = session_api(admin)
    r = api.get("/api/v1/units/")
    assert r.status_code == 400 and "org" in r.json()
    assert api.get("/api/v1/units/", HTTP_X_ORGANIZATION="acme").json()["count"] == 7
    assert api.get("/api/v1/units/", {"org": "second"}).json()["count"] == 0


def test_session_naming_an_org_it_does_not_belong_to_gets_404(session_api, admin, other_org, tree):
    r = session_api(admin).get("/api/v1/units/", HTTP_X_ORGANIZATION="globex")
    assert r.status_code == 404
    assert session_api(admin).get("/api/v1/units/", HTTP_X_ORGANIZATION="no-such-org").status_code == 404


def test_a_user_without_membership_gets_404(session_api, tree):
    from tests.factories import make_user

    assert session_api(make_user("lonely@example.com")).get("/api/v1/units/").status_code == 404


def test_session_writes_need_the_csrf_token(admin, tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    r = Api(client).post(URL, ONE)
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    assert not SurveyResponse.objects.exists()


def test_an_api_key_request_needs_no_csrf(org, tree):
    client = Client(enforce_csrf_checks=True)
    assert Api(client, make_api_key(org)).post(URL, ONE).status_code == 201


def test_schema_documents_the_api_key_bulk_bodies_and_examples(client):
    r = client.get("/api/v1/schema/")
    assert r.status_code == 200
    schema = yaml.safe_load(r.content)
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    body = schema["components"]["schemas"]["SurveyResponseOneOrManyRequest"]
    kinds = sorted("array" if s.get("type") == "array" else "object" for s in body["oneOf"])
    assert kinds == ["array", "object"]
    # A connector is created and a member erased one at a time; a connector's inbound URL takes the
    # tool's payload, signed, with no API key (tests/connectors).
    single = {"/api/v1/connectors/", "/api/v1/members/{code}/erase/"}
    signed = {"/api/v1/connectors/{id}/inbound/"}
    writes = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in ("post", "put", "patch") and path not in signed
    ]
    assert len([w for w in writes if w[1] == "post" and w[0] not in single]) == 9
    for path, method, op in writes:
        examples = op["requestBody"]["content"]["application/json"]["examples"]
        values = [e["value"] for e in examples.values()]
        assert any(isinstance(v, dict) for v in values), (method, path)
        if method == "post" and path not in single:
            assert any(isinstance(v, list) for v in values), path
        assert "ApiKey" in {name for requirement in op["security"] for name in requirement}, path


def test_docs_use_no_cdn(client):
    r = client.get("/api/v1/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html
    hosts = set(re.findall(r"https?://([^/\"'\s]+)", html))
    assert hosts <= {"testserver"}, hosts


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2026-02", datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)),
        ("2026-12", datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)),
        ("2024-02-29", datetime.date(2024, 2, 29), datetime.date(2024, 3, 1)),
        ("1970-01", datetime.date(1970, 1, 1), datetime.date(1970, 2, 1)),
        ("2999-12-31", datetime.date(2999, 12, 31), datetime.date(3000, 1, 1)),
        ("", None, None),
        (None, None, None),
    ],
)
def test_from_and_to_are_a_month_or_a_day(value, start, end):
    # ``from`` is the first day covered, ``to`` the first day after (both inclusive for the caller).
    assert date_bound(value, "from", end=False) == start
    assert date_bound(value, "to", end=True) == end


@pytest.mark.parametrize(
    "value",
    ["2026-13", "2026-00", "2026-3", "1969-12", "3000-01", "2026-02-30", "2026-03-01T00:00", "20260301", "March"],
)
def test_anything_else_is_a_400_naming_the_parameter(api, tree, value):
    r = api.get(URL, {"from": value})
    assert r.status_code == 400
    assert r.json() == {"from": ["Give a month (YYYY-MM) or a day (YYYY-MM-DD) between 1970 and 2999."]}


CLOSED_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def outage():
    """The throttle's memory of an outage starts empty and tries the cache again at once."""
    cache_outage.reset()
    before = cache_outage.retry_seconds
    cache_outage.retry_seconds = 0
    yield cache_outage
    cache_outage.retry_seconds = before
    cache_outage.reset()


def test_with_the_cache_unreachable_the_api_is_not_throttled_and_says_so_once(api, tree, settings, outage, caplog):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "2/min"}}
    caplog.set_level(logging.WARNING, logger="cxtracker.api.throttling")
    with override_settings(CACHES=CLOSED_CACHE):
        with pytest.raises(redis.exceptions.ConnectionError):
            cache.get("probe")  # really unreachable
        statuses = [api.get(URL).status_code for _ in range(3)]
        statuses.append(api.post(URL, ONE).status_code)
    assert statuses == [200, 200, 200, 201]  # over the rate of 2/min, and the write is stored
    assert SurveyResponse.objects.filter(external_id="x").exists()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "API requests are not throttled" in warnings[0]

    # The cache is back: throttling resumes (the key's budget starts afresh) and the log says so.
    assert [api.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert "Cache reachable again: API throttling resumes (4 requests let through unthrottled)" in caplog.text


def test_after_a_failure_the_cache_is_left_alone_for_a_while(api, tree, settings):
    cache_outage.reset()
    try:
        with override_settings(CACHES=CLOSED_CACHE):
            assert api.get(URL).status_code == 200
            assert cache_outage.down and cache_outage.let_through == 1
        # Back, but within retry_seconds (10) of the failure the throttle does not try it yet.
        assert api.get(URL).status_code == 200
        assert cache_outage.down and cache_outage.let_through == 2
    finally:
        cache_outage.reset()
