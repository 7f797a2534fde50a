"""The people observed are protected (SPEC §4): an individual's levels and observations are for the
managers of their units and for admins. For an executive or a steering member a member page or an
observation page does not exist (404, as missing). The team pages' side of it (team-level figures,
no name, a small team's figures hidden): tests/dashboards/test_team_protection.py."""

import pytest
from django.urls import reverse

from cxtracker.tenancy.models import Role
from tests.factories import make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """English pages, so that assertions can quote them (the site default is French)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(name, org, **kwargs):
    return reverse(f"deployment:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def other_manager(org, tree):
    """Manages team T2 only."""
    user = make_user("dora@example.com")
    make_membership(user, org, Role.MANAGER, units=[tree["T2"]])
    return user


def _observation_pages(org, observation, member):
    return [
        _url("member-detail", org, code=member.code),
        _url("observation-create", org) + f"?member={member.code}",
        _url("observation-update", org, pk=observation.pk),
        _url("observation-delete", org, pk=observation.pk),
    ]


@pytest.mark.parametrize("role", ["executive", "steering"])
def test_executive_and_steering_get_404_on_member_and_observation_pages(
    request, client_for, org, members, lea_observed, role
):
    client = client_for(request.getfixturevalue(role))
    for url in _observation_pages(org, lea_observed, members["lea"]):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Greets every customer" not in response.content
    # The same answer as a member that does not exist: nothing to tell them apart.
    assert client.get(_url("member-detail", org, code="NOPE")).status_code == 404
    done = client.post(_url("observation-next-step-done", org, pk=lea_observed.pk))
    assert done.status_code == 404
    lea_observed.refresh_from_db()
    assert not lea_observed.next_step_done


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_the_team_manager_and_an_admin_see_the_member_and_the_observation(
    request, client_for, org, members, lea_observed, who
):
    client = client_for(request.getfixturevalue(who))
    page = client.get(_url("member-detail", org, code="E0001"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Léa Martin" in body and "Greets every customer" in body
    assert client.get(_url("observation-update", org, pk=lea_observed.pk)).status_code == 200


def test_a_manager_of_another_team_gets_404(client_for, org, members, lea_observed, other_manager):
    client = client_for(other_manager)
    for url in _observation_pages(org, lea_observed, members["lea"]):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("dashboards:team-detail", kwargs={"org": org.slug, "code": "T1"})).status_code == 404
    # Their own team's member is theirs to see.
    assert client.get(_url("member-detail", org, code="E0003")).status_code == 200
