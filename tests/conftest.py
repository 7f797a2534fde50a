"""Shared fixtures. The cast follows healthchecks: alice administers ``org``, the manager works in
team T1 of it, charlie (``outsider``) administers ``other_org`` and must see nothing of ``org``."""

import pytest

from cxtracker.tenancy.models import Role
from kpis.engine import background
from tests.factories import make_member, make_membership, make_org, make_tree, make_user


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Real hashing costs ~0.3 s per user created or logged in: tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_background_recomputation_left():
    """A write without a broker starts a timer in the process (kpis.engine.background): none
    outlives its test to run in another one."""
    yield
    background.cancel_pending()


@pytest.fixture
def org(db):
    return make_org("acme", "Acme Retail")


@pytest.fixture
def tree(org):
    return make_tree(org)


@pytest.fixture
def members(org, tree):
    """Two members in T1, one in T2, one in T3."""
    return {
        "lea": make_member(org, tree["T1"], code="E0001", name="Léa Martin"),
        "hugo": make_member(org, tree["T1"], code="E0002", name="Hugo Bernard"),
        "ines": make_member(org, tree["T2"], code="E0003", name="Inès Petit"),
        "paul": make_member(org, tree["T3"], code="E0004", name="Paul Roux"),
    }


@pytest.fixture
def admin(org):
    user = make_user("alice@example.com", first_name="Alice")
    make_membership(user, org, Role.ADMIN)
    return user


@pytest.fixture
def executive(org):
    user = make_user("erin@example.com")
    make_membership(user, org, Role.EXECUTIVE)
    return user


@pytest.fixture
def steering(org):
    user = make_user("sam@example.com")
    make_membership(user, org, Role.STEERING)
    return user


@pytest.fixture
def manager(org, tree):
    """Manages team T1 only."""
    user = make_user("bob@example.com", first_name="Bob")
    make_membership(user, org, Role.MANAGER, units=[tree["T1"]])
    return user


@pytest.fixture
def other_org(db):
    return make_org("globex", "Globex")


@pytest.fixture
def outsider(other_org):
    """charlie administers another organization."""
    user = make_user("charlie@example.com")
    make_membership(user, other_org, Role.ADMIN)
    return user


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
