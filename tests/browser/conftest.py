"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every test here is marked ``browser`` and needs ``@pytest.mark.django_db(transaction=True)``: the
live server runs in another thread and only sees committed rows.
"""

import os
from pathlib import Path

import pytest
from django.urls import reverse

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse the
# ORM calls the tests make around it (fixtures, assertions on rows).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # A conftest hook sees the whole session's items: mark only those under tests/browser/.
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium rather than a downloaded one; quiet, no sandbox (containers, CI)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login():
    """``login(page, live_server, email, password)``: log in through the real form (django-axes
    and all) and wait until the browser has left the login page."""

    def _login(page, live_server, email, password):
        page.goto(live_server.url + reverse("login"))
        form = page.locator("main form")
        form.locator("#id_username").fill(email)
        form.locator("#id_password").fill(password)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        if reverse("login") in page.url:
            raise AssertionError(f"log-in as {email} failed: still on {page.url}")
        return page

    return _login
