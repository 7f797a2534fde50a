"""The steering tests use the API's client and fixtures, the engine's eager tasks, and start with an
empty cache as the dashboards' do."""

import pytest

from tests.api.conftest import api, experience_model, outsider_api, revenue, session_api
from tests.dashboards.conftest import _empty_cache
from tests.kpis.conftest import eager_tasks

__all__ = ["_empty_cache", "api", "eager_tasks", "experience_model", "outsider_api", "revenue", "session_api"]


@pytest.fixture(autouse=True, scope="session")
def _chart_renderer_closed():
    """The PDFs' Chromium stays up from one test to the next (steering.reports.exports.renderer);
    closed at the end of the session, while the run's log handlers still write (at exit they are
    closed)."""
    yield
    from steering.reports.exports import renderer

    renderer.close()
