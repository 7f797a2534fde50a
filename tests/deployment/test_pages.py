"""The member page and animations (the team pages and the manager's home: tests/dashboards/test_team_pages.py)."""

import datetime

import pytest
from django.urls import reverse

from deployment.models import Animation
from deployment.services import animation_create, observation_create
from tests.factories import make_member


def _url(name, org, **kwargs):
    return reverse(f"deployment:{name}", kwargs={"org": org.slug, **kwargs})


def _home(org):
    return reverse("org-home", kwargs={"org": org.slug})


def _observe(org, member, observer, when, ratings):
    return observation_create(
        org=org, member=member, observer=observer, observed_at=when, kind="coaching", ratings=ratings
    )


def test_pages_render_in_french_and_english(client_for, org, manager, members, exp_model):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "fr"
    body = client.get(_home(org)).content.decode()
    assert "Pas encore coachés ce mois-ci" in body and "Consigner une observation" in body
    body = client.get(_url("observation-create", org)).content.decode()
    assert "Non observé" in body and "Maîtrisé" in body
    client.cookies["cxtracker_language"] = "en"
    body = client.get(_home(org)).content.decode()
    assert "Not yet coached this month" in body and "Log an observation" in body


def test_french_via_accept_language(client, org, manager, members, exp_model):
    client.force_login(manager)
    body = client.get(_url("member-detail", org, code="E0001"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Dernier niveau par comportement" in body


def test_member_page_shows_timeline_levels_chart_and_open_steps(client_for, org, manager, members, behaviors, recently):
    _observe(org, members["lea"], manager, recently - datetime.timedelta(days=20), {behaviors["accueil-1"]: 1})
    observation_create(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["accueil-1"]: 3, behaviors["conseil-1"]: 2},
        next_step="Offer a coffee",
    )
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    body = client.get(_url("member-detail", org, code="E0001")).content.decode()
    assert "Offer a coffee" in body
    assert 'id="mastery-figure"' in body and "vendor/plotly/plotly.min.js" in body
    assert "cdn" not in body.lower()
    assert body.count('<span class="level-chip level-3">3</span>') >= 2  # latest level + timeline
    assert "Coaching" in body and "Observation" in body


def test_member_page_paginates_the_timeline(client_for, org, manager, members, behaviors, recently):
    for i in range(12):
        _observe(org, members["lea"], manager, recently - datetime.timedelta(days=i), {behaviors["accueil-1"]: 2})
    client = client_for(manager)
    assert client.get(_url("member-detail", org, code="E0001")).context["timeline"].paginator.num_pages == 2
    assert len(client.get(_url("member-detail", org, code="E0001") + "?page=2").context["timeline"]) == 2


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("member-detail", {"code": "E0003"}),
        ("animation-create", {"code": "T2"}),
        ("animation-create", {"code": "R"}),  # a region is not a team
    ],
)
def test_manager_gets_404_outside_their_units(client_for, org, manager, members, exp_model, name, kwargs):
    client = client_for(manager)
    assert client.get(_url(name, org, **kwargs)).status_code == 404
    assert client.post(_url(name, org, **kwargs), {"kind": "briefing"}).status_code == 404
    assert Animation.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("member-detail", {"code": "E0001"}),
        ("animation-create", {"code": "T1"}),
        ("observation-create", {}),
    ],
)
def test_outsider_gets_404(client_for, org, outsider, members, exp_model, name, kwargs):
    client = client_for(outsider)
    assert client.get(_url(name, org, **kwargs)).status_code == 404
    assert client.post(_url(name, org, **kwargs)).status_code == 404


# --- animations -----------------------------------------------------------------------------


def test_animation_form_ticks_all_active_members(client_for, org, tree, manager, members, exp_model):
    make_member(
        org,
        tree["T1"],
        code="E0090",
        name="Gone Girl",
        active_from=datetime.date(2020, 1, 1),
        active_to=datetime.date(2021, 1, 1),
    )
    response = client_for(manager).get(_url("animation-create", org, code="T1"))
    assert response.status_code == 200
    assert sorted(response.context["form"].initial["attendees"]) == ["E0001", "E0002"]
    assert "Gone Girl" not in response.content.decode()


def test_manager_logs_edits_and_deletes_an_animation(client_for, org, tree, manager, members, exp_model, recently):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    when = recently.astimezone(org.tzinfo).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        _url("animation-create", org, code="T1"),
        {
            "kind": "challenge",
            "held_at": when,
            "topic": "Welcome week",
            "dimensions": ["accueil"],
            "attendees": ["E0001"],
        },
    )
    assert response.status_code == 302
    animation = Animation.objects.get()
    assert (animation.team, animation.kind, animation.topic, animation.held_by) == (
        tree["T1"],
        "challenge",
        "Welcome week",
        manager,
    )
    assert list(animation.attendees.values_list("code", flat=True)) == ["E0001"]
    team_page = reverse("dashboards:team-detail", kwargs={"org": org.slug, "code": "T1"})
    assert "Welcome week" in client.get(team_page).content.decode()

    response = client.post(
        _url("animation-update", org, pk=animation.pk),
        {"kind": "ritual", "held_at": when, "attendees": ["E0001", "E0002"]},
    )
    assert response.status_code == 302
    animation.refresh_from_db()
    assert animation.kind == "ritual" and animation.attendees.count() == 2

    assert "cannot be undone" in client.get(_url("animation-delete", org, pk=animation.pk)).content.decode()
    assert client.post(_url("animation-delete", org, pk=animation.pk)).status_code == 302
    assert not Animation.objects.exists()


def test_invalid_animation_writes_nothing(client_for, org, manager, members, exp_model, now):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    future = (now + datetime.timedelta(days=3)).astimezone(org.tzinfo).strftime("%Y-%m-%dT%H:%M")
    response = client.post(_url("animation-create", org, code="T1"), {"kind": "briefing", "held_at": future})
    assert response.status_code == 400
    assert "This date is in the future." in response.content.decode()
    response = client.post(
        _url("animation-create", org, code="T1"),
        {"kind": "briefing", "held_at": "2026-01-05T10:00", "attendees": ["E0003"]},  # Inès is in T2
    )
    assert response.status_code == 400
    assert not Animation.objects.exists()


@pytest.fixture
def t2_animation(org, tree, admin, members, exp_model, recently):
    return animation_create(org=org, team=tree["T2"], held_by=admin, held_at=recently, kind="briefing")


@pytest.mark.parametrize("name", ["animation-update", "animation-delete"])
def test_manager_gets_404_on_animations_of_other_teams(client_for, org, manager, t2_animation, name):
    client = client_for(manager)
    assert client.get(_url(name, org, pk=t2_animation.pk)).status_code == 404
    assert client.post(_url(name, org, pk=t2_animation.pk), {"kind": "ritual"}).status_code == 404
    assert Animation.objects.get().kind == "briefing"


@pytest.mark.parametrize("name", ["animation-update", "animation-delete"])
def test_outsider_gets_404_on_animations(client_for, org, outsider, t2_animation, name):
    client = client_for(outsider)
    assert client.get(_url(name, org, pk=t2_animation.pk)).status_code == 404
    assert client.post(_url(name, org, pk=t2_animation.pk)).status_code == 404


@pytest.mark.parametrize("role", ["steering", "executive"])
def test_read_only_roles_get_403_on_animation_writes(request, client_for, org, t2_animation, role):
    client = client_for(request.getfixturevalue(role))
    assert client.post(_url("animation-create", org, code="T2"), {"kind": "ritual"}).status_code == 403
    for name in ("animation-update", "animation-delete"):
        assert client.post(_url(name, org, pk=t2_animation.pk), {"kind": "ritual"}).status_code == 403
    assert Animation.objects.get().kind == "briefing"
