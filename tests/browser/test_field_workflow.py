"""The manager's main task on a phone: log an observation from the home page and see the team's
month move (SPEC §4 coverage)."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cxtracker.tenancy.models import Role
from deployment.models import Observation
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member, make_membership, make_org, make_tree, make_user

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def field(db):
    org = make_org("acme", "Acme Retail")
    tree = make_tree(org)
    make_experience_model(org, dimensions=(("accueil", 2), ("conseil", 2)))
    lea = make_member(org, tree["T1"], code="E0001", name="Léa Martin")
    make_member(org, tree["T1"], code="E0002", name="Hugo Bernard")
    make_member(org, tree["T2"], code="E0003", name="Inès Petit")
    user = make_user("bob@example.com", password=PASSWORD, first_name="Bob")
    make_membership(user, org, Role.MANAGER, units=[tree["T1"]])
    return {"org": org, "lea": lea}


def test_manager_logs_an_observation_on_a_phone(browser, live_server, login, field):
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        login(page, live_server, "bob@example.com", PASSWORD)
        home = live_server.url + reverse("org-home", kwargs={"org": "acme"})
        page.goto(home)

        not_coached = page.locator('section.not-coached[data-team="T1"]')
        coached = page.locator('section.coached[data-team="T1"]')
        coverage = page.locator('.coverage-value[data-team="T1"]')
        expect(not_coached).to_contain_text("Not yet coached this month")
        expect(not_coached.locator(".member-name")).to_have_text(["Hugo Bernard", "Léa Martin"])
        expect(coverage).to_have_text("0 %")
        expect(page.get_by_text("Inès Petit")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.get_by_role("button", name="Log an observation of Léa Martin").click()
        page.wait_for_url("**/field/observations/new/**")
        expect(page.locator("#id_member")).to_have_value("E0001")
        page.locator("label.segment", has_text="Coaching").click()

        def level(behavior, label):
            page.locator("fieldset.rating", has_text=behavior).locator(
                "label.level-option", has_text=re.compile(f"^{label}$")
            ).click()

        level("Accueil behavior 1", "Applied")
        level("Accueil behavior 2", "Mastered")
        level("Conseil behavior 1", "Known")
        page.locator("#id_strengths").fill("Greets every customer with a smile")
        page.locator("#id_next_step").fill("Suggest the loyalty card")
        # The level buttons are real tap targets on a phone, and nothing overflows sideways.
        box = page.locator("fieldset.rating label.level-option").nth(1).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 60
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "observation-form-375.png", full_page=True)

        page.get_by_role("button", name="Save the observation").click()
        page.wait_for_url(home)
        expect(page.locator(".messages")).to_contain_text("Observation of Léa Martin saved.")
        expect(not_coached.locator(".member-name")).to_have_text(["Hugo Bernard"])
        expect(coached.locator(".member-name")).to_have_text(["Léa Martin"])
        expect(coverage).to_have_text("50 %")
        page.screenshot(path=SCREENSHOTS / "manager-home-375.png", full_page=True)
    finally:
        context.close()

    observation = Observation.objects.get()
    assert (observation.member, observation.kind) == (field["lea"], "coaching")
    assert sorted(observation.ratings.values_list("behavior__code", "level")) == [
        ("accueil-1", 3),
        ("accueil-2", 4),
        ("conseil-1", 2),
    ]


def test_member_search_picks_the_member_and_shows_their_previous_levels(browser, live_server, login, field):
    from deployment.services import observation_create
    from experience.models import Behavior

    hugo = field["lea"].team.members.get(code="E0002")
    welcome = Behavior.objects.get(code="accueil-2")
    observation_create(
        org=field["org"],
        member=hugo,
        observer=None,
        observed_at=timezone.now() - datetime.timedelta(days=1),
        kind="observation",
        ratings={welcome: 3},
    )
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 812})
    try:
        page = context.new_page()
        login(page, live_server, "bob@example.com", PASSWORD)
        page.goto(live_server.url + reverse("deployment:observation-create", kwargs={"org": "acme"}))
        previous = page.locator(f'[data-previous-for="{welcome.pk}"]')
        expect(previous).to_have_text("")
        page.locator("#member-search").fill("hugo")
        expect(page.locator("#id_member")).to_have_value("E0002")
        expect(previous.locator(".level-chip")).to_have_text("3")
        expect(previous.locator(".level-chip")).to_have_class(re.compile(r"\blevel-3\b"))
        page.locator("#member-search").fill("léa")
        expect(page.locator("#id_member")).to_have_value("E0001")
        expect(previous).to_have_text("")
    finally:
        context.close()
