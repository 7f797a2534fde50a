"""A member's export and erasure by the API: contents, both erasure modes (no trace of the name or
code in any text column afterwards), figures kept or recomputed, roles and other organizations."""

import pytest
from django.db import connection

from cxtracker.tenancy.models import Member
from deployment.models import Observation, Rating
from deployment.services import animation_create
from kpis.models import DirtyPeriod
from tests.api.conftest import Api, make_api_key

pytestmark = pytest.mark.django_db

OBS = "/api/v1/observations/"


def export_url(code):
    return f"/api/v1/members/{code}/export/"


def erase_url(code):
    return f"/api/v1/members/{code}/erase/"


@pytest.fixture
def recorded(api, field, manager):
    """Léa (E0001) has two observations with notes, recorded by Bob, and attended an animation."""
    for n, day in ((1, "2026-01-10"), (2, "2026-02-12")):
        r = api.post(
            OBS,
            {
                "member": "E0001",
                "observer": "bob@example.com",
                "observed_at": f"{day}T10:00:00+01:00",
                "kind": "coaching",
                "ratings": [{"behavior": "salue-30s", "level": 3}],
                "strengths": "Léa Martin accueille bien",
                "next_step": "Reformuler avec E0001",
                "next_step_on": "2026-03-20",
                "external_id": f"E0001-obs-{n}",
            },
        )
        assert r.status_code == 201, r.json()
    lea = field["members"]["lea"]
    animation = animation_create(
        org=lea.organization,
        team=lea.team,
        held_by=manager,
        held_at=Observation.objects.first().observed_at,
        kind="briefing",
        topic="Accueil",
        attendees=[lea],
    )
    return lea, animation


def traces(*needles) -> list[tuple[str, str]]:
    """(table, column) of every text column of the database holding one of ``needles``."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
            " AND data_type IN ('text', 'character varying', 'jsonb', 'json')"
        )
        for table, column in cursor.fetchall():
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.append((table, column))
    return found


def test_export_has_everything_recorded(api, recorded):
    r = api.get(export_url("E0001"))
    assert r.status_code == 200
    body = r.json()
    assert body["profile"]["name"] == "Léa Martin" and body["profile"]["team"] == "T1"
    assert [o["external_id"] for o in body["observations"]] == ["E0001-obs-1", "E0001-obs-2"]
    first = body["observations"][0]
    assert first["observer"] == "bob@example.com" and first["ratings"] == [{"behavior": "salue-30s", "level": 3}]
    assert first["strengths"] == "Léa Martin accueille bien" and first["next_step"] == "Reformuler avec E0001"
    assert body["animations"][0]["topic"] == "Accueil" and body["animations"][0]["held_by"] == "bob@example.com"


def test_the_erasure_preview_counts_what_goes(api, recorded):
    r = api.get(erase_url("E0001"))
    assert r.json() == {"code": "E0001", "observations": 2, "ratings": 2, "observations_with_notes": 2}


def test_anonymize_keeps_ratings_and_leaves_no_trace(api, recorded):
    assert traces("Léa Martin", "E0001")  # the search can fail
    r = api.post(erase_url("E0001"), {})
    assert r.status_code == 200, r.json()
    assert r.json()["mode"] == "anonymize"
    pseudonym = r.json()["code"]
    member = Member.objects.get(pk=recorded[0].pk)
    assert member.code == pseudonym and member.name == pseudonym
    assert Rating.objects.filter(member=member).count() == 2
    assert not Observation.objects.exclude(strengths="", next_step="").exists()
    assert traces("Léa Martin", "E0001") == []
    assert api.get(export_url("E0001")).status_code == 404


def test_anonymize_marks_no_month(api, recorded):
    DirtyPeriod.objects.all().delete()
    api.post(erase_url("E0001"), {"mode": "anonymize"})
    assert not DirtyPeriod.objects.exists()


def test_delete_removes_observations_and_leaves_no_trace(api, recorded):
    DirtyPeriod.objects.all().delete()
    r = api.post(erase_url("E0001"), {"mode": "delete"})
    assert r.status_code == 200, r.json()
    member = Member.objects.get(pk=recorded[0].pk)
    assert not Observation.objects.filter(member=member).exists() and not Rating.objects.filter(member=member).exists()
    marked = {(p.period_start.isoformat(), p.team and p.team.code) for p in DirtyPeriod.objects.select_related("team")}
    assert ("2026-01-01", "T1") in marked  # from the first observation's month on
    assert traces("Léa Martin", "E0001") == []


def test_bad_mode_is_a_400(api, recorded):
    r = api.post(erase_url("E0001"), {"mode": "forget"})
    assert r.status_code == 400 and "mode" in r.json()
    assert Member.objects.filter(code="E0001").exists()


def test_another_organizations_admin_and_key_get_404(outsider_api, outsider, session_api, recorded):
    assert outsider_api.get(export_url("E0001")).status_code == 404
    assert outsider_api.post(erase_url("E0001"), {}).status_code == 404
    api = session_api(outsider)
    assert api.get(export_url("E0001"), {"org": "acme"}).status_code in (403, 404)
    assert api.get(export_url("E0001")).status_code == 404
    assert Member.objects.filter(code="E0001", name="Léa Martin").exists()


@pytest.mark.parametrize("role", ["executive", "manager"])
def test_executives_and_managers_cannot_export_or_erase(role, request, session_api, recorded):
    api = session_api(request.getfixturevalue(role))
    assert api.get(export_url("E0001")).status_code in (403, 404)
    assert api.post(erase_url("E0001"), {"mode": "delete"}).status_code in (403, 404)
    assert Observation.objects.count() == 2


def test_an_admin_session_exports(session_api, admin, recorded):
    assert session_api(admin).get(export_url("E0001")).status_code == 200


def test_read_key_cannot_erase(client, org, recorded):
    api = Api(client, make_api_key(org, scopes=("read",)))
    assert api.get(export_url("E0001")).status_code == 200
    assert api.post(erase_url("E0001"), {}).status_code == 403


def test_the_refusal_is_in_french(session_api, manager, recorded):
    api = session_api(manager)
    api.headers["HTTP_ACCEPT_LANGUAGE"] = "fr"
    r = api.get(export_url("E0001"))
    assert r.status_code == 403
    assert "Seuls les administrateurs" in r.json()["detail"]
