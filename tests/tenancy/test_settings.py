from decimal import Decimal

from cxtracker.tenancy.models import Organization


def _valid(**overrides):
    data = {
        "name": "Acme Retail France",
        "timezone": "America/Montreal",
        "language": "en",
        "rate_weight": "0.7",
        "expected_animations_per_month": "6",
        "min_sample_size": "50",
        "min_group_size": "5",
    }
    return {**data, **overrides}


def test_admin_changes_the_settings(client_for, admin, org, setup_url):
    response = client_for(admin).post(setup_url("tenancy:settings"), _valid())
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.timezone, org.language) == ("Acme Retail France", "America/Montreal", "en")
    assert (org.rate_weight, org.expected_animations_per_month, org.min_sample_size) == (Decimal("0.7"), 6, 50)


def test_the_minimum_group_size_is_never_below_3(client_for, admin, org, setup_url):
    response = client_for(admin).post(setup_url("tenancy:settings"), _valid(min_group_size="2"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"min_group_size"}
    response = client_for(admin).post(setup_url("tenancy:settings"), _valid(min_group_size="8"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.min_group_size == 8


def test_out_of_range_values_are_form_errors(client_for, admin, org, setup_url):
    response = client_for(admin).post(
        setup_url("tenancy:settings"),
        _valid(rate_weight="1.5", expected_animations_per_month="0", timezone="Mars/Olympus"),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"rate_weight", "expected_animations_per_month", "timezone"}
    org.refresh_from_db()
    assert (org.rate_weight, org.timezone) == (Decimal("0.50"), "Europe/Paris")


def test_non_admin_members_get_403(client_for, manager, executive, org, setup_url):
    for user in (manager, executive):
        client = client_for(user)
        assert client.get(setup_url("tenancy:settings")).status_code == 403
        assert client.post(setup_url("tenancy:settings"), _valid(name="Hacked")).status_code == 403
    assert Organization.objects.get(pk=org.pk).name == "Acme Retail"


def test_outsider_gets_404_and_changes_nothing(client_for, outsider, org, other_org, setup_url):
    client = client_for(outsider)
    assert client.get(setup_url("tenancy:settings")).status_code == 404
    assert client.post(setup_url("tenancy:settings"), _valid(name="Hacked")).status_code == 404
    assert Organization.objects.get(pk=org.pk).name == "Acme Retail"
    assert Organization.objects.get(pk=other_org.pk).name == "Globex"


def test_hub_links_every_setup_screen(client_for, admin, setup_url):
    response = client_for(admin).get(setup_url("tenancy:setup"))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("unit-list", "member-list", "membership-list", "settings", "import"):
        assert f'href="{setup_url(f"tenancy:{name}")}"' in body
    for name in ("kpis:metrics", "kpis:api-keys"):
        assert f'href="{setup_url(name)}"' in body


def test_hub_is_for_admins_only(client_for, manager, outsider, setup_url):
    assert client_for(manager).get(setup_url("tenancy:setup")).status_code == 403
    assert client_for(outsider).get(setup_url("tenancy:setup")).status_code == 404
