"""Personal data at ingestion: comments stored with markers (API, bulk, uploads), counted in the
answer; a respondent id stored only as its hash salted per organization."""

import hashlib
import hmac

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis.models import RespondentSalt, SurveyResponse, UploadJob
from tests.api.conftest import Api, make_api_key
from tests.api.test_survey_responses import URL, response
from tests.factories import make_tree
from tests.kpis.conftest import _media_in_tmp, eager_tasks  # noqa: F401 (fixtures of the upload)

pytestmark = pytest.mark.django_db

CALL_ME = "Rappelez-moi au 06 12 34 56 78 ou jean.dupont@orange.fr"


def test_a_comment_is_stored_with_french_markers(api, tree):
    r = api.post(URL, response(comment=CALL_ME))
    assert r.status_code == 201
    assert r.json()["comment"] == "Rappelez-moi au [téléphone] ou [e-mail]"
    assert SurveyResponse.objects.get().comment == "Rappelez-moi au [téléphone] ou [e-mail]"


def test_an_english_organization_gets_english_markers(client, org, tree):
    org.language = "en"
    org.save(update_fields=["language"])
    r = Api(client, make_api_key(org)).post(URL, response(comment="Call me on +33 1 23 45 67 89"))
    assert r.json()["comment"] == "Call me on [phone]"


def test_bulk_counts_what_it_masked_per_item_and_in_all(api, tree):
    items = [
        response("a", comment=CALL_ME),
        response("b", comment="Remboursez FR76 3000 6000 0112 3456 7890 189, carte 4970 1012 3456 7893"),
        response("c", comment="Commande n° 4578912 du 12/03/2026, 129,90 €, livrée au 75011"),
        response("d", comment=CALL_ME, nps=11),
    ]
    body = api.post(URL, items).json()
    assert body["masked"] == 4
    assert [r.get("masked") for r in body["results"]] == [2, 2, None, None]
    stored = dict(SurveyResponse.objects.values_list("external_id", "comment"))
    assert stored == {
        "a": "Rappelez-moi au [téléphone] ou [e-mail]",
        "b": "Remboursez [IBAN], carte [carte]",
        "c": "Commande n° 4578912 du 12/03/2026, 129,90 €, livrée au 75011",
    }


def test_a_duplicate_masks_nothing_and_counts_nothing(api, tree):
    api.post(URL, [response("a", comment=CALL_ME)])
    body = api.post(URL, [response("a", comment=CALL_ME)]).json()
    assert (body["duplicates"], body["masked"]) == (1, 0)


def test_the_respondent_is_stored_only_as_its_salted_hash(api, org, tree):
    r = api.post(URL, [response("a", respondent="cust-42"), response("b", respondent="cust-42"), response("c")])
    assert r.json()["created"] == 3
    salt = RespondentSalt.objects.get(organization=org).salt.encode()
    expected = hmac.new(salt, b"cust-42", hashlib.sha256).hexdigest()
    hashes = dict(SurveyResponse.objects.values_list("external_id", "respondent_hash"))
    assert hashes == {"a": expected, "b": expected, "c": ""}
    detail = api.get(f"{URL}a/").json()
    assert detail["respondent_hash"] == expected and "respondent" not in detail
    assert not SurveyResponse.objects.filter(respondent_hash="cust-42").exists()


def test_two_organizations_hash_one_respondent_differently(api, client, org, other_org, tree):
    make_tree(other_org)
    api.post(URL, response("a", respondent="cust-42"))
    Api(client, make_api_key(other_org)).post(URL, response("a", respondent="cust-42"))
    mine, theirs = (SurveyResponse.objects.get(organization=o).respondent_hash for o in (org, other_org))
    assert mine and theirs and mine != theirs


@pytest.mark.parametrize(("value", "message"), [(42, "Must be a string."), ("x" * 257, "At most 256 characters.")])
def test_a_bad_respondent_is_a_400(api, tree, value, message):
    r = api.post(URL, response(respondent=value))
    assert r.status_code == 400
    assert r.json() == {"respondent": [message]}


def test_a_csv_upload_masks_and_counts(client_for, admin, org, tree, eager_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    text = "\n".join(
        [
            "external_id,unit,responded_at,nps,comment,respondent",
            f'u-1,T1,2026-03-10T10:00:00+01:00,9,"{CALL_ME}",cust-1',
            'u-2,T1,2026-03-10T11:00:00+01:00,3,"Le 12/03 à 18h30, 49,90 €",',
        ]
    )
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("kpis:uploads", kwargs={"org": org.slug}),
            {"kind": "survey_responses", "file": SimpleUploadedFile("r.csv", text.encode(), content_type="text/csv")},
        )
    job = UploadJob.objects.for_org(org).get()
    assert (job.created, job.masked) == (2, 2)
    rows = dict(SurveyResponse.objects.values_list("external_id", "comment"))
    assert rows == {"u-1": "Rappelez-moi au [téléphone] ou [e-mail]", "u-2": "Le 12/03 à 18h30, 49,90 €"}
    assert SurveyResponse.objects.get(external_id="u-1").respondent_hash
    page = client.get(r.url)
    assert "2 adresses e-mail, numéros de téléphone, IBAN ou numéros de carte" in page.content.decode()
