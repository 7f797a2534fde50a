"""The model editor on a phone, JavaScript off: the move buttons are plain forms."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cxtracker.tenancy.models import Role
from experience.demo import seed
from tests.browser.conftest import browser_type_launch_args, login  # noqa: F401 (fixtures)
from tests.factories import make_membership, make_org, make_user

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_model(db):
    org = make_org("acme", "Acme Retail")
    make_membership(make_user("alice@example.com", password=PASSWORD), org, Role.ADMIN)
    return seed(org)


def test_admin_reorders_behaviors_on_a_phone_without_javascript(browser, live_server, login, demo_model):  # noqa: F811
    context = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server, "alice@example.com", PASSWORD)
        page.goto(live_server.url + reverse("experience:model-active", kwargs={"org": "acme"}))
        accueil = page.locator("article.dimension").first
        expect(accueil.locator("ol.behaviors > li strong")).to_have_count(4)
        first = accueil.locator("ol.behaviors > li strong").first
        expect(first).to_have_text("Salue le client dans les 30 secondes")

        accueil.locator("ol.behaviors > li").first.locator("button[value=down]").click()

        page.wait_for_load_state()
        names = page.locator("article.dimension").first.locator("ol.behaviors > li strong")
        expect(names.nth(0)).to_have_text("Sourit et établit un contact visuel")
        expect(names.nth(1)).to_have_text("Salue le client dans les 30 secondes")
        # Nothing sticks out of a phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "experience-editor-375.png", full_page=False)
    finally:
        context.close()
    assert list(
        demo_model.dimensions.get(code="accueil").behaviors.order_by("position").values_list("code", flat=True)
    )[:2] == ["sourire-regard", "salue-30s"]
