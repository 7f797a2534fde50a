"""Tenant isolation down to the view body: the admin of another organization asks for this
organization's objects under their own slug.

tests/test_tenancy.py requests the world's slug as an outsider: ``org_view`` answers 404 before any
view runs, so a view fetching a tenant object without its organization (a bare
``UploadJob.objects.get(pk=pk)``) would pass it. Here organization B has a world of its own (other
codes, other names) and B's admin requests every ``/o/<B>/…`` URL filled with the ids and codes of
organization A's world: ``org_view`` lets them in, and only the view's own fetch stands between them
and A's rows. Every URL naming an object must answer 404 on GET and POST (405 for a method the
view does not take, as long as the other one reached the view); the URLs naming
no object must show none of A's data, whatever A's codes the query string and the form carry.
B's admin reaches every URL with B's own objects, so the 404s come from the foreign ids and not
from a wrong URL; ``test_the_walk_catches_a_view_that_fetches_without_the_organization`` shows
the walk failing on a deliberately leaky view.
"""

import pytest
from django.apps import apps
from django.db.models import F
from django.http import Http404, HttpResponse
from django.urls import path

from cxtracker import urls as project_urls
from cxtracker.tenancy.access import access_or_404, org_view
from kpis.models import Metric, UploadJob
from tests.test_tenancy import _url, org_url_patterns
from tests.world import URL_KWARGS_BY_NAME, build_world

# URL keywords that name no object of the organization (add e.g. a month or a kind here).
NON_OBJECT_KWARGS = frozenset({"org", "period"})


@pytest.fixture
def world(org):
    """Organization A, whose objects are asked for."""
    return build_world(org)


@pytest.fixture
def other_world(other_org):
    """Organization B, whose admin asks: the same kinds of rows, none with A's codes or names."""
    return build_world(other_org, prefix="X", label="Other")


def _secrets(w) -> list[str]:
    """What of A must never appear in a page of B: names and free text (codes are not secret:
    a 404 or a form error may echo the code that was asked for)."""
    return [
        w["org"].name,
        f"/o/{w['org'].slug}/",
        *(unit.name for unit in w["tree"].values()),
        w["member"].name,
        w["admin"].email,
        w["manager"].email,
        w["model"].name,
        w["dimension"].name,
        w["behavior"].name,
        w["journey"].name,
        w["stage"].name,
        w["observation"].next_step,
        w["animation"].topic,
        w["metric"].name,
        w["survey_response"].comment,
        w["api_key"].name,
        w["upload_job"].filename,
        w["stakeholder"].name,
        w["action_plan"].title,
        w["connector"].name,
        w["connector"].secret,
        w["connector_delivery"].reason,
    ]


def _foreign_query(w) -> dict:
    """A's codes under the query parameters the org views read."""
    return {"member": w["member"].code, "team": w["unit"].code, "parent": w["unit"].code, "unit": w["unit"].code}


def _foreign_form(w) -> dict:
    """A's ids and codes under the form fields that name objects (codes where the form takes codes)."""
    return {
        "member": w["member"].code,
        "attendees": [w["member"].code],
        "dimensions": [w["dimension"].code],
        "team": w["unit"].pk,
        "parent": w["unit"].pk,
        "units": [w["unit"].pk, w["tree"]["R"].pk],
        "journeys": [w["journey"].pk],
        "dimension": w["dimension"].pk,
        "metric": w["metric"].pk,
        "unit": w["unit"].pk,
    }


def _allows(response, method: str) -> bool:
    """False when the view refused the method itself (405 naming the methods it takes)."""
    return not (response.status_code == 405 and method.upper() not in response.get("Allow", "").upper())


def _problems_as_foreign_admin(client, world, other_world, entries) -> list[str]:
    """Every problem met by B's admin requesting ``entries`` (URL patterns) under B's slug with A's
    ids and codes; empty when none of them reached A's data."""
    client.force_login(other_world["admin"])
    secrets = _secrets(world)
    problems = []
    for _route, name, callback, converters in entries:
        url = _url({**world, "org": other_world["org"]}, name, converters)
        # A URL that moved answers with its new place: what counts is what that one answers.
        follow = hasattr(callback, "moved_to")
        names_objects = bool(set(converters) - NON_OBJECT_KWARGS)
        requests = [("get", {}), ("post", _foreign_form(world))]
        if not names_objects:
            requests.insert(1, ("get", _foreign_query(world)))
        reached = False
        for method, data in requests:
            response = getattr(client, method)(url, data, follow=follow)
            status = response.status_code
            where = f"{method.upper()} {url} ({name}) {data or ''}".rstrip()
            body = response.content.decode(errors="replace") + response.get("Location", "")
            problems += [f"{where} shows {secret!r}" for secret in secrets if secret in body]
            if status >= 500:
                problems.append(f"{where} gave {status}")
            elif names_objects and status != 404 and _allows(response, method):
                problems.append(f"{where} gave {status} for an object of another organization, not 404")
            reached |= _allows(response, method)
        if not reached:
            problems.append(f"{url} ({name}) took neither GET nor POST: the walk cannot reach its view")
    return problems


def _cross_org_references() -> list[str]:
    """Rows of one organization pointing at a row of another (a write that took a foreign id)."""

    def tenant(model):
        return any(f.name == "organization" and f.many_to_one for f in model._meta.get_fields())

    found = []
    for model in apps.get_models():
        if not tenant(model):
            continue
        for field in model._meta.get_fields():
            if not field.concrete or field.name == "organization" or not field.related_model:
                continue
            if field.many_to_one and tenant(field.related_model):
                rows = model._default_manager.filter(**{f"{field.name}__isnull": False}).exclude(
                    **{f"{field.name}__organization": F("organization")}
                )
            elif field.many_to_many and tenant(field.related_model):
                through = field.remote_field.through
                source = field.m2m_field_name()
                target = field.m2m_reverse_field_name()
                rows = through._default_manager.exclude(**{f"{source}__organization": F(f"{target}__organization")})
            else:
                continue
            if rows.exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_the_admin_of_another_org_gets_404_for_every_object_of_the_org(client, world, other_world):
    entries = org_url_patterns()
    assert sum(bool(set(e[3]) - NON_OBJECT_KWARGS) for e in entries) >= 30, "the walk lost its object URLs"
    problems = _problems_as_foreign_admin(client, world, other_world, entries)
    assert not problems, "\n".join(problems)
    assert not _cross_org_references(), "a form took an object of another organization"


def test_the_admin_of_the_other_org_reaches_every_url_with_its_own_objects(client, other_world):
    """The control: the same URLs with B's own ids are found, so A's ids are what gives 404."""
    client.force_login(other_world["admin"])
    for _route, name, _callback, converters in org_url_patterns():
        url = _url(other_world, name, converters)
        response = client.get(url)
        assert response.status_code != 404, f"GET {url} ({name}) gave 404 to an admin of the organization"
        assert response.status_code < 500, f"GET {url} ({name}) gave {response.status_code}"


# ---------------------------------------------------------------------------------------------
# The walk against a deliberately leaky view, mounted by this module used as the URLconf.


@org_view()
def _leaky_upload(request, org, pk):
    job = UploadJob.objects.get(pk=pk)  # the bug the walk is for: no organization
    return HttpResponse(job.filename)


@org_view()
def _scoped_upload(request, org, pk):
    return HttpResponse(access_or_404(UploadJob, org, pk=pk).filename)


urlpatterns = [
    *project_urls.urlpatterns,
    path("o/<slug:org>/test-leaky/<int:pk>/", _leaky_upload, name="test-leaky-upload"),
    path("o/<slug:org>/test-scoped/<int:pk>/", _scoped_upload, name="test-scoped-upload"),
]


def test_the_walk_catches_a_view_that_fetches_without_the_organization(
    client, settings, monkeypatch, world, other_world
):
    settings.ROOT_URLCONF = __name__
    for name in ("test-leaky-upload", "test-scoped-upload"):
        monkeypatch.setitem(URL_KWARGS_BY_NAME, name, {"pk": lambda w: w["upload_job"].pk})
    entries = [e for e in org_url_patterns() if e[1].startswith("test-")]
    assert [e[1] for e in entries] == ["test-leaky-upload", "test-scoped-upload"]

    problems = _problems_as_foreign_admin(client, world, other_world, entries)

    assert problems, "the walk let a bare UploadJob.objects.get(pk=pk) through"
    assert all("test-leaky" in p for p in problems), problems
    assert any(world["upload_job"].filename in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# The helper itself


def test_access_or_404_refuses_a_foreign_object(world, other_world):
    a, b = world["org"], other_world["org"]
    job = world["upload_job"]

    assert access_or_404(UploadJob, a, pk=job.pk) == job
    for model_or_queryset in (UploadJob, UploadJob.objects, UploadJob.objects.select_related("created_by")):
        with pytest.raises(Http404):
            access_or_404(model_or_queryset, b, pk=job.pk)
    # The organization filter applies whatever the queryset already holds.
    with pytest.raises(Http404):
        access_or_404(UploadJob.objects.for_org(a), b, pk=job.pk)
    with pytest.raises(Http404):
        access_or_404(Metric, b, code=world["metric"].code)


def test_access_or_404_says_the_same_for_foreign_and_missing(world, other_world):
    b = other_world["org"]
    missing = UploadJob.objects.order_by("-pk").first().pk + 1000
    answers = []
    for pk in (world["upload_job"].pk, missing):
        with pytest.raises(Http404) as raised:
            access_or_404(UploadJob, b, pk=pk)
        answers.append(str(raised.value))
    assert answers[0] == answers[1]


def test_access_or_404_finds_each_orgs_own_row_when_codes_are_shared(world, other_world):
    # Both organizations have the seeded "revenue" metric.
    for w in (world, other_world):
        assert access_or_404(Metric, w["org"], code="revenue").organization == w["org"]


def test_access_or_404_treats_a_malformed_lookup_as_missing_and_wants_org_and_lookup(world):
    with pytest.raises(Http404):
        access_or_404(UploadJob, world["org"], pk="not-a-number")
    with pytest.raises(TypeError):
        access_or_404(UploadJob, None, pk=world["upload_job"].pk)
    with pytest.raises(TypeError):
        access_or_404(UploadJob, world["org"])
