"""The team pages (dashboards.teams): the manager's home, the team list and a team's page, their
month live from the field data; the old field/teams/ URLs answer 301 to them."""

import datetime
import re

import pytest
from django.urls import reverse

from deployment.services import animation_create, observation_create


def _url(name, org, **kwargs):
    """``name``: a dashboards URL name, or a namespaced one ("deployment:member-detail")."""
    name = name if ":" in name else f"dashboards:{name}"
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def _home(org):
    return reverse("org-home", kwargs={"org": org.slug})


def _section(body, css_class):
    start = body.index(f'<section class="{css_class}"')
    return body[start : body.index("</section>", start)]


def _observe(org, member, observer, when, ratings):
    return observation_create(
        org=org, member=member, observer=observer, observed_at=when, kind="coaching", ratings=ratings
    )


def test_manager_home_lists_not_yet_coached_members_first_with_coverage(
    client_for, org, manager, members, behaviors, recently
):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    body = client.get(_home(org)).content.decode()
    not_coached = _section(body, "not-coached")
    assert "Not yet coached this month" in not_coached
    assert "Léa Martin" in not_coached and "Hugo Bernard" in not_coached
    assert "Inès Petit" not in body  # another team
    assert "coached: 0 of 2" in body

    _observe(org, members["lea"], manager, recently, {behaviors["accueil-1"]: 4, behaviors["accueil-2"]: 3})
    body = client.get(_home(org)).content.decode()
    assert "Léa Martin" not in _section(body, "not-coached")
    assert "Léa Martin" in _section(body, "coached")
    assert "coached: 1 of 2" in body
    assert 'class="coverage-value" data-team="T1">50 %' in body
    # Léa's mastery in Accueil is the mean of her latest levels there: (4 + 3) / 2 = 3.5.
    assert '<span class="level-chip level-4">3.5</span>' in body


def test_month_picker_looks_back(client_for, org, manager, members, behaviors):
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    _observe(
        org,
        members["hugo"],
        manager,
        datetime.datetime(2026, 1, 15, 10, tzinfo=datetime.UTC),
        {behaviors["accueil-1"]: 2},
    )
    body = client.get(_home(org) + "?month=2026-01").content.decode()
    assert "Not coached that month" in body
    assert "Hugo Bernard" in _section(body, "coached")
    assert "Léa Martin" in _section(body, "not-coached")
    assert client.get(_home(org) + "?month=garbage").status_code == 200
    assert client.get(_home(org) + "?month=2999-01").status_code == 200


def test_home_shows_the_team_cadence_against_target(client_for, org, tree, manager, exp_model, recently):
    for kind in ("briefing", "ritual", "training"):
        animation_create(org=org, team=tree["T1"], held_by=manager, held_at=recently, kind=kind)
    client = client_for(manager)
    client.cookies["cxtracker_language"] = "en"
    body = client.get(_home(org)).content.decode()
    assert "3 animations of 4 expected" in body and "75 %" in body


def test_team_page_grid_of_latest_levels(client_for, org, tree, manager, members, behaviors, recently):
    _observe(org, members["hugo"], manager, recently, {behaviors["conseil-2"]: 4})
    client = client_for(manager)
    response = client.get(_url("team-detail", org, code="T1"))
    assert response.status_code == 200
    grid = {row["member"].code: row["levels"] for row in response.context["grid"]}
    codes = [b.code for b in response.context["behaviors"]]
    assert codes == ["accueil-1", "accueil-2", "conseil-1", "conseil-2"]
    assert grid == {"E0001": [None] * 4, "E0002": [None, None, None, 4]}


def test_read_all_roles_see_any_team_but_only_admins_a_member(client_for, request, org, members, exp_model, admin):
    # Member pages are for the managers of the member's units and admins (tests/deployment/test_protection.py).
    for role in ("executive", "steering", "admin"):
        client = client_for(request.getfixturevalue(role))
        assert client.get(_url("team-detail", org, code="T3")).status_code == 200
        expected = 200 if role == "admin" else 404
        assert client.get(_url("deployment:member-detail", org, code="E0004")).status_code == expected
        body = client.get(_url("team-list", org)).content.decode()
        assert "Marseille 1" in body and "Lille 1" in body
        if role != "admin":
            assert "Log an observation" not in client.get(_url("team-detail", org, code="T3")).content.decode()


def test_team_list_for_a_manager_shows_only_their_teams(client_for, org, manager, members, exp_model):
    body = client_for(manager).get(_url("team-list", org)).content.decode()
    assert "Lille 1" in body and "Lille 2" not in body and "Marseille" not in body


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("team-detail", {"code": "T2"}),
        ("team-dashboard", {"code": "T2"}),
        ("team-dashboard-csv", {"code": "T2", "chart": "deployment"}),
        ("team-detail", {"code": "R"}),  # a region is not a team
    ],
)
def test_manager_gets_404_outside_their_units(client_for, org, manager, members, exp_model, name, kwargs):
    client = client_for(manager)
    assert client.get(_url(name, org, **kwargs)).status_code == 404
    assert client.post(_url(name, org, **kwargs)).status_code == 404


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("team-list", {}),
        ("team-detail", {"code": "T1"}),
        ("team-dashboard", {"code": "T1"}),
        ("team-dashboard-csv", {"code": "T1", "chart": "deployment"}),
    ],
)
def test_outsider_gets_404(client_for, org, outsider, members, exp_model, name, kwargs):
    client = client_for(outsider)
    assert client.get(_url(name, org, **kwargs)).status_code == 404
    assert client.post(_url(name, org, **kwargs)).status_code == 404


# --- the old URLs, under field/teams/ -----------------------------------------------------------

OLD_URLS = [
    ("team-list", "/field/teams/", {}),
    ("team-detail", "/field/teams/T1/", {"code": "T1"}),
    ("team-dashboard", "/field/teams/T1/dashboard/", {"code": "T1"}),
    ("team-dashboard-csv", "/field/teams/T1/dashboard/kpis.csv", {"code": "T1", "chart": "kpis"}),
]


@pytest.mark.parametrize(("name", "old", "kwargs"), OLD_URLS)
def test_old_urls_answer_301_to_the_new_ones_with_the_query_string(client_for, org, manager, name, old, kwargs):
    assert reverse(f"deployment:moved-{name}", kwargs={"org": org.slug, **kwargs}) == f"/o/{org.slug}{old}"
    response = client_for(manager).get(f"/o/{org.slug}{old}?month=2026-01&page=2")
    assert response.status_code == 301
    assert response["Location"] == _url(name, org, **kwargs) + "?month=2026-01&page=2"
    assert response["Location"].startswith(f"/o/{org.slug}/dashboards/teams/")
    assert client_for(manager).get(f"/o/{org.slug}{old}")["Location"] == _url(name, org, **kwargs)


@pytest.mark.parametrize(("name", "old", "kwargs"), OLD_URLS)
def test_old_urls_answer_404_to_an_outsider(client_for, org, tree, outsider, name, old, kwargs):
    response = client_for(outsider).get(f"/o/{org.slug}{old}?month=2026-01")
    assert response.status_code == 404
    assert "Location" not in response


def test_the_pages_link_to_the_new_urls(client_for, org, tree, members, exp_model, manager, executive, recently):
    animation_create(org=org, team=tree["T1"], held_by=manager, held_at=recently, kind="briefing")
    team_page = _url("team-detail", org, code="T1")
    assert team_page in client_for(executive).get(_url("team-list", org)).content.decode()
    assert _url("team-list", org) in client_for(executive).get(_home(org)).content.decode()  # the nav
    client = client_for(manager)
    assert team_page in client.get(_home(org)).content.decode()
    assert team_page in client.get(_url("deployment:member-detail", org, code="E0001")).content.decode()
    animation = tree["T1"].animations.get()
    delete = client.get(_url("deployment:animation-delete", org, pk=animation.pk)).content.decode()
    assert team_page in delete
    assert client.post(_url("deployment:animation-delete", org, pk=animation.pk))["Location"] == team_page
    # What stays under field/teams/ is the animation form (field data, deployment's).
    for page in (_home(org), team_page, _url("team-dashboard", org, code="T1")):
        links = re.findall(r"/field/teams/[^\"?]*", client.get(page).content.decode())
        assert set(links) <= {"/field/teams/T1/animations/new/"}, page
