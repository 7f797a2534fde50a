import datetime

import pytest
from django.urls import reverse

from kpis.models import Metric, MetricCategory, MetricValue
from kpis.services import DEFAULT_METRICS, metrics_seed_defaults


def _url(name, org, **kwargs):
    return reverse(f"kpis:{name}", kwargs={"org": org.slug, **kwargs})


def _metric(org, code="nps_store", **kwargs):
    fields = {"name": "Store NPS", "category": MetricCategory.OPERATIONAL, "unit_of_measure": "pts", **kwargs}
    return Metric.objects.create(organization=org, code=code, **fields)


def test_seeding_creates_the_six_spec_metrics_once(org):
    metrics_seed_defaults(org=org)
    Metric.objects.filter(organization=org, code="revenue").update(name="CA net")
    metrics_seed_defaults(org=org)
    metrics = {m.code: m for m in Metric.objects.for_org(org)}
    assert set(metrics) == {code for code, *_rest in DEFAULT_METRICS}
    assert metrics["revenue"].name == "CA net"  # an edited metric is left as the organization made it
    assert metrics["revenue"].unit_of_measure == "€"
    assert metrics["retention_rate"].category == MetricCategory.BUSINESS
    assert metrics["handling_time"].category == MetricCategory.OPERATIONAL
    assert metrics["handling_time"].higher_is_better is False


def test_admin_lists_metrics_with_their_value_counts(client_for, admin, org, tree):
    metrics_seed_defaults(org=org)
    revenue = Metric.objects.get(organization=org, code="revenue")
    MetricValue.objects.create(
        organization=org, metric=revenue, unit=tree["T1"], period_start=datetime.date(2026, 1, 1), value=10
    )
    response = client_for(admin).get(_url("metrics", org))
    assert response.status_code == 200
    rows = {m.code: m.value_count for m in response.context["page"]}
    assert rows["revenue"] == 1
    assert rows["gross_margin"] == 0
    assert "Chiffre d&#x27;affaires" in response.content.decode()


def test_admin_creates_a_metric(client_for, admin, org):
    response = client_for(admin).post(
        _url("metric-create", org),
        {"code": "churn", "name": "Churn", "category": "business", "unit_of_measure": "%", "higher_is_better": ""},
    )
    assert response.status_code == 302
    metric = Metric.objects.get(organization=org, code="churn")
    assert metric.higher_is_better is False


def test_a_code_is_unique_per_organization_only(client_for, admin, org, other_org):
    _metric(org)
    _metric(other_org, code="churn")
    client = client_for(admin)
    data = {"code": "nps_store", "name": "Again", "category": "business"}
    response = client.post(_url("metric-create", org), data)
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert client.post(_url("metric-create", org), {**data, "code": "churn"}).status_code == 302


def test_admin_edits_a_metric(client_for, admin, org):
    _metric(org)
    response = client_for(admin).post(
        _url("metric-edit", org, code="nps_store"),
        {"code": "nps_shop", "name": "Shop NPS", "category": "operational", "higher_is_better": "on"},
    )
    assert response.status_code == 302
    metric = Metric.objects.get(organization=org)
    assert (metric.code, metric.name) == ("nps_shop", "Shop NPS")


def test_editing_into_an_existing_code_is_a_form_error(client_for, admin, org):
    _metric(org)
    _metric(org, code="other")
    response = client_for(admin).post(
        _url("metric-edit", org, code="other"), {"code": "nps_store", "name": "x", "category": "business"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_deleting_a_metric_without_values_asks_then_deletes(client_for, admin, org):
    _metric(org)
    client = client_for(admin)
    assert client.get(_url("metric-delete", org, code="nps_store")).status_code == 200
    assert Metric.objects.filter(organization=org).exists()
    response = client.post(_url("metric-delete", org, code="nps_store"))
    assert response.status_code == 302
    assert not Metric.objects.filter(organization=org).exists()


def test_a_metric_with_values_cannot_be_deleted(client_for, admin, org, tree):
    metric = _metric(org)
    MetricValue.objects.create(
        organization=org, metric=metric, unit=tree["T1"], period_start=datetime.date(2026, 1, 1), value=1
    )
    response = client_for(admin).post(_url("metric-delete", org, code="nps_store"), follow=True)
    assert Metric.objects.filter(pk=metric.pk).exists()
    assert MetricValue.objects.filter(metric=metric).count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert "Store NPS" in messages[0]


@pytest.mark.parametrize("user", ["manager", "executive", "steering"])
def test_only_admins_manage_metrics(request, client_for, org, user):
    _metric(org)
    client = client_for(request.getfixturevalue(user))
    assert client.get(_url("metrics", org)).status_code == 403
    assert client.post(_url("metric-delete", org, code="nps_store")).status_code == 403
    assert Metric.objects.filter(organization=org).exists()


def test_outsider_gets_404_on_another_organizations_metrics(client_for, outsider, org, other_org):
    _metric(org, name="Acme secret metric")
    client = client_for(outsider)
    assert client.get(_url("metrics", org)).status_code == 404
    assert client.post(_url("metric-delete", org, code="nps_store")).status_code == 404
    # The code exists in org only: through the outsider's own organization it is not found.
    assert client.get(_url("metric-edit", other_org, code="nps_store")).status_code == 404
    assert client.post(_url("metric-delete", other_org, code="nps_store")).status_code == 404
    assert "Acme secret metric" not in client.get(_url("metrics", other_org)).content.decode()
    assert Metric.objects.filter(organization=org).exists()
