"""The demo's year of field history: plausible, varied, idempotent."""

import datetime

from django.db.models import Count, F
from django.utils import timezone

from cxtracker.tenancy.models import Role, UnitKind
from deployment import demo
from deployment.models import Animation, Observation, Rating
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member, make_membership, make_unit, make_user


def test_demo_seed_writes_a_varied_year_once(org):
    region = make_unit(org, UnitKind.REGION, code="R")
    bu = make_unit(org, UnitKind.BUSINESS_UNIT, region, code="B")
    teams = [make_unit(org, UnitKind.TEAM, bu, code=f"T{i}") for i in range(8)]
    for team in teams:
        for _ in range(6):
            make_member(org, team, active_from=datetime.date(2024, 1, 1))
    boss = make_user("boss@example.com")
    make_membership(boss, org, Role.MANAGER, units=[bu])
    local = make_user("local@example.com")
    make_membership(local, org, Role.MANAGER, units=[teams[0]])
    model = make_experience_model(org, dimensions=(("accueil", 4), ("conseil", 4)))

    demo.seed(org, model)

    n_obs = Observation.objects.for_org(org).count()
    assert 8 * 6 * 3 < n_obs < 8 * 6 * 12 * 4
    assert not Observation.objects.filter(observed_at__gt=timezone.now()).exists()
    assert Observation.objects.filter(observed_at__lt=timezone.now() - datetime.timedelta(days=366)).count() == 0
    assert set(Rating.objects.values_list("level", flat=True)) <= {1, 2, 3, 4}
    assert not Rating.objects.exclude(observed_at=F("observation__observed_at")).exists()
    assert not Rating.objects.exclude(member=F("observation__member")).exists()
    # The closest manager observes: the team manager for T0, the business unit manager elsewhere.
    assert set(Observation.objects.filter(member__team=teams[0]).values_list("observer", flat=True)) == {local.pk}
    assert set(Observation.objects.exclude(member__team=teams[0]).values_list("observer", flat=True)) == {boss.pk}
    per_team = sorted(Observation.objects.values("member__team").annotate(n=Count("id")).values_list("n", flat=True))
    assert per_team[-1] > 2 * per_team[0]  # some teams coach much more than others
    assert Animation.objects.for_org(org).count() > 8 * 12
    assert Animation.attendees.through.objects.exists()

    demo.seed(org, model)  # again: nothing new
    assert Observation.objects.for_org(org).count() == n_obs


def test_admin_lists_and_opens_observations_and_animations(client, org, members, admin, behaviors):
    from deployment.services import animation_create, observation_create

    staff = admin
    staff.is_staff = staff.is_superuser = True
    staff.save()
    obs = observation_create(
        org=org,
        member=members["lea"],
        observer=admin,
        observed_at=timezone.now() - datetime.timedelta(hours=1),
        kind="observation",
        ratings={"accueil-1": 3},
    )
    animation = animation_create(
        org=org, team=members["lea"].team, held_by=admin, held_at=obs.observed_at, kind="briefing"
    )
    client.force_login(staff)
    for url in (
        "/admin/deployment/observation/",
        f"/admin/deployment/observation/{obs.pk}/change/",
        "/admin/deployment/animation/",
        f"/admin/deployment/animation/{animation.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
