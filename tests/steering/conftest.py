"""The steering tests use the API's client and fixtures, the engine's eager tasks, and start with an
empty cache as the dashboards' do."""

from tests.api.conftest import api, experience_model, outsider_api, revenue, session_api
from tests.dashboards.conftest import _empty_cache
from tests.kpis.conftest import eager_tasks

__all__ = ["_empty_cache", "api", "eager_tasks", "experience_model", "outsider_api", "revenue", "session_api"]
