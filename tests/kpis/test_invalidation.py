"""Every write that changes a snapshot leaves the dirty marks of exactly the months and teams it
changes, in its own transaction; what changes no snapshot (a unit move, a rename) leaves none.

A mark is (month, team code), the team None for a mark of the whole organization. Dates are
relative to the organization's today: a cascade runs up to its current month.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy import services as tenancy_services
from cxtracker.tenancy.forms import OrganizationSettingsForm
from cxtracker.tenancy.models import Member, UnitKind
from deployment.models import Observation
from deployment.services import animation_create, observation_create
from experience.models import ExperienceModelActivation
from experience.services import behavior_create, dimension_update, experience_model_activate, experience_model_copy
from kpis.models import DirtyPeriod, Metric, MetricCategory, MetricValue, SurveyResponse
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member, make_unit


def _marks(org) -> set[tuple[str, str | None]]:
    rows = DirtyPeriod.objects.for_org(org).values_list("period_start", "team__code")
    return {(str(Month.of(start)), team) for start, team in rows}


def _clear(org):
    DirtyPeriod.objects.for_org(org).delete()


def _current(org) -> Month:
    return Month.of(org.today())


def _from(org, first: Month, *teams) -> set[tuple[str, str | None]]:
    """Every month from ``first`` to the current one, for each team (None: the organization)."""
    return {(str(m), team) for m in Month.range(first, _current(org)) for team in teams}


def _day(month: Month, day=10) -> datetime.date:
    return month.first_day.replace(day=day)


@pytest.fixture
def months(org):
    """The current month and the five before it: ``months[0]`` is five months ago."""
    current = _current(org)
    return [current.shift(n) for n in range(-5, 1)]


@pytest.fixture
def lea(org, tree, months):
    """Active in T1 since five months ago; the marks of her creation are cleared."""
    member = make_member(org, tree["T1"], code="E0001", name="Léa Martin", active_from=_day(months[0]))
    _clear(org)
    return member


@pytest.fixture
def staff_client(db, client):
    user = get_user_model().objects.create_superuser("staff@example.com", "staff@example.com", "pw-staff-123456")
    client.force_login(user)
    return client


def _setup_url(org, name, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


# --- members ---------------------------------------------------------------------------------


def test_a_new_member_marks_their_team_from_their_first_month(org, tree, months):
    tenancy_services.member_create(org=org, code="E0009", name="Nina", team=tree["T2"], active_from=_day(months[2], 17))
    assert _marks(org) == _from(org, months[2], "T2")


def test_a_team_change_marks_the_old_and_the_new_team_over_the_whole_activity(org, tree, months, lea):
    tenancy_services.member_update(member=lea, team=tree["T3"])
    assert _marks(org) == _from(org, months[0], "T1", "T3")


def test_a_later_start_marks_from_the_old_start(org, months, lea):
    tenancy_services.member_update(member=lea, active_from=_day(months[3]))
    assert _marks(org) == _from(org, months[0], "T1")


def test_an_earlier_start_marks_from_the_new_start(org, months, lea):
    earlier = months[0].shift(-2)
    tenancy_services.member_update(member=lea, active_from=_day(earlier))
    assert _marks(org) == _from(org, earlier, "T1")


def test_deactivating_marks_from_the_last_active_month(org, months, lea):
    tenancy_services.member_deactivate(member=lea, active_to=_day(months[3], 20))
    assert _marks(org) == _from(org, months[3], "T1")


def test_moving_the_end_date_marks_from_the_earlier_of_the_two(org, months, lea):
    tenancy_services.member_deactivate(member=lea, active_to=_day(months[4], 5))
    _clear(org)
    tenancy_services.member_update(member=lea, active_to=_day(months[2], 28))
    assert _marks(org) == _from(org, months[2], "T1")


def test_reactivating_marks_from_the_old_end(org, months, lea):
    tenancy_services.member_deactivate(member=lea, active_to=_day(months[1]))
    _clear(org)
    tenancy_services.member_reactivate(member=lea)
    assert _marks(org) == _from(org, months[1], "T1")


def test_a_rename_or_a_new_code_marks_nothing(org, lea):
    tenancy_services.member_update(member=lea, name="Léa Dupont", code="E0100")
    assert _marks(org) == set()


def test_deleting_a_member_marks_their_team_from_their_first_rating(org, tree, months, lea):
    make_experience_model(org)
    _observation(org, lea, _aware(org, _day(months[1])))
    # The start date edited afterwards, past the observation: the rating still counted.
    Member.objects.filter(pk=lea.pk).update(active_from=_day(months[3]))
    lea.refresh_from_db()
    _clear(org)

    tenancy_services.member_delete(member=lea)

    assert not Observation.objects.for_org(org).exists()
    assert _marks(org) == _from(org, months[1], "T1")


def test_the_edit_form_marks_what_it_changed(client_for, admin, org, tree, months, lea):
    """The form copies its values onto the member before the service runs: the service compares
    with the stored row, or it would see no change."""
    response = client_for(admin).post(
        _setup_url(org, "tenancy:member-edit", code=lea.code),
        {
            "code": lea.code,
            "name": lea.name,
            "team": tree["T2"].pk,
            "active_from": _day(months[0]).isoformat(),
            "active_to": "",
        },
    )
    assert response.status_code == 302
    assert _marks(org) == _from(org, months[0], "T1", "T2")


def test_the_deactivation_form_marks_from_the_last_active_month(client_for, admin, org, months, lea):
    response = client_for(admin).post(
        _setup_url(org, "tenancy:member-deactivate", code=lea.code), {"active_to": _day(months[4], 2).isoformat()}
    )
    assert response.status_code == 302
    assert _marks(org) == _from(org, months[4], "T1")


def test_a_member_cannot_join_a_team_of_another_organization(org, other_org, lea):
    foreign = make_unit(other_org, UnitKind.TEAM, code="X1")
    with pytest.raises(tenancy_services.ValidationError):
        tenancy_services.member_update(member=lea, team=foreign)
    lea.refresh_from_db()
    assert lea.team.organization_id == org.pk
    assert _marks(org) == set()


# --- units -------------------------------------------------------------------------------------


def test_a_unit_move_needs_no_mark(org, tree, members):
    """Snapshots are per team and month; a business unit or a region sums its subtree's when it is
    read, so a team moved to another business unit takes its history along: nothing to recompute."""
    _clear(org)
    tenancy_services.unit_update(unit=tree["T1"], parent=tree["B2"])
    tenancy_services.unit_update(unit=tree["B"], parent=tree["R2"])
    assert _marks(org) == set()


def test_a_unit_that_stops_being_a_team_marks_every_month(org, tree, months):
    SurveyResponse.objects.create(
        organization=org,
        external_id="r1",
        unit=tree["T2"],
        responded_at=timezone.make_aware(datetime.datetime.combine(_day(months[2]), datetime.time(9)), org.tzinfo),
        nps=9,
    )
    _clear(org)
    tenancy_services.unit_update(unit=tree["T2"], kind=UnitKind.BUSINESS_UNIT)
    assert _marks(org) == _from(org, months[2], None)


# --- imports -----------------------------------------------------------------------------------


def _member_row(number, code, name, team, active_from, active_to=""):
    return [number, {"code": code, "name": name, "team": team, "active_from": active_from, "active_to": active_to}]


def test_a_members_import_leaves_one_mark_for_the_whole_file(org, tree, months, lea):
    payload = [
        # Léa moves from T1 to T2: both teams since her start.
        _member_row(2, "E0001", "Léa Martin", "T2", _day(months[0]).isoformat()),
        _member_row(3, "E0002", "Hugo", "T3", _day(months[2]).isoformat()),
        _member_row(4, "E0003", "Inès", "T3", _day(months[4]).isoformat()),
    ]
    assert tenancy_services.import_apply(org=org, kind="members", payload=payload) == (2, 1)

    # One call for the file: from its earliest change, every team it touched.
    assert _marks(org) == _from(org, months[0], "T1", "T2", "T3")
    assert DirtyPeriod.objects.for_org(org).values("marked_at").distinct().count() == 1


def test_a_members_import_that_changes_nothing_the_figures_read_marks_nothing(org, months, lea):
    payload = [_member_row(2, "E0001", "Léa M.", "T1", _day(months[0]).isoformat())]
    assert tenancy_services.import_apply(org=org, kind="members", payload=payload) == (0, 1)
    assert _marks(org) == set()


def test_a_units_import_that_moves_teams_marks_nothing(org, tree, members):
    _clear(org)
    payload = [
        [2, {"code": "T1", "name": "Lille 1", "kind": "team", "parent": "B2"}],
        [3, {"code": "B3", "name": "Nice", "kind": "business_unit", "parent": "R2"}],
        [4, {"code": "T2", "name": "Lille 2", "kind": "team", "parent": "B3"}],
    ]
    assert tenancy_services.import_apply(org=org, kind="units", payload=payload) == (1, 2)
    tree["T2"].refresh_from_db()
    assert tree["T2"].parent.code == "B3"
    assert _marks(org) == set()


# --- organization settings ----------------------------------------------------------------------


@pytest.fixture
def history(org, tree, months):
    """The organization's data starts four months ago (a survey response)."""
    SurveyResponse.objects.create(
        organization=org,
        external_id="first",
        unit=tree["T1"],
        responded_at=timezone.make_aware(datetime.datetime.combine(_day(months[1], 3), datetime.time(9)), org.tzinfo),
        nps=10,
    )
    _clear(org)
    return months[1]


def _settings(org, **overrides):
    """The settings form as the organization stands, with ``overrides``."""
    data = {name: str(getattr(org, name)) for name in OrganizationSettingsForm.Meta.fields}
    return {**data, **overrides}


@pytest.mark.parametrize(
    "change",
    [
        {"rate_weight": "0.7"},
        {"expected_animations_per_month": "6"},
        {"min_sample_size": "50"},
        {"timezone": "America/Montreal"},
    ],
)
def test_a_settings_change_marks_every_month_of_the_history(client_for, admin, org, history, change):
    response = client_for(admin).post(_setup_url(org, "tenancy:settings"), _settings(org, **change))
    assert response.status_code == 302
    org.refresh_from_db()
    assert _marks(org) == _from(org, history, None)


def test_a_new_name_or_language_marks_nothing(client_for, admin, org, history):
    response = client_for(admin).post(
        _setup_url(org, "tenancy:settings"), _settings(org, name="Acme France", language="en")
    )
    assert response.status_code == 302
    assert _marks(org) == set()


def test_saving_the_settings_unchanged_marks_nothing(org, history):
    tenancy_services.organization_update(org=org, rate_weight=Decimal("0.50"), min_sample_size=30)
    assert _marks(org) == set()


# --- experience model --------------------------------------------------------------------------


def test_activating_a_version_marks_the_current_month_for_the_whole_organization(org, tree, months):
    v1 = make_experience_model(org, active=False)
    experience_model_activate(org=org, model=v1)
    _clear(org)
    v2 = experience_model_copy(org=org, model=v1)

    experience_model_activate(org=org, model=v2)

    assert _marks(org) == {(str(months[-1]), None)}


def test_activating_the_active_version_again_marks_nothing(org):
    v1 = make_experience_model(org, active=False)
    experience_model_activate(org=org, model=v1)
    _clear(org)
    experience_model_activate(org=org, model=v1)
    assert _marks(org) == set()


# --- the Django admin --------------------------------------------------------------------------


def _observation(org, member, when):
    return observation_create(
        org=org, member=member, observer=None, observed_at=when, kind="observation", ratings={"accueil-1": 2}
    )


def _aware(org, day: datetime.date, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)), org.tzinfo)


def _admin_form(fields: dict) -> dict:
    """The POST of an admin change form: the given fields, with datetimes split as the widget does."""
    data = {}
    for name, value in fields.items():
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.strftime("%H:%M:%S")
        elif value is None:
            data[name] = ""
        else:
            data[name] = value
    return data


def _ratings_inline(observation) -> dict:
    count = observation.ratings.count()
    return {
        "ratings-TOTAL_FORMS": count,
        "ratings-INITIAL_FORMS": count,
        "ratings-MIN_NUM_FORMS": 0,
        "ratings-MAX_NUM_FORMS": 1000,
    }


def test_an_observation_moved_in_the_admin_marks_both_months(staff_client, org, months, lea):
    make_experience_model(org)
    observation = _observation(org, lea, _aware(org, _day(months[1])))
    _clear(org)
    new_moment = _aware(org, _day(months[3], 12))

    response = staff_client.post(
        reverse("admin:deployment_observation_change", args=[observation.pk]),
        {
            **_admin_form({"member": lea.pk, "observed_at": new_moment, "kind": "observation"}),
            **_ratings_inline(observation),
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    observation.refresh_from_db()
    assert observation.observed_at == new_moment
    assert observation.ratings.get().observed_at == new_moment
    marked = {month for month, _team in _marks(org)}
    assert {str(months[1]), str(months[3])} <= marked


def test_the_admin_shows_the_services_refusal_as_a_form_error(staff_client, org, months, lea):
    make_experience_model(org)
    observation = _observation(org, lea, _aware(org, _day(months[1])))
    _clear(org)
    before_start = _aware(org, _day(months[0].shift(-1)))

    response = staff_client.post(
        reverse("admin:deployment_observation_change", args=[observation.pk]),
        {
            **_admin_form({"member": lea.pk, "observed_at": before_start, "kind": "observation"}),
            **_ratings_inline(observation),
        },
    )

    assert response.status_code == 200
    assert "observed_at" in response.context["adminform"].form.errors
    observation.refresh_from_db()
    assert observation.observed_at == _aware(org, _day(months[1]))
    assert _marks(org) == set()


def test_ratings_and_new_observations_are_not_written_in_the_admin(staff_client, org, months, lea):
    make_experience_model(org)
    observation = _observation(org, lea, _aware(org, _day(months[1])))
    assert staff_client.get(reverse("admin:deployment_observation_add")).status_code == 403
    page = staff_client.get(reverse("admin:deployment_observation_change", args=[observation.pk])).content.decode()
    assert 'name="ratings-0-level"' not in page


def test_an_observation_deleted_in_the_admin_marks_its_month(staff_client, org, months, lea):
    make_experience_model(org)
    observation = _observation(org, lea, _aware(org, _day(months[2])))
    _clear(org)

    response = staff_client.post(reverse("admin:deployment_observation_delete", args=[observation.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Observation.objects.filter(pk=observation.pk).exists()
    assert any(month == str(months[2]) for month, _team in _marks(org))


def test_an_animation_added_in_the_admin_marks_its_month(staff_client, org, tree, months, lea):
    when = _aware(org, _day(months[2]))
    response = staff_client.post(
        reverse("admin:deployment_animation_add"),
        {
            **_admin_form({"organization": org.pk, "team": tree["T1"].pk, "held_at": when, "kind": "briefing"}),
            "held_by": "",
            "external_id": "",
            "topic": "Accueil",
            "dimensions": "",
            "attendees": str(lea.pk),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    animation = tree["T1"].animations.get()
    assert list(animation.attendees.all()) == [lea]
    assert any(month == str(months[2]) for month, _team in _marks(org))


def test_an_animation_moved_in_the_admin_marks_both_months(staff_client, org, tree, months, lea):
    animation = animation_create(
        org=org, team=tree["T1"], held_by=None, held_at=_aware(org, _day(months[1])), kind="briefing"
    )
    _clear(org)
    response = staff_client.post(
        reverse("admin:deployment_animation_change", args=[animation.pk]),
        {
            **_admin_form({"held_at": _aware(org, _day(months[4])), "kind": "ritual"}),
            "topic": "",
            "dimensions": "",
            "attendees": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    marked = {month for month, _team in _marks(org)}
    assert {str(months[1]), str(months[4])} <= marked


def test_a_metric_value_changed_in_the_admin_goes_through_the_ingestion(staff_client, org, tree, months):
    metric = Metric.objects.create(organization=org, code="basket", name="Basket", category=MetricCategory.BUSINESS)
    value = MetricValue.objects.create(
        organization=org, metric=metric, unit=tree["T1"], period_start=months[2].first_day, value=41.0
    )
    response = staff_client.post(reverse("admin:kpis_metricvalue_change", args=[value.pk]), {"value": "43.5"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    value.refresh_from_db()
    assert value.value == 43.5
    assert any(month == str(months[2]) for month, _team in _marks(org))
    assert (
        staff_client.post(reverse("admin:kpis_metricvalue_delete", args=[value.pk]), {"post": "yes"}).status_code == 403
    )


def test_survey_responses_are_read_only_in_the_admin(staff_client, org, history):
    response = SurveyResponse.objects.for_org(org).get()
    page = staff_client.get(reverse("admin:kpis_surveyresponse_change", args=[response.pk]))
    assert page.status_code == 200
    assert 'name="nps"' not in page.content.decode()
    assert (
        staff_client.post(reverse("admin:kpis_surveyresponse_change", args=[response.pk]), {"nps": 0}).status_code
        == 403
    )
    assert staff_client.get(reverse("admin:kpis_surveyresponse_add")).status_code == 403


def test_a_behavior_added_to_the_first_version_marks_every_month_of_the_history(org, history):
    v1 = make_experience_model(org, active=False)
    experience_model_activate(org=org, model=v1)
    _clear(org)

    behavior_create(org=org, dimension=v1.dimensions.get(code="accueil"), code="sourit", name="Sourit")

    # The months before the first activation use the first version too.
    assert _marks(org) == _from(org, history, None)


def test_a_behavior_added_to_a_later_version_marks_from_its_activation(org, history, months):
    v1 = make_experience_model(org, active=False)
    experience_model_activate(org=org, model=v1)
    v2 = experience_model_copy(org=org, model=v1)
    experience_model_activate(org=org, model=v2)
    ExperienceModelActivation.objects.filter(model=v1).update(activated_at=_aware(org, _day(months[0])))
    ExperienceModelActivation.objects.filter(model=v2).update(activated_at=_aware(org, _day(months[3])))
    _clear(org)

    behavior_create(org=org, dimension=v2.dimensions.get(code="conseil"), code="reformule", name="Reformule")

    assert _marks(org) == _from(org, months[3], None)


def test_a_draft_never_activated_changes_no_figure(org, history):
    v1 = make_experience_model(org, active=False)
    experience_model_activate(org=org, model=v1)
    draft = experience_model_copy(org=org, model=v1)
    _clear(org)

    behavior_create(org=org, dimension=draft.dimensions.get(code="accueil"), code="sourit", name="Sourit")
    dimension = draft.dimensions.get(code="conseil")
    dimension_update(org=org, dimension=dimension, code="conseil", name="Le conseil", description="", journeys=[])

    assert _marks(org) == set()
