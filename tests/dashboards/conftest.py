"""The dashboards cache their answers on versions that a fresh test database repeats (ids restart
with each run): every test starts with an empty cache, so that nothing is read from an earlier run.

The team pages show the field data: the field's fixtures (an active experience model, its
behaviors, a moment earlier in the current month, Léa observed then) are the deployment tests'."""

import pytest
from django.core.cache import cache

from tests.deployment.conftest import behaviors, exp_model, lea_observed, now, recently  # noqa: F401


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
