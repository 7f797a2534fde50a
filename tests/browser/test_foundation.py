"""The foundation in a real browser: log in through the form, switch organization from the header,
read the interface in French when the browser asks for French."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cxtracker.tenancy.models import Role
from tests.factories import make_membership, make_org, make_user

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dana(db):
    """Administers Acme, executive at Globex; a third organization she must never see."""
    user = make_user("dana@example.com", password=PASSWORD, first_name="Dana")
    make_membership(user, make_org("acme", "Acme Retail"), Role.ADMIN)
    make_membership(user, make_org("globex", "Globex"), Role.EXECUTIVE)
    make_org("initech", "Initech")
    return user


def test_login_then_switch_organization_from_the_header(page, live_server, login, dana):
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    stylesheets = []
    page.on("response", lambda r: r.request.resource_type == "stylesheet" and stylesheets.append(r.url))
    login(page, live_server, "dana@example.com", PASSWORD)

    # Two organizations and none used yet: the picker.
    expect(page.locator("main .org-list a")).to_have_text(["Acme Retail", "Globex"])
    page.locator("main .org-list a", has_text="Acme Retail").click()
    page.wait_for_url(f"{live_server.url}/o/acme/")
    expect(page.locator("main h1")).to_have_text("Acme Retail")

    switcher = page.locator("header details.org-switcher")
    switcher.locator("summary").click()
    expect(switcher.locator("a")).to_have_text(["Acme Retail", "Globex"])
    switcher.locator("a", has_text="Globex").click()

    page.wait_for_url(f"{live_server.url}/o/globex/")
    expect(page.locator("main h1")).to_have_text("Globex")
    expect(page.locator("header details.org-switcher summary")).to_have_text("Globex")
    # Every request succeeded, Pico and app.css included (served without collectstatic).
    assert failed == []
    assert any(url.endswith("/static/vendor/pico/pico.min.css") for url in stylesheets)
    assert any(url.endswith("/static/css/app.css") for url in stylesheets)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "foundation-switched.png", full_page=True)


def test_french_browser_reads_the_interface_in_french(browser, live_server, login, dana):
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        response = page.goto(live_server.url + "/accounts/login/")
        assert response.request.all_headers()["accept-language"].startswith("fr-FR")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("main button[type=submit]")).to_have_text("Se connecter")

        login(page, live_server, "dana@example.com", PASSWORD)
        page.locator("main .org-list a", has_text="Globex").click()
        page.wait_for_url(f"{live_server.url}/o/globex/")

        # On a phone the header's links fold behind the "Menu" toggle.
        expect(page.locator("header .nav-links")).to_be_hidden()
        page.locator("header label.nav-toggle-label").click()
        page.locator("header details.user-menu summary").click()
        logout = page.get_by_role("button", name="Se déconnecter")
        expect(logout).to_be_visible()
        # On a phone the open menu stays on the screen, every entry of it.
        for item in page.locator("header details.user-menu li").all():
            box = item.bounding_box()
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 375
        expect(page.get_by_role("link", name="Accueil")).to_have_count(1)
        body = page.locator("body").inner_text()
        assert "Log out" not in body
        assert "My organizations" not in body
        # A phone-sized screen: the header must not push the page sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "foundation-french-phone.png", full_page=True)
    finally:
        context.close()
