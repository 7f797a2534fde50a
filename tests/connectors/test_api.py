"""``/api/v1/connectors/``: create (the secret in that answer only), list, read, change the
mapping, delete; admins and write keys only; another organization's key gets 404."""

import pytest

from connectors.api import CONNECTOR_EXAMPLE
from connectors.models import Connector
from tests.api.conftest import Api, make_api_key
from tests.factories import make_tree

pytestmark = pytest.mark.django_db
URL = "/api/v1/connectors/"
# The example of the schema (SPEC §8).
BODY = CONNECTOR_EXAMPLE


def test_create_answers_the_url_and_the_secret_once(api):
    r = api.post(URL, BODY)
    assert r.status_code == 201, r.json()
    body = r.json()
    connector = Connector.objects.get()
    assert body["id"] == connector.pk
    assert body["url"] == f"http://testserver/api/v1/connectors/{connector.pk}/inbound/"
    assert body["secret"] == connector.secret and len(body["secret"]) >= 40
    assert body["mapping"] == BODY["mapping"]
    listed = api.get(URL).json()["results"]
    assert [c["name"] for c in listed] == ["Boutiques à chaud"]
    assert "secret" not in listed[0] and "secret" not in api.get(f"{URL}{connector.pk}/").json()


def test_a_formbricks_connector_takes_the_secret_formbricks_shows(api):
    secret = "whsec_" + "c2VjcmV0LW9mLWZvcm1icmlja3MtMzItYnl0ZXMhIQ=="
    r = api.post(URL, {**BODY, "tool": "formbricks", "secret": secret})
    assert r.status_code == 201
    assert Connector.objects.get().secret == secret


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"tool": "zapier"}, {"tool": ['"zapier" is not a valid choice.']}),
        (
            {"mapping": {"nps": "nps_ref"}},
            {"mapping": ["unit: say where the team's code comes from (a source, or =CODE)."]},
        ),
        (
            {"mapping": {"unit": "=T1", "mood": "x"}},
            {"mapping": ["mood: not a field of a survey response.", "Map at least one score: nps, csat or ces."]},
        ),
        (
            {"tool": "formbricks", "secret": "not-a-whsec"},
            {"secret": ["A Standard Webhooks secret: whsec_ followed by base64."]},
        ),
        ({"auth": "api_key"}, {"auth": ["Only a generic connector may take an API key instead of a signature."]}),
        ({"colour": "red"}, {"colour": ["Unknown field."]}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, change, errors):
    r = api.post(URL, {**BODY, **change})
    assert (r.status_code, r.json()) == (400, errors)
    assert not Connector.objects.exists()


def test_a_second_connector_of_the_same_name_is_a_400(api):
    api.post(URL, BODY)
    assert api.post(URL, BODY).json() == {"name": ["A connector with this name already exists."]}


def test_patch_changes_the_mapping_and_delete_removes(api):
    pk = api.post(URL, BODY).json()["id"]
    r = api.patch(f"{URL}{pk}/", {"mapping": {"nps": "q_nps", "unit": "=T1"}})
    assert r.status_code == 200 and r.json()["mapping"] == {"nps": "q_nps", "unit": "=T1"}
    assert api.patch(f"{URL}{pk}/", {"mapping": {"unit": "=T1"}}).status_code == 400
    assert api.delete(f"{URL}{pk}/").status_code == 204
    assert not Connector.objects.exists()


def test_another_organizations_key_gets_404_and_lists_nothing(api, client, other_org):
    pk = api.post(URL, BODY).json()["id"]
    make_tree(other_org)
    outsider = Api(client, make_api_key(other_org))
    assert outsider.get(f"{URL}{pk}/").status_code == 404
    assert outsider.patch(f"{URL}{pk}/", {"name": "x"}).status_code == 404
    assert outsider.delete(f"{URL}{pk}/").status_code == 404
    assert outsider.get(URL).json()["count"] == 0
    assert Connector.objects.get().name == "Boutiques à chaud"


def test_a_read_key_and_non_admins_cannot_create(client, org, executive, manager, session_api):
    assert Api(client, make_api_key(org, scopes=("read",))).post(URL, BODY).status_code == 403
    for user in (executive, manager):
        assert session_api(user).post(URL, BODY).status_code == 403
    assert not Connector.objects.exists()


def test_the_schema_documents_the_connectors(api):
    paths = api.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/connectors/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/connectors/{id}/"])
    assert set(paths["/api/v1/connectors/{id}/inbound/"]["post"]["responses"]) >= {"201", "200", "401", "422"}
