"""API test helpers: keys made directly (ApiKey.generate + ApiKey.hash) and a small JSON client."""

import json

import pytest
from django.core.cache import cache

from cxtracker.tenancy.models import ApiKey
from experience.services import experience_model_create_from_json
from kpis.models import Metric
from tests.factories import make_member, make_tree

MODEL_JSON = {
    "name": "Expérience 2026",
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil",
            "behaviors": [
                {"code": "salue-30s", "name": "Salue en moins de 30 s"},
                {"code": "sourit", "name": "Sourit"},
            ],
        },
        {"code": "conseil", "name": "Conseil", "behaviors": [{"code": "reformule", "name": "Reformule"}]},
    ],
}


def make_api_key(org, scopes=("read", "write"), name=None) -> str:
    prefix, key = ApiKey.generate()
    ApiKey.objects.create(
        organization=org, name=name or f"key-{prefix}", prefix=prefix, hashed_key=ApiKey.hash(key), scopes=list(scopes)
    )
    return key


class Api:
    """The Django test client speaking JSON with an API key (or a session when key is None)."""

    def __init__(self, client, key=None):
        self.client = client
        # English messages, so that assertions can quote them (the site default is French).
        self.headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if key:
            self.headers["HTTP_AUTHORIZATION"] = f"Api-Key {key}"

    def get(self, path, params=None, **extra):
        return self.client.get(path, params or {}, **self.headers, **extra)

    def _send(self, method, path, body, extra):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(self.client, method)(path, data, content_type="application/json", **self.headers, **extra)

    def post(self, path, body, **extra):
        return self._send("post", path, body, extra)

    def put(self, path, body, **extra):
        return self._send("put", path, body, extra)

    def patch(self, path, body, **extra):
        return self._send("patch", path, body, extra)

    def delete(self, path, **extra):
        return self.client.delete(path, **self.headers, **extra)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counters live in the cache, shared with earlier runs."""
    cache.clear()


@pytest.fixture
def api(client, org):
    """A read-write API key of ``org``."""
    return Api(client, make_api_key(org))


@pytest.fixture
def read_api(client, org):
    return Api(client, make_api_key(org, scopes=("read",)))


@pytest.fixture
def outsider_api(client, other_org):
    """A read-write key of another organization, holding the same codes as ``org``."""
    make_tree(other_org)
    return Api(client, make_api_key(other_org))


@pytest.fixture
def session_api(client):
    """``session_api(user)``: the JSON client logged in (CSRF checks off, as Django's client does)."""

    def _login(user):
        client.force_login(user)
        return Api(client)

    return _login


@pytest.fixture
def experience_model(org):
    return experience_model_create_from_json(org=org, data=MODEL_JSON, activate=True)


@pytest.fixture
def revenue(org):
    return Metric.objects.create(organization=org, code="revenue", name="Revenue", category="business")


@pytest.fixture
def field(org, tree, members, experience_model):
    """The org tree, members and an active experience model: what field data needs."""
    return {"tree": tree, "members": members, "model": experience_model}


__all__ = ["MODEL_JSON", "Api", "make_api_key", "make_member"]


def pytest_configure(config):
    config.addinivalue_line("markers", "schemathesis: property-based run of the OpenAPI schema against a live server")
