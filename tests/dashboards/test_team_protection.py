"""The team pages under the one protection policy (SPEC §4, kpis.engine.readers), live and snapshot
alike: their month is counted live from the field data for every reader (an observation logged now
shows at once), and above the managers a small team's member-derived figures are hidden on the
live sizes, with their complements; its managers and the admins see it whole. Names and levels
are for the team's managers and the admins only."""

import pytest
from django.urls import reverse

from deployment.services import observation_create
from kpis.models import TeamMonthSnapshot
from tests.deployment.conftest import grow_teams

pytestmark = pytest.mark.django_db

HIDDEN = "Hidden to protect the people observed"


@pytest.fixture(autouse=True)
def _english(client):
    """English pages, so that assertions can quote them (the site default is French)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.mark.parametrize("role", ["executive", "steering"])
def test_executive_team_page_has_live_team_figures_and_no_member_names(
    request, client_for, org, tree, members, exp_model, lea_observed, role
):
    # Teams of 7, 6 and 6 active members: nobody small, so no suppression. No recomputation has
    # run: the month is read live.
    grow_teams(org, tree, {"T1": 7, "T2": 6, "T3": 6})
    assert not TeamMonthSnapshot.objects.exists()

    response = client_for(request.getfixturevalue(role)).get(_url("dashboards:team-detail", org, code="T1"))
    assert response.status_code == 200
    body = response.content.decode()
    # Team-level figures: T1's coverage, 1 coached of 7 active.
    summary = response.context["tb"]["summary"]
    assert (summary["active_members"], summary["coached_members"], summary["suppressed"]) == (7, 1, False)
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
    response = client_for(manager).get(_url("dashboards:team-detail", org, code="T1"))
    body = response.content.decode()
    assert [row["member"].code for row in response.context["grid"]] == ["E0002", "E0001"]
    assert "Léa Martin" in body and _url("deployment:member-detail", org, code="E0001") in body


@pytest.mark.parametrize("role", ["executive", "steering"])
def test_a_small_team_live_figures_are_hidden_above_the_managers(
    request, client_for, org, tree, members, lea_observed, role
):
    # T1 has 2 active members, fewer than min_group_size (5): "1 of 2 coached" is Léa's story.
    # T2 (6) is hidden too, as its complement: Lille minus T2 would be T1. T3 (6) is shown.
    grow_teams(org, tree, {"T2": 6, "T3": 6})
    client = client_for(request.getfixturevalue(role))
    page = client.get(_url("dashboards:team-detail", org, code="T1"))
    summary = page.context["tb"]["summary"]
    assert summary["suppressed"] and summary["coverage"] is None and summary["deployment_rate"] is None
    assert summary["coached_members"] is None
    body = page.content.decode()
    assert "coached: 1 of 2" not in body and HIDDEN in body

    listing = client.get(_url("dashboards:team-list", org))
    rows = {row["team"].code: row for row in listing.context["rows"]}
    for code in ("T1", "T2"):
        assert rows[code]["summary"]["suppressed"], code
        assert rows[code]["coverage_pct"] is None and rows[code]["rate_pct"] is None
    assert not rows["T3"]["summary"]["suppressed"] and rows["T3"]["coverage_pct"] == 0
    assert listing.context["suppressed"] and HIDDEN in listing.content.decode()


def test_a_manager_sees_his_own_small_team_live_figures(client_for, org, tree, members, lea_observed, manager):
    grow_teams(org, tree, {"T2": 6, "T3": 6})
    client = client_for(manager)
    for url in (_url("org-home", org), _url("dashboards:team-detail", org, code="T1")):
        response = client.get(url)
        block = response.context["blocks"][0] if "blocks" in response.context else response.context["tb"]
        assert (block["summary"]["coached_members"], block["summary"]["suppressed"]) == (1, False), url
        assert block["coverage_pct"] == 50
        body = response.content.decode()
        assert "coached: 1 of 2" in body and HIDDEN not in body
    listing = client.get(_url("dashboards:team-list", org))
    [row] = listing.context["rows"]
    assert (row["team"].code, row["coverage_pct"], row["summary"]["suppressed"]) == ("T1", 50, False)
    assert not listing.context["suppressed"]


@pytest.mark.parametrize("role", ["admin", "executive", "steering", "manager"])
def test_the_month_in_progress_on_the_team_list_is_live(
    request, client_for, org, tree, members, exp_model, behaviors, manager, recently, role
):
    grow_teams(org, tree, {"T1": 6, "T2": 6, "T3": 6})
    client = client_for(request.getfixturevalue(role))
    url = _url("dashboards:team-list", org)

    def t1():
        return next(row for row in client.get(url).context["rows"] if row["team"].code == "T1")

    assert (t1()["summary"]["coached_members"], t1()["coverage_pct"]) == (0, 0)
    observation_create(
        org=org,
        member=members["hugo"],
        observer=manager,
        observed_at=recently,
        kind="observation",
        ratings={behaviors["conseil-1"]: 3},
    )
    # At once, with no recomputation: 1 coached of 6, and the deployment rate 0.5 × 1/6.
    assert not TeamMonthSnapshot.objects.exists()
    row = t1()
    assert (row["summary"]["coached_members"], row["coverage_pct"], row["rate_pct"]) == (1, 17, 8)
    assert not row["summary"]["suppressed"]
