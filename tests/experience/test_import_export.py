"""JSON export and import through the browser."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from experience.models import Behavior, Dimension, ExperienceModel
from experience.selectors import active_model
from experience.services import journey_create
from tests.experience.conftest import sample_data, url


def test_export_downloads_the_version_as_a_json_attachment(admin_client, org, model_v1):
    response = admin_client.get(url("model-export", org, model_pk=model_v1.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == 'attachment; filename="experience-2026-v1.json"'
    assert json.loads(response.content) == sample_data()


def test_export_then_import_gives_an_identical_structure(admin_client, org, model_v1):
    journey = journey_create(org=org, code="achat", name="Achat")
    model_v1.dimensions.get(code="conseil").journeys.add(journey)
    exported = admin_client.get(url("model-export", org, model_pk=model_v1.pk)).content
    upload = SimpleUploadedFile("model.json", exported, content_type="application/json")

    response = admin_client.post(url("model-import", org), {"file": upload})

    imported = ExperienceModel.objects.get(version=2)
    assert response.url == url("model-detail", org, model_pk=imported.pk)
    assert imported.is_active is False
    again = admin_client.get(url("model-export", org, model_pk=imported.pk)).content
    assert json.loads(again) == json.loads(exported)
    assert json.loads(again)["dimensions"][1]["journeys"] == ["achat"]


def test_pasted_json_with_activate_now_becomes_the_active_version(admin_client, org, model_v1):
    data = sample_data()
    data["name"] = "Expérience 2027"
    response = admin_client.post(url("model-import", org), {"text": json.dumps(data), "activate": "on"})
    assert response.status_code == 302
    assert active_model(org=org).name == "Expérience 2027"


def _assert_nothing_written(org):
    assert ExperienceModel.objects.for_org(org).count() == 1
    assert Dimension.objects.for_org(org).count() == 2
    assert Behavior.objects.for_org(org).count() == 3


def test_invalid_json_is_a_form_error(admin_client, org, model_v1):
    response = admin_client.post(url("model-import", org), {"text": '{"name": "x", '})
    assert response.status_code == 400
    assert "This is not valid JSON (line 1, column" in response.content.decode()
    _assert_nothing_written(org)


def test_a_file_that_is_not_utf8_is_a_form_error(admin_client, org, model_v1):
    upload = SimpleUploadedFile("model.json", b"\xff\xfe\x00garbage")
    response = admin_client.post(url("model-import", org), {"file": upload})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    _assert_nothing_written(org)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["dimensions"][1]["behaviors"][0].update(code="sourit"),
            "dimensions[1].behaviors[0].code: Behavior code “sourit” is used twice in the model.",
        ),
        (lambda d: d.pop("name"), "name: This field is required."),
        (lambda d: d.update(dimensions=[]), "dimensions: A model needs at least one dimension"),
        (lambda d: d["dimensions"][0].update(colour="red"), "dimensions[0].colour: Unknown key."),
    ],
)
def test_invalid_structure_lists_the_errors_and_writes_nothing(admin_client, org, model_v1, mutate, message):
    data = sample_data()
    mutate(data)
    response = admin_client.post(url("model-import", org), {"text": json.dumps(data), "activate": "on"})
    assert response.status_code == 400
    assert message in response.content.decode()
    _assert_nothing_written(org)
    assert active_model(org=org) == model_v1


def test_empty_form_asks_for_a_file_or_json(admin_client, org):
    response = admin_client.post(url("model-import", org), {})
    assert response.status_code == 400
    assert "Choose a JSON file or paste the JSON." in response.content.decode()
