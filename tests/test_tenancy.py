"""Tenant isolation, checked on every URL there is rather than on a hand-written list.

Walks the URL patterns under ``o/<slug:org>/``: each view must be wrapped by ``org_view``, an
outsider (a user of another organization) must get 404 on GET and POST and see none of the data,
and an admin of the organization must not get 404 (so that the outsider's 404 is not an accident
of a wrong URL).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.world import URL_KWARGS, URL_KWARGS_BY_NAME, build_world

ORG_PREFIX = "o/<slug:org>/"


def _walk(patterns, prefix="", namespace="", converters=()):
    for p in patterns:
        route = prefix + str(p.pattern)
        keys = (*converters, *p.pattern.converters)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, route, ns, keys)
        elif isinstance(p, URLPattern):
            yield route, (f"{namespace}{p.name}" if p.name else None), p.callback, keys


def org_url_patterns():
    return [entry for entry in _walk(get_resolver().url_patterns) if entry[0].startswith(ORG_PREFIX)]


def _url(world, name, converters):
    kwargs = {}
    for key in converters:
        fill = URL_KWARGS_BY_NAME.get(name, {}).get(key) or URL_KWARGS.get(key)
        assert fill is not None, f"{name}: add how to fill <{key}> to tests/world.py"
        kwargs[key] = fill(world)
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def world(org):
    return build_world(org)


def test_there_are_org_urls_to_walk():
    names = {name for _route, name, _cb, _conv in org_url_patterns()}
    assert {"org-home", "tenancy:setup"} <= names


@pytest.mark.parametrize(("route", "name", "callback"), [e[:3] for e in org_url_patterns()], ids=lambda v: str(v))
def test_every_org_view_is_scoped_by_org_view(route, name, callback):
    assert name, f"{route} needs a name"
    assert getattr(callback, "org_scoped", False), f"{name} ({route}) is not wrapped by org_view"


def test_outsider_gets_404_everywhere_and_sees_no_data(client, world, outsider):
    client.force_login(outsider)
    secrets = [world["org"].name, world["member"].name, world["unit"].name]
    for _route, name, _callback, converters in org_url_patterns():
        url = _url(world, name, converters)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} ({name}) gave {response.status_code}"
            body = response.content.decode()
            for secret in secrets:
                assert secret not in body, f"{method.upper()} {url} shows {secret!r}"


def test_anonymous_is_sent_to_login_everywhere(client, world):
    for _route, name, _callback, converters in org_url_patterns():
        url = _url(world, name, converters)
        response = client.get(url)
        assert response.status_code == 302, f"GET {url} ({name}) gave {response.status_code}"
        assert response.url.startswith(reverse("login")), url


def test_admin_of_the_org_reaches_every_url(client, world):
    client.force_login(world["admin"])
    for _route, name, _callback, converters in org_url_patterns():
        url = _url(world, name, converters)
        response = client.get(url)
        assert response.status_code != 404, f"GET {url} ({name}) gave 404 to an admin of the organization"
        assert response.status_code < 500, f"GET {url} ({name}) gave {response.status_code}"
