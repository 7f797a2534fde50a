"""What a new user saw, server side: the pages and messages as rendered.

The layout ones (header, sideways scroll, cut headers) are in tests/browser/test_layout.py."""

import datetime
import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from cxtracker import typography
from deployment.services import animation_create, observation_create
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member

NNBSP = "\u202f"
pytestmark = pytest.mark.django_db


def _home(org, **params):
    url = reverse("org-home", kwargs={"org": org.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _french(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- the organization's home -----------------------------------------------------------------


@pytest.fixture
def observed_last_month(org, tree, admin):
    """Léa (T1) observed and T1 animated in the month before the current one; nothing earlier."""
    model = make_experience_model(org)
    behavior = model.behaviors.first()
    lea = make_member(org, tree["T1"], code="E0001", name="Léa Martin", active_from=datetime.date(2024, 1, 1))
    make_member(org, tree["T3"], code="E0002", name="Paul Roux", active_from=datetime.date(2024, 1, 1))
    month = org.today().replace(day=1) - datetime.timedelta(days=1)
    moment = timezone.make_aware(datetime.datetime(month.year, month.month, 10, 10), org.tzinfo)
    observation_create(org=org, member=lea, observer=admin, observed_at=moment, kind="coaching", ratings={behavior: 3})
    animation_create(org=org, team=tree["T1"], held_by=admin, held_at=moment, kind="briefing")
    return month


def test_a_past_month_without_data_is_an_empty_state_not_zero_percent(client_for, org, admin, observed_last_month):
    client = _english(client_for(admin))
    body = client.get(_home(org, month="2024-06")).content.decode()
    # Two members were active in June 2024 but nothing was recorded: no 0 % that reads as a measure.
    assert "No observation and no team animation were recorded in June 2024." in body
    assert "2 members were active that month." in body
    assert "0 %" not in body and "Deployment rate" not in body
    # The big count is today's, and says so beside a past month.
    assert "Active members today" in body

    # The month with data keeps its figures, and the current month (nothing yet) is empty too.
    body = client.get(_home(org, month=observed_last_month.strftime("%Y-%m"))).content.decode()
    assert "Deployment rate" in body and "No observation and no team animation" not in body
    body = client.get(_home(org)).content.decode()
    assert "Active members today" not in body and "Active members" in body


def test_the_region_table_puts_the_rate_next_to_the_region(client_for, org, admin, observed_last_month):
    """On a phone the rate is the column in view (the others scroll): it comes right after the name."""
    client = _english(client_for(admin))
    body = client.get(_home(org, month=observed_last_month.strftime("%Y-%m"))).content.decode()
    header = body[body.index("<thead>", body.index('class="table-wrap"')) : body.index("</thead>")]
    columns = [part.split("</th>")[0].split(">")[-1] for part in header.split("<th ")[1:]]
    assert columns == ["Region", "Deployment rate", "Coverage", "Cadence", "Active members", "Teams"]


def test_french_home_months_are_abbreviated_the_french_way(client_for, org, tree, admin):
    make_member(org, tree["T1"], code="E1", active_from=datetime.date(2024, 1, 1))
    client = _french(client_for(admin))
    body = client.get(_home(org, month="2025-07")).content.decode()
    # June and July were "Jui" and "Jul", August "Aoû": now juin, juil., août.
    assert "← juin 2025" in body and "août 2025 →" in body
    assert "Jui 2025" not in body and "Aoû 2025" not in body
    body = client.get(_home(org, month="2025-08")).content.decode()
    assert "← juil. 2025" in body


def test_previous_month_label_has_a_narrow_no_break_space_before_its_colon(client_for, org, admin, observed_last_month):
    month = observed_last_month.strftime("%Y-%m")
    body = _french(client_for(admin)).get(_home(org, month=month)).content.decode()
    # October had active members but nothing recorded: "—", not 0 %.
    assert f"Mois précédent{NNBSP}: —" in body
    body = _english(client_for(admin)).get(_home(org, month=month)).content.decode()
    assert "Previous month: —" in body


def test_colon_follows_the_language():
    with translation.override("fr"):
        assert typography.colon() == f"{NNBSP}:"
        assert typography.label("Forces") == f"Forces{NNBSP}:"
    with translation.override("en"):
        assert typography.colon() == ":"
    assert typography.colon("fr-ca") == f"{NNBSP}:"


# --- members ---------------------------------------------------------------------------------


def test_reactivate_is_offered_only_to_members_who_have_left(client_for, org, tree, admin):
    today = org.today()
    make_member(org, tree["T1"], code="E-LEAVING", name="Leaving Later", active_to=today + datetime.timedelta(days=90))
    make_member(org, tree["T1"], code="E-GONE", name="Gone Already", active_to=today - datetime.timedelta(days=1))
    make_member(org, tree["T1"], code="E-STAYS", name="Stays On")
    make_member(org, tree["T1"], code="E-LASTDAY", name="Last Day Today", active_to=today)
    client = _english(client_for(admin))
    body = client.get(reverse("tenancy:member-list", kwargs={"org": org.slug})).content.decode()

    def actions(code):
        row = body[body.index(f"<code>{code}</code>") :]
        return row[: row.index("</tr>")]

    for code in ("E-LEAVING", "E-STAYS", "E-LASTDAY"):
        assert "Deactivate" in actions(code) and "Reactivate" not in actions(code), code
    assert "Reactivate" in actions("E-GONE") and "Deactivate" not in actions("E-GONE")
    # The deactivation form of a planned departure starts from its planned day.
    page = client.get(reverse("tenancy:member-deactivate", kwargs={"org": org.slug, "code": "E-LEAVING"}))
    assert page.context["form"]["active_to"].value() == today + datetime.timedelta(days=90)


def test_member_list_search_button_is_its_own_item(client_for, org, tree, admin):
    """The search bar is not Pico's [role=search] pill in a grid (which squeezed the button)."""
    make_member(org, tree["T1"], code="E1")
    body = client_for(admin).get(reverse("tenancy:member-list", kwargs={"org": org.slug})).content.decode()
    assert '<search><form method="get" class="search-bar">' in body
    assert 'role="search" class="grid"' not in body


# --- units -----------------------------------------------------------------------------------


def test_an_empty_unit_form_shows_only_the_required_field_errors(client_for, org, admin):
    client = _english(client_for(admin))
    # What a browser sends for the form left empty.
    empty = {"code": "", "name": "", "kind": "", "parent": ""}
    response = client.post(reverse("tenancy:unit-create", kwargs={"org": org.slug}), empty)
    errors = response.context["form"].errors
    # One "required" error on each required field, and nothing about the parent.
    assert set(errors) == {"code", "name", "kind"}
    assert all(len(messages) == 1 for messages in errors.values())
    body = response.content.decode()
    assert "top of the tree" not in body and "au sommet de l" not in body
    # A team without a parent still hears why.
    response = client.post(
        reverse("tenancy:unit-create", kwargs={"org": org.slug}), {"code": "T9", "name": "T9", "kind": "team"}
    )
    assert list(response.context["form"].errors) == ["parent"]


# --- favicon ---------------------------------------------------------------------------------


def test_pages_link_a_favicon_that_exists(client):
    body = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in body
    svg = (Path(settings.BASE_DIR) / "static" / "favicon.svg").read_text()
    assert svg.startswith("<svg") and 'viewBox="0 0 32 32"' in svg
    # Pages that do not extend base.html (the admin) ask for /favicon.ico: sent to the SVG.
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"


# --- the server log --------------------------------------------------------------------------


def test_a_403_logs_one_line_without_traceback(client_for, org, manager, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    response = client_for(manager).get(reverse("tenancy:setup", kwargs={"org": org.slug}))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage() == f"Forbidden (Permission denied): /o/{org.slug}/setup/"
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback():
    from cxtracker.log_filters import ClientErrorWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), info)
    record.status_code = 500
    assert ClientErrorWithoutTraceback().filter(record) and record.exc_info is info
    record.status_code = 403
    assert ClientErrorWithoutTraceback().filter(record) and record.exc_info is None


# --- numbers in French -----------------------------------------------------------------------


def test_manager_home_mastery_chips_use_a_decimal_comma_in_french(client_for, org, tree, manager):
    model = make_experience_model(org, dimensions=(("accueil", 2),))
    first, second = model.behaviors.order_by("position")
    lea = make_member(org, tree["T1"], code="E0001", name="Léa Martin")
    # In the past, yet in the organization's current month.
    now = timezone.now()
    month_start = timezone.localtime(now, org.tzinfo).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    moment = max(now - datetime.timedelta(hours=1), month_start + datetime.timedelta(seconds=1))
    observation_create(
        org=org, member=lea, observer=manager, observed_at=moment, kind="coaching", ratings={first: 4, second: 3}
    )
    body = _french(client_for(manager)).get(_home(org)).content.decode()
    # (4 + 3) / 2 = 3.5, in French 3,5; and the dimension's name whole.
    assert '<span class="level-chip level-4">3,5</span>' in body
    assert "<small>Accueil</small>" in body
