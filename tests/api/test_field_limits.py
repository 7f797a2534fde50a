"""Observation notes are capped and dates kept within sight, in every write path.

- strengths, development points and the agreed next step: at most 5,000 characters each
  (deployment.models.NOTE_MAX_LENGTH); 3 MB used to be stored;
- a next step's due date (``next_step_on``): at most two years after the observation's day;
- a member's start date (``active_from``): at most a year after today (366 days).

Each path answers with the field named: a 400 of the API, a form error in the browser, a
ValidationError of the services (what the admin shows)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cxtracker.tenancy import services as tenancy_services
from cxtracker.tenancy.models import Member
from deployment import services as deployment_services
from deployment.models import NOTE_MAX_LENGTH, Observation, next_step_latest

pytestmark = pytest.mark.django_db

OBSERVATIONS = "/api/v1/observations/"
MEMBERS = "/api/v1/members/"
TOO_LONG = "x" * (NOTE_MAX_LENGTH + 1)


def observation(**fields):
    return {
        "member": "E0001",
        "observed_at": "2026-03-10T10:00:00+01:00",
        "kind": "coaching",
        "ratings": [{"behavior": "salue-30s", "level": 3}],
        "next_step_on": "2026-03-20",
        **fields,
    }


def test_the_caps_are_what_the_report_says():
    assert NOTE_MAX_LENGTH == 5000
    assert next_step_latest(datetime.date(2026, 3, 10)) == datetime.date(2028, 3, 10)
    assert next_step_latest(datetime.date(2028, 2, 29)) == datetime.date(2030, 2, 28)


# --- observations through the API ------------------------------------------------------------


@pytest.mark.parametrize("name", ["strengths", "development_points", "next_step"])
def test_a_note_over_the_cap_is_a_400_naming_the_field(api, field, name):
    r = api.post(OBSERVATIONS, observation(**{name: TOO_LONG}))
    assert r.status_code == 400
    assert list(r.json()) == [name]
    assert "5000" in r.json()[name][0]
    assert not Observation.objects.exists()
    # At the cap it is stored whole.
    r = api.post(OBSERVATIONS, observation(**{name: "é" * NOTE_MAX_LENGTH}))
    assert r.status_code == 201, r.json()
    assert len(getattr(Observation.objects.get(), name)) == NOTE_MAX_LENGTH


def test_in_a_batch_only_the_long_note_is_rejected(api, field):
    r = api.post(OBSERVATIONS, [observation(external_id="a"), observation(external_id="b", strengths=TOO_LONG)])
    assert r.status_code == 200
    results = r.json()["results"]
    assert results[0] == {"index": 0, "status": "created"}
    assert results[1]["status"] == "rejected" and list(results[1]["errors"]) == ["strengths"]
    assert Observation.objects.count() == 1


def test_a_next_step_due_more_than_two_years_on_is_a_400(api, field):
    r = api.post(OBSERVATIONS, observation(next_step_on="2062-03-20"))
    assert r.status_code == 400
    assert r.json() == {
        "next_step_on": ["A next step is due at most two years after the observation (2028-03-10 at the latest)."]
    }
    assert api.post(OBSERVATIONS, observation(next_step_on="2028-03-10")).status_code == 201


# --- observations through the services (the admin's path) ------------------------------------


def test_the_services_refuse_long_notes_and_far_next_steps(org, field):
    member = field["members"]["lea"]
    behavior = field["model"].behaviors.get(code="salue-30s")
    moment = datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC)
    base = {"org": org, "member": member, "observer": None, "observed_at": moment, "kind": "coaching"}
    with pytest.raises(ValidationError) as error:
        deployment_services.observation_create(**base, ratings={behavior: 3}, next_step=TOO_LONG)
    assert set(error.value.message_dict) == {"next_step"}
    with pytest.raises(ValidationError) as error:
        deployment_services.observation_create(**base, ratings={behavior: 3}, next_step_on=datetime.date(2029, 1, 1))
    assert set(error.value.message_dict) == {"next_step_on"}

    stored = deployment_services.observation_create(**base, ratings={behavior: 3}, next_step="Reformuler")
    with pytest.raises(ValidationError) as error:
        deployment_services.observation_update(observation=stored, development_points=TOO_LONG)
    assert set(error.value.message_dict) == {"development_points"}
    with pytest.raises(ValidationError) as error:
        deployment_services.observation_update(observation=stored, next_step_on=datetime.date(2030, 1, 1))
    assert set(error.value.message_dict) == {"next_step_on"}
    stored.refresh_from_db()
    assert stored.development_points == "" and stored.next_step_on is None
    deployment_services.observation_update(observation=stored, next_step_on=datetime.date(2027, 3, 1))
    stored.refresh_from_db()
    assert stored.next_step_on == datetime.date(2027, 3, 1)


# --- observations in the browser -------------------------------------------------------------


def test_the_browser_form_caps_the_notes_and_the_due_date(client_for, org, admin, field):
    client = client_for(admin)
    client.cookies["cxtracker_language"] = "en"
    url = reverse("deployment:observation-create", kwargs={"org": org.slug})
    page = client.get(url + "?member=E0001").content.decode()
    # The browser stops typing at the cap.
    assert page.count(f'maxlength="{NOTE_MAX_LENGTH}"') == 3
    behavior = field["model"].behaviors.get(code="salue-30s")
    when = timezone.localtime(timezone.now() - datetime.timedelta(hours=1), org.tzinfo)
    data = {
        "member": "E0001",
        "kind": "coaching",
        "observed_at": when.strftime("%Y-%m-%dT%H:%M"),
        f"b_{behavior.pk}": "3",
        "strengths": TOO_LONG,
        "next_step_on": "2062-01-01",
    }
    # The form comes back with its errors (a 400, as every refused form of the field pages).
    response = client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "strengths" in errors and "5000" in errors["strengths"][0]
    assert not Observation.objects.exists()
    data["strengths"] = "Accueil chaleureux"
    response = client.post(url, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["next_step_on"]
    assert errors["next_step_on"][0].endswith(f"({next_step_latest(when.date()).isoformat()} at the latest).")
    assert not Observation.objects.exists()


# --- members' start dates --------------------------------------------------------------------


def test_a_start_date_more_than_a_year_ahead_is_a_400(api, org, tree):
    latest = org.today() + datetime.timedelta(days=366)
    member = {"code": "E0100", "name": "Léa Martin", "team": "T1"}
    r = api.post(MEMBERS, {**member, "active_from": (latest + datetime.timedelta(days=1)).isoformat()})
    assert r.status_code == 400
    assert r.json() == {
        "active_from": [f"The start date can be at most a year ahead ({latest.isoformat()} at the latest)."]
    }
    assert not Member.objects.filter(code="E0100").exists()
    assert api.post(MEMBERS, {**member, "active_from": latest.isoformat()}).status_code == 201
    # An update to a far start date is refused the same way.
    r = api.patch(f"{MEMBERS}E0100/", {"active_from": "2062-01-01"})
    assert r.status_code == 400 and list(r.json()) == ["active_from"]


def test_the_member_form_and_the_services_refuse_a_far_start(client_for, org, tree, admin):
    client = client_for(admin)
    client.cookies["cxtracker_language"] = "en"
    url = reverse("tenancy:member-create", kwargs={"org": org.slug})
    page = client.get(url).content.decode()
    latest = org.today() + datetime.timedelta(days=366)
    assert f'max="{latest.isoformat()}"' in page
    data = {"code": "E0200", "name": "Hugo", "team": tree["T1"].pk, "active_from": "2062-01-01"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["active_from"]
    assert not Member.objects.filter(code="E0200").exists()

    with pytest.raises(ValidationError) as error:
        tenancy_services.member_create(
            org=org, code="E0201", name="Inès", team=tree["T1"], active_from=datetime.date(2062, 1, 1)
        )
    assert set(error.value.message_dict) == {"active_from"}
    # A start date stored before the rule stays editable for the rest.
    legacy = Member.objects.create(
        organization=org, code="E0202", name="Paul", team=tree["T1"], active_from=datetime.date(2062, 1, 1)
    )
    tenancy_services.member_update(member=legacy, name="Paul Roux", active_from=datetime.date(2062, 1, 1))
    legacy.refresh_from_db()
    assert legacy.name == "Paul Roux"


def test_an_import_row_with_a_far_start_is_an_error_of_its_row(org, tree):
    from cxtracker.tenancy import imports

    records = [
        (2, {"code": "E1", "name": "A", "team": "T1", "active_from": "2026-01-01", "active_to": ""}),
        (3, {"code": "E2", "name": "B", "team": "T1", "active_from": "2062-01-01", "active_to": ""}),
    ]
    from django.utils import translation

    with translation.override("en"):
        check = imports.members_check(org, records)
    assert not check.rows[0].errors
    assert len(check.rows[1].errors) == 1 and "at most a year ahead" in check.rows[1].errors[0]
