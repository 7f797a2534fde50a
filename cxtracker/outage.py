"""A database outage (PostgreSQL unreachable or restarting) answers 503, not 500: the API its JSON
error with ``Retry-After``, the pages a short page in the visitor's language.

This is the 500 handler (``handler500`` in cxtracker/urls.py), not a middleware: Django turns an
exception into a response at the boundary of every middleware, so a middleware never sees the
error of another one (the session read for the user and the language, the session saved on the
way out). The 500 handler is where every uncaught exception ends, whichever layer raised it. Under
``DEBUG`` Django shows its debug page instead, as for any error.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views import defaults

from cxtracker.api.errors import RETRY_AFTER_SECONDS, unavailable_response
from cxtracker.tenancy.middleware import requested_language

logger = logging.getLogger(__name__)

# What the database driver raises when the server cannot be reached, restarts or drops the
# connection. Any other error stays a 500.
DATABASE_DOWN = (OperationalError, InterfaceError)


def server_error(request):
    """Django's 500 page, or the 503 of a database outage."""
    exc = sys.exception()
    if not isinstance(exc, DATABASE_DOWN):
        return defaults.server_error(request)
    # One line per request: the driver's message spans several.
    reason = " ".join(str(exc).split())
    logger.warning(
        "Database unavailable: %s %s answered 503 (%s: %s)", request.method, request.path, type(exc).__name__, reason
    )
    _close_broken_connections()
    # The language the request names (cookie, browser): the user's profile is in the database.
    language = requested_language(request) or settings.LANGUAGE_CODE
    with translation.override(language):
        if request.path_info.startswith("/api/"):
            response = unavailable_response()
        else:
            # Rendered without the request: the context processors read the user and the session.
            response = HttpResponse(render_to_string("503.html"), status=503)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    add_never_cache_headers(response)
    # Logged above in one line: Django would log each request of the outage as an error with its
    # traceback (mailed to the admins), unless the response says it has been logged.
    response._has_been_logged = True
    return response


def _close_broken_connections() -> None:
    """Close the connections the outage broke, so that the next request opens a new one instead
    of failing on a dead one (Django checks them too when a request ends, but its test client
    does not)."""
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
