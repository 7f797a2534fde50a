"""Survey responses at survey speed: a well-formed item is read in one fast pass that must agree
exactly with the full check (which words the errors); text PostgreSQL cannot store is a 400; one
dirty mark per batch, for the responses' teams and months."""

import datetime

import pytest
from django.utils import timezone

from kpis.ingest import _Item, _survey_response, _survey_row
from kpis.models import DirtyPeriod, SurveyResponse
from tests.api.test_survey_responses import URL, response

pytestmark = pytest.mark.django_db

UNITS = {"T1": (11, "team"), "B": (12, "business_unit")}
VARIANTS = [
    {},
    {"external_id": "  qx-9 "},
    {"external_id": ""},
    {"external_id": "x" * 128},
    {"external_id": "x" * 129},
    {"external_id": 7},
    {"unit": " T1 "},
    {"unit": "B"},
    {"unit": "NOPE"},
    {"unit": None},
    {"responded_at": "2026-03-11T18:02:00Z"},
    {"responded_at": "2026-03-11"},
    {"responded_at": "2999-03-11T18:02:00+01:00"},
    {"nps": None},
    {"nps": None, "ces": None, "csat": None},
    {"nps": 0, "ces": 1, "csat": 1},
    {"nps": 10, "ces": 7, "csat": 5},
    {"nps": 11},
    {"ces": 0},
    {"csat": 6},
    {"nps": 9.0},
    {"nps": "9"},
    {"nps": True},
    {"channel": None, "journey": None, "segment": None, "trigger": None, "comment": None},
    {"channel": "  web  "},
    {"channel": "x" * 64},
    {"channel": "x" * 65},
    {"segment": ""},
    {"trigger": "periodic"},
    {"trigger": " event "},
    {"trigger": "hot"},
    {"comment": "ab\ud800c"},
    {"comment": "a\x00b"},
    {"comment": 5},
    {"aspects": None},
    {"aspects": {}},
    {"aspects": {"accueil": 1, "conseil.2": 5}},
    {"aspects": {"accueil": 6}},
    {"aspects": {"accueil": 4.0}},
    {"aspects": {"-bad": 3}},
    {"aspects": {"x" * 65: 3}},
    {"aspects": [1]},
    {"mood": "good"},
    {"respondent": " cust-42 "},
    {"respondent": 42},
    {"respondent": "x" * 257},
    {"respondent": "a\x00b"},
]


@pytest.mark.parametrize("change", VARIANTS)
def test_the_fast_pass_agrees_with_the_full_check(change):
    class Org:
        pk = 3

    data = {**response(), **change}
    now = timezone.now()
    fast = _survey_row(data, Org.pk, UNITS, now)
    item = _Item(data, from_text=False)
    full = _survey_response(item, Org, UNITS, now)
    if fast is not None:
        assert fast == full and not item.errors


def test_the_fast_pass_reads_the_usual_item():
    fast = _survey_row(response(), 3, UNITS, timezone.now())
    moment = datetime.datetime(2026, 3, 11, 18, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert fast == (
        3,
        "qx-1",
        11,
        moment,
        9,
        6,
        5,
        "store",
        "purchase",
        "event",
        "loyalty-gold",
        "Très bon accueil",
        {"accueil": 5},
        "",
    )


@pytest.mark.parametrize("text", ['"ab\\ud800c"', '"\\udfff"'])
def test_text_postgresql_cannot_store_is_a_400(api, tree, text):
    body = '{"external_id": "s1", "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": 9, "comment": '
    body += text + "}"
    r = api.post(URL, body)
    assert r.status_code == 400
    assert r.json() == {"comment": ["Contains a character that cannot be stored: NUL or an unpaired surrogate."]}
    assert not SurveyResponse.objects.exists()


def test_one_mark_per_batch_for_the_responses_teams_and_months(api, tree):
    DirtyPeriod.objects.all().delete()
    r = api.post(
        URL,
        [
            response("a", unit="T1", responded_at="2026-03-11T18:02:00+01:00"),
            response("b", unit="T3", responded_at="2026-03-31T22:30:00+00:00"),  # April in Paris
            response("c", unit="T3", responded_at="2026-01-02T10:00:00+01:00"),
        ],
    )
    assert r.json()["created"] == 3
    marks = sorted(DirtyPeriod.objects.values_list("team__code", "period_start"))
    # The batch's months (January, March, April) for its teams (T1, T3); a response counts in its
    # month only.
    months = [datetime.date(2026, 1, 1), datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]
    assert marks == [(team, month) for team in ("T1", "T3") for month in months]
