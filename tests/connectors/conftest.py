# The API tests' fixtures: a read-write key of ``org`` and a logged-in JSON client.
from tests.api.conftest import _fresh_throttle_counts, api, session_api  # noqa: F401
