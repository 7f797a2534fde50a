"""The dashboards cache their answers on versions that a fresh test database repeats (ids restart
with each run): every test starts with an empty cache, so that nothing is read from an earlier run."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
