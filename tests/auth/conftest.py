import pytest

from cxtracker.tenancy.models import Role
from tests.factories import make_membership, make_org, make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def nomad(org, other_org):
    """dana belongs to two organizations: administrator of Acme, executive at Globex."""
    user = make_user("dana@example.com", first_name="Dana")
    make_membership(user, org, Role.ADMIN)
    make_membership(user, other_org, Role.EXECUTIVE)
    return user


@pytest.fixture
def third_org(db):
    """An organization nobody of the cast belongs to."""
    return make_org("initech", "Initech")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """These tests log in for real many times: a cheap hasher keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
