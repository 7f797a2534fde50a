"""seed_demo's connectors: one of each tool; the webhook ones with accepted, duplicate and refused
deliveries (a refused one replayable); the figures are not changed by them, and a second run adds
nothing."""

import io

import pytest
from django.core.management import call_command

from connectors.models import Connector, Delivery
from cxtracker.tenancy.demo import DEMO_SLUG
from cxtracker.tenancy.models import Organization
from kpis.models import SurveyResponse

pytestmark = pytest.mark.django_db


def test_seed_demo_has_a_connector_of_each_tool_with_deliveries():
    call_command("seed_demo", "--teams-per-unit", "1", stdout=io.StringIO())
    org = Organization.objects.get(slug=DEMO_SLUG)
    assert sorted(Connector.objects.for_org(org).values_list("tool", flat=True)) == [
        "formbricks",
        "generic",
        "qualtrics",
        "surveymonkey",
        "typeform",
    ]
    statuses = sorted(Delivery.objects.for_org(org).values_list("connector__tool", "status", "http_status"))
    assert ("typeform", "accepted", 201) in statuses and ("typeform", "duplicate", 200) in statuses
    assert ("typeform", "refused", 422) in statuses and ("formbricks", "refused", 401) in statuses
    assert [d.replayable for d in Delivery.objects.for_org(org).filter(http_status=422)] == [True]
    accepted = Delivery.objects.for_org(org).filter(status="accepted").values_list("external_id", flat=True)
    assert SurveyResponse.objects.for_org(org).filter(external_id__in=list(accepted)).count() == 3
    before = (Connector.objects.count(), Delivery.objects.count(), SurveyResponse.objects.count())
    call_command("seed_demo", "--teams-per-unit", "1", stdout=io.StringIO())
    assert (Connector.objects.count(), Delivery.objects.count(), SurveyResponse.objects.count()) == before
