"""Logging, editing and deleting observations through the browser forms."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deployment.models import Observation, Rating
from deployment.services import observation_create
from tests.factories import make_member, make_membership, make_user


def _url(name, org, **kwargs):
    return reverse(f"deployment:{name}", kwargs={"org": org.slug, **kwargs})


def _local(moment, org):
    return timezone.localtime(moment, org.tzinfo).strftime("%Y-%m-%dT%H:%M")


def _post_data(org, member, when, ratings: dict, **extra):
    data = {"member": member.code, "kind": "coaching", "observed_at": _local(when, org), **extra}
    for behavior, level in ratings.items():
        data[f"b_{behavior.pk}"] = str(level)
    return data


@pytest.fixture
def lea_observed(org, members, manager, behaviors, recently):
    return observation_create(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["accueil-1"]: 2},
        next_step="Smile at the door",
    )


def test_form_shows_the_active_model_levels_and_previous_level(client_for, org, manager, lea_observed, behaviors):
    response = client_for(manager).get(_url("observation-create", org) + "?member=E0001")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="E0001" selected' in body
    for behavior in behaviors.values():
        assert f'name="b_{behavior.pk}"' in body
    # Léa's previous level on accueil-1 is shown beside it.
    assert f'data-previous-for="{behaviors["accueil-1"].pk}"><small>' in body
    assert "Does accueil 1 perfectly" in body  # guidance per level


def test_manager_logs_an_observation_with_ratings_and_notes(client_for, org, members, manager, behaviors, recently):
    data = _post_data(
        org,
        members["hugo"],
        recently,
        {behaviors["accueil-1"]: 3, behaviors["accueil-2"]: 4, behaviors["conseil-1"]: 1},
        strengths="Warm welcome",
        next_step="Propose the loyalty card",
        next_step_on=(org.today() + datetime.timedelta(days=7)).isoformat(),
    )
    response = client_for(manager).post(_url("observation-create", org), data)
    assert response.status_code == 302
    assert response.url == _url("member-detail", org, code="E0002")
    obs = Observation.objects.get()
    assert (obs.member, obs.observer, obs.kind, obs.strengths) == (members["hugo"], manager, "coaching", "Warm welcome")
    assert obs.observed_at == recently.replace(second=0, microsecond=0)
    assert sorted(obs.ratings.values_list("behavior__code", "level")) == [
        ("accueil-1", 3),
        ("accueil-2", 4),
        ("conseil-1", 1),
    ]


def test_next_parameter_brings_the_manager_back_home(client_for, org, members, manager, behaviors, recently):
    home = reverse("org-home", kwargs={"org": org.slug})
    data = _post_data(org, members["hugo"], recently, {behaviors["accueil-1"]: 3}, next=home)
    response = client_for(manager).post(_url("observation-create", org), data)
    assert response.url == home
    data = _post_data(org, members["hugo"], recently, {behaviors["accueil-1"]: 3}, next="https://evil.example.com/")
    response = client_for(manager).post(_url("observation-create", org), data)
    assert response.url == _url("member-detail", org, code="E0002")


@pytest.mark.parametrize("case", ["future", "inactive", "no_rating", "level_5", "level_0"])
def test_invalid_observation_shows_form_errors_and_writes_nothing(
    client_for, org, tree, manager, members, behaviors, now, recently, case
):
    member, when, ratings = members["lea"], recently, {behaviors["accueil-1"]: 3}
    if case == "future":
        when = now + datetime.timedelta(days=2)
    elif case == "inactive":
        member = make_member(
            org, tree["T1"], code="E0099", active_from=datetime.date(2020, 1, 1), active_to=datetime.date(2021, 1, 1)
        )
        when = datetime.datetime(2024, 6, 1, 10, tzinfo=datetime.UTC)
    elif case == "no_rating":
        ratings = {}
    else:
        ratings = {behaviors["accueil-1"]: 5 if case == "level_5" else 0}
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    response = client.post(_url("observation-create", org), _post_data(org, member, when, ratings))
    assert response.status_code == 400
    body = response.content.decode()
    assert "The observation was not saved" in body
    expected = {
        "future": "This date is in the future.",
        "inactive": "was not active on 2024-06-01",
        "no_rating": "Rate at least one behavior.",
        "level_5": "Select a valid choice.",
        "level_0": "Select a valid choice.",
    }[case]
    assert expected in body
    assert Observation.objects.count() == 0 and Rating.objects.count() == 0


def test_validation_errors_are_in_french_for_a_french_user(client_for, org, manager, members, behaviors, now):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "fr"
    data = _post_data(org, members["lea"], now + datetime.timedelta(days=2), {behaviors["accueil-1"]: 3})
    response = client.post(_url("observation-create", org), data)
    assert response.status_code == 400
    assert "Cette date est dans le futur." in response.content.decode()


def test_member_out_of_scope_is_404_on_get_and_post(client_for, org, manager, members, behaviors, recently):
    client = client_for(manager)
    assert client.get(_url("observation-create", org) + "?member=E0003").status_code == 404
    response = client.post(
        _url("observation-create", org), _post_data(org, members["ines"], recently, {behaviors["accueil-1"]: 3})
    )
    assert response.status_code == 404
    assert Observation.objects.count() == 0


def test_chooser_offers_only_members_in_scope(client_for, org, manager, members, exp_model):
    body = client_for(manager).get(_url("observation-create", org)).content.decode()
    assert "Léa Martin" in body and "Hugo Bernard" in body
    assert "Inès Petit" not in body and "Paul Roux" not in body


def test_manager_edits_own_observation(client_for, org, manager, members, lea_observed, behaviors, recently):
    client = client_for(manager)
    url = _url("observation-update", org, pk=lea_observed.pk)
    assert client.get(url).status_code == 200
    response = client.post(url, _post_data(org, members["lea"], recently, {behaviors["conseil-2"]: 4}))
    assert response.status_code == 302
    assert list(lea_observed.ratings.values_list("behavior__code", "level")) == [("conseil-2", 4)]


def test_manager_cannot_edit_or_delete_another_observers_observation_but_admin_can(
    client_for, org, tree, members, behaviors, recently, admin
):
    colleague = make_user("dora@example.com")
    make_membership(colleague, org, "manager", units=[tree["T1"]])
    obs = observation_create(
        org=org,
        member=members["lea"],
        observer=admin,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["accueil-1"]: 2},
    )
    client = client_for(colleague)
    assert client.get(_url("observation-update", org, pk=obs.pk)).status_code == 403
    assert client.post(_url("observation-delete", org, pk=obs.pk)).status_code == 403
    client = client_for(admin)
    assert client.get(_url("observation-update", org, pk=obs.pk)).status_code == 200
    assert client.post(_url("observation-delete", org, pk=obs.pk)).status_code == 302
    assert not Observation.objects.exists()


def test_delete_asks_for_confirmation_first(client_for, org, manager, lea_observed):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    url = _url("observation-delete", org, pk=lea_observed.pk)
    response = client.get(url)
    assert response.status_code == 200 and "cannot be undone" in response.content.decode()
    assert Observation.objects.count() == 1
    response = client.post(url)
    assert response.url == _url("member-detail", org, code="E0001")
    assert Observation.objects.count() == 0 and Rating.objects.count() == 0


def test_mark_next_step_done(client_for, org, manager, lea_observed):
    client = client_for(manager)
    page = client.get(_url("member-detail", org, code="E0001")).content.decode()
    assert "Smile at the door" in page
    response = client.post(_url("observation-next-step-done", org, pk=lea_observed.pk))
    assert response.status_code == 302
    lea_observed.refresh_from_db()
    assert lea_observed.next_step_done
    assert client.get(_url("observation-next-step-done", org, pk=lea_observed.pk)).status_code == 405


@pytest.fixture
def ines_observed(org, members, admin, behaviors, recently):
    return observation_create(
        org=org,
        member=members["ines"],
        observer=admin,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["accueil-1"]: 2},
        next_step="Out of scope step",
    )


@pytest.mark.parametrize("name", ["observation-update", "observation-delete", "observation-next-step-done"])
def test_manager_gets_404_on_observations_outside_their_units(client_for, org, manager, ines_observed, name):
    client = client_for(manager)
    url = _url(name, org, pk=ines_observed.pk)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    ines_observed.refresh_from_db()
    assert not ines_observed.next_step_done


@pytest.mark.parametrize("name", ["observation-update", "observation-delete", "observation-next-step-done"])
def test_outsider_gets_404_on_observations(client_for, org, outsider, ines_observed, name):
    client = client_for(outsider)
    url = _url(name, org, pk=ines_observed.pk)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(_url("observation-create", org)).status_code == 404


@pytest.mark.parametrize("role", ["steering", "executive"])
def test_read_only_roles_get_404_on_every_observation_page(
    request, client_for, org, ines_observed, members, behaviors, recently, role
):
    # Observation pages are about an individual: for these roles they do not exist (SPEC §4).
    client = client_for(request.getfixturevalue(role))
    assert client.get(_url("observation-create", org)).status_code == 404
    data = _post_data(org, members["ines"], recently, {behaviors["accueil-1"]: 3})
    assert client.post(_url("observation-create", org), data).status_code == 404
    for name in ("observation-update", "observation-delete", "observation-next-step-done"):
        assert client.post(_url(name, org, pk=ines_observed.pk), data).status_code == 404
    assert Observation.objects.count() == 1
    ines_observed.refresh_from_db()
    assert not ines_observed.next_step_done
