"""The dashboards' links: every filter lives in the query string, so that a link reproduces the view."""

from django.utils.http import urlencode


def query(params: dict, **changes) -> str:
    """The query string of the filters ``params`` with ``changes`` (None or "" drops a key)."""
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def page_url(base: str, params: dict, **changes) -> str:
    """The page at ``base`` with the filters ``params``, changed by ``changes``."""
    return base + query(params, **changes)
