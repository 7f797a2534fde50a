"""kpis.ingest, as the browser's file upload calls it (values read from text cells)."""

import pytest
from django.utils import translation

from kpis.ingest import metric_values_ingest, survey_responses_ingest
from kpis.models import MetricValue, SurveyResponse

pytestmark = pytest.mark.django_db


def test_text_cells_are_read_as_numbers_and_empty_cells_as_missing(org, tree):
    items = [
        {"external_id": "csv-1", "unit": " T1 ", "responded_at": "2026-03-11T18:02:00+01:00", "nps": "9", "ces": ""},
        {"external_id": "csv-2", "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": "neuf"},
    ]
    with translation.override("en"):
        result = survey_responses_ingest(org=org, items=items, from_text=True)
    assert (result.created, result.rejected) == (1, 1)
    assert result.results[1]["errors"] == {"nps": ["Must be a whole number."]}
    row = SurveyResponse.objects.get()
    assert (row.nps, row.ces, row.unit) == (9, None, tree["T1"])


def test_json_values_keep_strict_types(org, tree):
    item = {"external_id": "j", "unit": "T1", "responded_at": "2026-03-11T18:02:00+01:00", "nps": "9"}
    assert survey_responses_ingest(org=org, items=[item]).rejected == 1


def test_metric_values_from_text_accept_a_decimal_comma(org, tree, revenue):
    items = [{"metric": "revenue", "unit": "T1", "period": "2026-02", "value": "1234,5"}]
    result = metric_values_ingest(org=org, items=items, from_text=True)
    assert result.as_dict()["created"] == 1
    assert MetricValue.objects.get().value == 1234.5


def test_metric_values_bulk_takes_a_handful_of_queries(org, tree, revenue, django_assert_max_num_queries):
    items = [
        {"metric": "revenue", "unit": "T1", "period": f"20{y:02d}-{m:02d}", "value": m}
        for y in range(20, 26)
        for m in range(1, 13)
    ]
    # units, metrics, existing keys, savepoint, upsert, dirty marks, release
    with django_assert_max_num_queries(8):
        result = metric_values_ingest(org=org, items=items)
    assert result.created == 72
