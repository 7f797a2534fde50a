import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cxtracker.tenancy.models import ApiKey
from cxtracker.tenancy.services import api_key_create


def _url(name, org, **kwargs):
    return reverse(f"kpis:{name}", kwargs={"org": org.slug, **kwargs})


def test_admin_creates_a_key_shown_once_and_stored_hashed(client_for, admin, org):
    client = client_for(admin)
    response = client.post(_url("api-key-create", org), {"name": "Survey tool", "scopes": ["write"]})
    assert response.status_code == 200
    raw_key = response.context["raw_key"]
    key = ApiKey.objects.for_org(org).get(name="Survey tool")
    assert raw_key.startswith(f"cxt_{key.prefix}_")
    assert raw_key in response.content.decode()
    assert "shown only once" in response.content.decode() or "une seule fois" in response.content.decode()
    assert key.hashed_key == ApiKey.hash(raw_key)
    assert raw_key not in key.hashed_key
    assert key.scopes == ["write"]
    assert key.created_by == admin
    assert response["Cache-Control"].startswith("max-age=0")

    listing = client.get(_url("api-keys", org)).content.decode()
    assert f"cxt_{key.prefix}_…" in listing
    assert raw_key not in listing


def test_a_duplicate_name_is_a_form_error(client_for, admin, org):
    api_key_create(org=org, name="CRM", scopes=["read"])
    response = client_for(admin).post(_url("api-key-create", org), {"name": "CRM", "scopes": ["read"]})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert ApiKey.objects.for_org(org).count() == 1


def test_at_least_one_scope_is_required(client_for, admin, org):
    response = client_for(admin).post(_url("api-key-create", org), {"name": "No scope"})
    assert response.context["form"].errors["scopes"]
    assert not ApiKey.objects.for_org(org).exists()


def test_revoke_asks_for_confirmation_then_revokes(client_for, admin, org):
    key, _raw = api_key_create(org=org, name="ERP", scopes=["read"])
    client = client_for(admin)
    confirm = client.get(_url("api-key-revoke", org, pk=key.pk))
    assert confirm.status_code == 200
    assert "<form" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None

    response = client.post(_url("api-key-revoke", org, pk=key.pk))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_revoked_key_no_longer_authenticates_on_the_api(client_for, admin, org, tree, client):
    key, raw_key = api_key_create(org=org, name="ERP", scopes=["read"])
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {raw_key}"}
    before = client.get("/api/v1/units/", **headers)
    if before.status_code == 404:
        pytest.skip("/api/v1/units/ does not exist yet")
    assert before.status_code == 200
    client_for(admin).post(_url("api-key-revoke", org, pk=key.pk))
    client.logout()
    assert client.get("/api/v1/units/", **headers).status_code == 401


@pytest.mark.parametrize("user", ["manager", "executive", "steering"])
def test_only_admins_manage_keys(request, client_for, org, user):
    client = client_for(request.getfixturevalue(user))
    assert client.get(_url("api-keys", org)).status_code == 403
    assert client.post(_url("api-key-create", org), {"name": "x", "scopes": ["read"]}).status_code == 403
    assert not ApiKey.objects.exists()


def test_outsider_cannot_see_nor_revoke_another_organizations_key(client_for, outsider, org, other_org):
    key, _raw = api_key_create(org=org, name="Acme secret key", scopes=["read"])
    client = client_for(outsider)
    assert client.get(_url("api-keys", org)).status_code == 404
    assert client.post(_url("api-key-revoke", org, pk=key.pk)).status_code == 404
    # Through the outsider's own organization, the other organization's key does not exist either.
    assert client.post(_url("api-key-revoke", other_org, pk=key.pk)).status_code == 404
    assert "Acme secret key" not in client.get(_url("api-keys", other_org)).content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None


def test_command_prints_the_key_on_its_last_line(org):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "acme", "--name", "Nightly ERP", "--scopes", "write", stdout=out, stderr=err)
    lines = out.getvalue().rstrip("\n").split("\n")
    raw_key = lines[-1]
    key = ApiKey.objects.for_org(org).get(name="Nightly ERP")
    assert raw_key.startswith(f"cxt_{key.prefix}_")
    assert key.hashed_key == ApiKey.hash(raw_key)
    assert key.scopes == ["write"]
    assert out.getvalue().endswith(raw_key + "\n")


def test_command_defaults_to_read_and_write(org):
    call_command("create_api_key", "acme", "--name", "Both", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiKey.objects.get(name="Both").scopes == ["read", "write"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--name", "K"], "No organization"),
        (["acme", "--name", "Taken"], "already exists"),
        (["acme", "--name", "K", "--scopes", "admin"], "--scopes"),
    ],
)
def test_command_refuses_bad_input(org, args, message, settings):
    settings.LANGUAGE_CODE = "en"
    api_key_create(org=org, name="Taken", scopes=["read"])
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiKey.objects.count() == 1


def test_active_keys_are_listed_before_revoked_ones(client_for, admin, org):
    old, _raw = api_key_create(org=org, name="Old", scopes=["read"])
    api_key_create(org=org, name="Current", scopes=["read"])
    revoke = reverse("kpis:api-key-revoke", kwargs={"org": org.slug, "pk": old.pk})
    client = client_for(admin)
    client.post(revoke)
    api_key_create(org=org, name="Newest", scopes=["read"])
    names = [key.name for key in client.get(_url("api-keys", org)).context["page"]]
    assert names == ["Newest", "Current", "Old"]
