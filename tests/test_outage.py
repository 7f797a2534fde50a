"""A database outage answers 503: the API its JSON error with Retry-After, a page a short page in
the visitor's language; the next request after it reconnects and answers as usual.

The outages are real, and the shared server keeps running: the default connection points at a
port nothing listens on (PostgreSQL down: every connection is refused), or its server process is
ended from a second connection (what a restart does to an open connection). The tests commit
(``transaction=True``): a closed connection would lose a test's transaction.
"""

import contextlib
import logging
import socket

import pytest
from django.db import connection, connections
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from kpis.models import SurveyResponse
from tests.api.conftest import Api, make_api_key
from tests.factories import make_membership, make_user

pytestmark = pytest.mark.django_db(transaction=True)

RESPONSE = {"external_id": "x", "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": 9}
DETAIL = {
    "en": "The database is unavailable for the moment: retry in 10 seconds.",
    "fr": "La base de données est indisponible pour le moment\u00a0: réessayez dans 10 secondes.",
}
PAGE = {
    "en": ("Service unavailable", "cxtracker cannot reach its database for the moment."),
    "fr": ("Service indisponible", "cxtracker ne peut pas joindre sa base de données pour le moment."),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def database_down():
    """PostgreSQL down: the default database behind a port nothing listens on."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = _free_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


def drop_connection() -> None:
    """What a PostgreSQL restart does to the open connection: its server process ends."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    finally:
        other.close()


@pytest.fixture
def visitor():
    """The test client, answering what a browser would get rather than raising the error."""
    return Client(raise_request_exception=False)


@pytest.fixture
def api(org, tree):
    return Api(Client(raise_request_exception=False), make_api_key(org))


@pytest.fixture
def logged_in(visitor, org):
    visitor.force_login(make_membership(make_user("alice@example.com"), org).user)
    return visitor


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/v1/units/", None),
        ("post", "/api/v1/survey-responses/", RESPONSE),
        ("post", "/api/v1/survey-responses/", [RESPONSE]),
    ],
)
def test_the_api_answers_503_json_with_retry_after_while_the_database_is_down(api, caplog, method, url, body):
    args = (url,) if body is None else (url, body)
    with database_down(), caplog.at_level(logging.INFO):
        r = getattr(api, method)(*args)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "10"
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"detail": DETAIL["en"]}
    assert "no-store" in r.headers["Cache-Control"]
    # One warning line, not Django's error with its traceback.
    assert [(rec.name, rec.levelname, rec.exc_info) for rec in caplog.records] == [
        ("cxtracker.outage", "WARNING", None)
    ]
    assert f"{method.upper()} {url} answered 503 (OperationalError: " in caplog.records[0].getMessage()
    assert "\n" not in caplog.records[0].getMessage()
    # Back up: the next request reconnects.
    r = getattr(api, method)(*args)
    assert r.status_code in (200, 201), r.content


def test_the_api_words_its_503_in_the_requested_language(api):
    api.headers["HTTP_ACCEPT_LANGUAGE"] = "fr"
    with database_down():
        r = api.get("/api/v1/units/")
    assert (r.status_code, r.json(), r.headers["Content-Language"]) == (503, {"detail": DETAIL["fr"]}, "fr")


def test_a_connection_dropped_by_a_restart_is_replaced(api):
    assert api.get("/api/v1/units/").status_code == 200
    drop_connection()
    r = api.get("/api/v1/units/")
    assert (r.status_code, r.json()) == (503, {"detail": DETAIL["en"]})
    # The dead connection was closed: the next request opens a new one.
    assert api.get("/api/v1/units/").status_code == 200


# --- the pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        ({"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}, "fr"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, "en"),
        ({}, "fr"),  # the site's default
    ],
)
def test_a_page_answers_503_in_the_browsers_language(logged_in, headers, language):
    # The session (and with it the user) is read from the database before any view runs.
    with database_down():
        r = logged_in.get("/o/acme/", **headers)
    assert r.status_code == 503
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert (r.headers["Retry-After"], r.headers["Content-Language"]) == ("10", language)
    page = r.content.decode()
    title, sentence = PAGE[language]
    assert f'<html lang="{language}"' in page and f"<h1>{title}</h1>" in page and sentence in page
    assert "css/app.css" in page
    assert logged_in.get("/o/acme/", **headers).status_code == 200


def test_the_language_cookie_wins_over_the_browser(logged_in):
    logged_in.cookies["cxtracker_language"] = "en"
    with database_down():
        r = logged_in.get("/o/acme/", HTTP_ACCEPT_LANGUAGE="fr")
    assert r.status_code == 503 and PAGE["en"][0] in r.content.decode()


def test_a_session_that_cannot_be_saved_on_the_way_out_answers_503(visitor, settings):
    settings.ROOT_URLCONF = __name__
    r = visitor.get("/save-session/")
    assert r.status_code == 503 and PAGE["fr"][0] in r.content.decode()
    # Nothing was saved, and the next request reconnects.
    r = visitor.get("/count/")
    assert (r.status_code, r.content) == (200, b"0")


# --- what is not an outage -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/broken-query/", "/bug/"])
def test_other_errors_stay_500(visitor, settings, url):
    settings.ROOT_URLCONF = __name__
    r = visitor.get(url)
    assert r.status_code == 500 and "Server error" in r.content.decode()
    assert "Retry-After" not in r.headers


def test_the_usual_answers_are_untouched(api, logged_in):
    assert api.post("/api/v1/survey-responses/", RESPONSE).status_code == 201
    assert SurveyResponse.objects.count() == 1
    assert logged_in.get("/o/acme/").status_code == 200
    assert logged_in.get("/o/nope/").status_code == 404


# --- the views of the tests above (this module is their URLconf) -------------------------------


def _save_session(request):
    request.session["seen"] = True  # saved by the session middleware, after the view
    drop_connection()
    return HttpResponse("saved")


def _count_sessions(request):
    from django.contrib.sessions.models import Session

    return HttpResponse(str(Session.objects.count()))


def _broken_query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")


def _bug(request):
    raise ValueError("a bug, not an outage")


urlpatterns = [
    path("save-session/", _save_session),
    path("count/", _count_sessions),
    path("broken-query/", _broken_query),
    path("bug/", _bug),
    path("", include("cxtracker.urls")),
]
handler500 = "cxtracker.outage.server_error"
