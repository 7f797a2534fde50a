import datetime

import pytest
from django.utils import timezone

from deployment.models import Animation, Observation
from experience.models import ExperienceModel
from kpis.engine.formulas import weighted_mean
from tests.factories import make_member

PARIS = datetime.timezone(datetime.timedelta(hours=1))


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(0.5, 2), (0.0, 1), (1.0, 1)], 0.5),
        ([(0.5, 2), (None, 0), (1.0, 2)], 0.75),  # a team with no active member is left out
        ([(None, 0)], None),
        ([], None),
    ],
)
def test_weighted_mean_weights_by_active_members(pairs, expected):
    assert weighted_mean(pairs) == expected


@pytest.fixture
def march(org, tree, members):
    """T1: Léa coached, Hugo not, 2 animations; T2: Inès not coached, none; T3: Paul coached, 1."""
    model = ExperienceModel.objects.create(organization=org, name="M", version=1, is_active=True)
    at = datetime.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    for member in (members["lea"], members["paul"]):
        Observation.objects.create(organization=org, member=member, observed_at=at, model=model)
    for team, n in ((tree["T1"], 2), (tree["T3"], 1)):
        for _ in range(n):
            Animation.objects.create(organization=org, team=team, held_at=at, kind="briefing")
    # Left in January: not active in March, does not count.
    make_member(org, tree["T2"], active_from=datetime.date(2025, 1, 1), active_to=datetime.date(2026, 1, 31))


def test_admin_sees_the_months_deployment_rate_weighted_by_active_members(client_for, admin, march):
    # T1 = .5·.5 + .5·.5 = .5 (2 members); T2 = 0 (1); T3 = .5·1 + .5·.25 = .625 (1)
    # organization = (.5·2 + 0 + .625) / 4 = .40625; region Nord = (.5·2 + 0) / 3 = .333
    # (An admin: with 4 members, every group is below the minimum group size for an executive.)
    response = client_for(admin).get("/o/acme/?month=2026-03", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    total = response.context["total"]  # the engine's figures, to 4 decimals
    assert total["deployment_rate"] == pytest.approx(0.40625, abs=1e-4)
    assert total["coached_members"] == 2
    assert total["active_members"] == 4
    regions = {row["unit"]: row for row in response.context["regions"]}
    assert regions["R"]["deployment_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert regions["R2"]["deployment_rate"] == pytest.approx(0.625)
    assert "41 %" in response.content.decode()


def test_month_in_the_future_is_brought_back_to_the_current_month(client_for, admin, org):
    response = client_for(admin).get("/o/acme/?month=2999-01")
    assert response.context["month"] == org.today().replace(day=1)
    assert response.context["next_month"] is None


def test_steering_member_sees_the_overview_and_outsider_gets_404(client_for, steering, outsider, march):
    assert client_for(steering).get("/o/acme/?month=2026-03").status_code == 200
    response = client_for(outsider).get("/o/acme/?month=2026-03")
    assert response.status_code == 404
    assert "Acme" not in response.content.decode()


def test_an_executive_sees_a_small_region_hidden_on_the_home(client_for, org, tree, executive, admin):
    # Region R (teams T1, T2) has 6 active members, region R2 (T3) has 2: R2 is small, and R is
    # hidden with it (else R2 = the organization − R).
    for i in range(6):
        make_member(org, tree["T1" if i % 2 else "T2"], code=f"N{i}")
    for i in range(2):
        make_member(org, tree["T3"], code=f"S{i}")
    Animation.objects.create(organization=org, team=tree["T1"], held_at=timezone.now(), kind="briefing")
    body = client_for(executive).get(f"/o/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.count("fewer than 5 people") + body.count("moins de 5 personnes") >= 2
    body = client_for(admin).get(f"/o/{org.slug}/").content.decode()
    assert "fewer than 5 people" not in body and "moins de 5 personnes" not in body
