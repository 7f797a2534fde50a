"""The demo, toured in a real browser by each role at 1366 px and 375 px (locale fr-FR): from the
organization's home, every page the header's navigation leads to (at 375 px once the Menu toggle
is open) and, from each of them, its first link into a detail (a team, a report, a plan, a model
version, a unit of the dashboard...), one level deep.

Every page must answer below 400 with HTML, have an h1, raise no uncaught JavaScript error and log
no console error, draw every Plotly chart it holds (Plotly is served by the app) and not scroll
sideways, at 375 px as at 1366. Failures are collected, so one run reports them all; and the
phone's menu must lead to the same pages as the desktop's.

Screenshots land in test-results/ (tour-<role>-<page>-<width>.png)."""

import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils.text import slugify
from playwright.sync_api import Error as PlaywrightError

from cxtracker.tenancy.demo import DEMO_SLUG, DEMO_USERS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
VIEWPORTS = [{"width": 1366, "height": 900}, {"width": 375, "height": 812}]
PASSWORDS = {email: password for email, _first, _last, _role, password, _units in DEMO_USERS}
ROLES = {
    "admin": "admin@demo.cxtracker.test",
    "executive": "direction@demo.cxtracker.test",
    "steering": "copil@demo.cxtracker.test",
    "manager": "manager@demo.cxtracker.test",
}
# Not pages to look at: files (downloads, exports) and the forms that act rather than show.
DOWNLOAD = re.compile(r"(\.(csv|pdf|xlsx|json)$|/export/|/logout/)")
ACTION = re.compile(r"/(new|add|edit|delete|remove|copy|move|activate|deactivate|reactivate|revoke|resend|import)/$")
# Every chart's container, and whether Plotly has drawn in all of them.
CHARTS = ".chart[data-figure], .chart[data-report-figure], #mastery-chart"
DRAWN = "(charts) => [...document.querySelectorAll(charts)].every((e) => e.classList.contains('js-plotly-plot'))"
LINKS = "(els) => els.map((e) => e.href)"
# The links of main that lead somewhere: not those of a nav (tabs, breadcrumbs, month arrows).
MAIN_LINKS = "main a[href]:not(nav a)"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _to_look_at(url: str, origin: str) -> bool:
    """A page of the app to look at: same origin, neither a download nor the log-out."""
    parts = urlsplit(url)
    return url.startswith(origin) and not DOWNLOAD.search(parts.path) and "csv" not in parse_qs(parts.query)


def _is_detail(url: str, of: str) -> bool:
    """Whether ``url`` goes one level into the page ``of``: a page below its path that is not an
    action's form, or the same page for one unit."""
    parts, base = urlsplit(url), urlsplit(of)
    below = parts.path.startswith(base.path) and parts.path != base.path and not ACTION.search(parts.path)
    return below or (parts.path == base.path and "unit" in parse_qs(parts.query))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _name(url: str) -> str:
    """The screenshot's name for a page: its path under the organization's, and its unit."""
    parts, org = urlsplit(url), f"/o/{DEMO_SLUG}/"
    path = "home" if parts.path == org else parts.path.removeprefix(org).strip("/") or "root"
    unit = parse_qs(parts.query).get("unit", [""])[0]
    return slugify(f"{path} {unit}".replace("/", " "))


def _nav_links(page, width: int, failures: list) -> list[str]:
    """The header's links, after opening the Menu on a phone."""
    header = page.locator("header.site-header")
    toggle = header.locator("label.nav-toggle-label")
    if toggle.is_visible():
        toggle.click()
    if not header.locator("ul.nav-links").is_visible():
        failures.append(f"{width} px {page.url}: the header's links stay hidden")
    return header.locator("nav a[href]").evaluate_all(LINKS)


def _listen(page) -> list[str]:
    """The page's uncaught JavaScript errors and console errors, as they come."""
    log = []
    page.on("pageerror", lambda error: log.append(f"JavaScript error: {error}"))
    page.on("console", lambda message: message.type == "error" and log.append(f"console: {message.text}"))
    return log


def _check(page, log: list, url: str, role: str, width: int) -> list[str]:
    """Visit ``url``; the problems found there, and a screenshot."""
    log.clear()
    errors = []
    response = page.goto(url, wait_until="load")
    if response.status >= 400:
        errors.append(f"HTTP {response.status}")
    if not response.headers.get("content-type", "").startswith("text/html"):
        errors.append(f"not HTML: {response.headers.get('content-type')}")
    if page.locator("h1").count() == 0:
        errors.append("no h1")
    if page.locator(CHARTS).count():
        try:
            page.wait_for_function(DRAWN, arg=CHARTS, timeout=10_000)
        except PlaywrightError:
            errors.append("a chart was not drawn")
    if (scroll := page.evaluate("document.documentElement.scrollWidth")) > width:
        errors.append(f"scrolls sideways: {scroll} px wide")
    page.screenshot(path=SCREENSHOTS / f"tour-{role}-{_name(url)}-{width}.png", full_page=True)
    return [f"{width} px {url}: {error}" for error in log + errors]


def _first_detail(page, origin: str, seen: set) -> str | None:
    """The first link of the page's main content into one of its details, not yet toured."""
    links = page.locator(MAIN_LINKS).evaluate_all(LINKS)
    return next((u for u in links if _to_look_at(u, origin) and _is_detail(u, page.url) and u not in seen), None)


def _tour(page, live_server, role: str, width: int) -> tuple[list[str], list[str]]:
    """Every page of the navigation and the first detail of each: (paths visited, failures)."""
    origin = live_server.url
    failures, log = [], _listen(page)
    page.goto(origin + reverse("org-home", kwargs={"org": DEMO_SLUG}), wait_until="load")
    pages = list(dict.fromkeys(u for u in _nav_links(page, width, failures) if _to_look_at(u, origin)))
    seen = set(pages)
    visited = []
    for url in pages:
        failures += _check(page, log, url, role, width)
        visited.append(_path(url))
        detail = _first_detail(page, origin, seen)
        if detail:
            seen.add(detail)
            failures += _check(page, log, detail, role, width)
            visited.append(_path(detail))
    return visited, failures


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_demo_works_for(role, browser, live_server, login):
    call_command("seed_demo", "--teams-per-unit", "2", stdout=io.StringIO())
    # The dashboards' cache is keyed on ids that a fresh test database repeats: none from a past run.
    cache.clear()
    SCREENSHOTS.mkdir(exist_ok=True)
    failures, tours = [], {}
    for viewport in VIEWPORTS:
        context = browser.new_context(locale="fr-FR", viewport=viewport)
        try:
            page = context.new_page()
            login(page, live_server, ROLES[role], PASSWORDS[ROLES[role]])
            tours[viewport["width"]], found = _tour(page, live_server, role, viewport["width"])
            failures += found
        finally:
            context.close()
    assert not failures, "\n".join(failures)
    # The phone's menu leads to every page the desktop's does.
    assert tours[375] == tours[1366]
