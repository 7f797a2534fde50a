"""The people observed are protected (SPEC §4): an individual's levels and observations are for the
managers of their units and for admins. For an executive or a steering member a member page or an
observation page does not exist (404, as missing); the team page shows team-level figures, no name,
and hides a small team's member-derived figures."""

import pytest
from django.urls import reverse

from cxtracker.tenancy.models import Role
from deployment.selectors import month_current
from deployment.services import observation_create
from kpis.engine.recompute import snapshots_recompute
from tests.factories import make_member, make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """English pages, so that assertions can quote them (the site default is French)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(name, org, **kwargs):
    return reverse(f"deployment:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def lea_observed(org, members, manager, behaviors, recently):
    """Léa (T1) observed by her manager, with a level and a next step."""
    return observation_create(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["accueil-1"]: 3},
        strengths="Greets every customer",
        next_step="Suggest the loyalty card",
    )


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
    assert client.get(_url("team-detail", org, code="T1")).status_code == 404
    # Their own team's member is theirs to see.
    assert client.get(_url("member-detail", org, code="E0003")).status_code == 200


@pytest.mark.parametrize("role", ["executive", "steering"])
def test_executive_team_page_has_team_figures_and_no_member_names(
    request, client_for, org, tree, members, exp_model, manager, behaviors, recently, role
):
    # Teams of 7, 6 and 6 active members: nobody small, so no suppression.
    for team, n in (("T1", 5), ("T2", 5), ("T3", 5)):
        for i in range(n):
            make_member(org, tree[team], code=f"{team}-{i}", name=f"Someone {team} {i}")
    observation_create(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="coaching",
        ratings={behaviors["accueil-1"]: 4},
    )
    month = month_current(org=org)
    snapshots_recompute(org=org, months=[month])

    response = client_for(request.getfixturevalue(role)).get(_url("team-detail", org, code="T1"))
    assert response.status_code == 200
    body = response.content.decode()
    # Team-level figures: the engine's coverage of T1, 1 coached of 7 active.
    summary = response.context["tb"]["summary"]
    assert (summary.active_members, summary.coached_members, summary.suppressed) == (7, 1, False)
    assert response.context["tb"]["coverage_pct"] == 14
    assert "coached: 1 of 7" in body
    # No member: no name, no level, no link to a member page.
    assert response.context["grid"] == []
    assert response.context["tb"]["not_coached"] == [] and response.context["tb"]["coached"] == []
    for name in ("Léa Martin", "Hugo Bernard", "Someone T1 0"):
        assert name not in body
    assert "/field/members/" not in body
    assert "Individual levels are for the team's managers" in body


def test_the_team_manager_sees_the_member_rows_and_grid(client_for, org, members, lea_observed, manager):
    response = client_for(manager).get(_url("team-detail", org, code="T1"))
    body = response.content.decode()
    assert [row["member"].code for row in response.context["grid"]] == ["E0002", "E0001"]
    assert "Léa Martin" in body and _url("member-detail", org, code="E0001") in body


def test_a_small_team_figures_are_hidden_from_executives_not_from_its_manager(
    client_for, org, members, lea_observed, executive, manager
):
    # T1 has 2 active members, fewer than min_group_size (5): "1 of 2 coached" is Léa's story.
    snapshots_recompute(org=org, months=[month_current(org=org)])
    executive_page = client_for(executive).get(_url("team-detail", org, code="T1"))
    summary = executive_page.context["tb"]["summary"]
    assert summary.suppressed and summary.coverage is None and summary.deployment_rate is None
    body = executive_page.content.decode()
    assert "coached: 1 of 2" not in body and "Hidden to protect the people observed" in body
    listing = client_for(executive).get(_url("team-list", org))
    rows = {row["team"].code: row for row in listing.context["rows"]}
    assert rows["T1"]["coverage_pct"] is None and rows["T1"]["rate_pct"] is None
    assert listing.context["suppressed"]

    manager_page = client_for(manager).get(_url("team-detail", org, code="T1"))
    assert not manager_page.context["tb"]["summary"].suppressed
    assert "coached: 1 of 2" in manager_page.content.decode()


def test_a_month_the_engine_has_not_computed_shows_executives_no_figure(
    client_for, org, members, lea_observed, executive
):
    # Live figures would not be protected: an executive reads the engine's, and there are none yet.
    response = client_for(executive).get(_url("team-detail", org, code="T1"))
    summary = response.context["tb"]["summary"]
    assert summary.coverage is None and summary.deployment_rate is None
