"""The health check answers without a session, to GET and HEAD only."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_answers_ok_without_a_session(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_health_head_and_not_post(client):
    assert client.head(reverse("health")).status_code == 200
    assert client.post(reverse("health")).status_code == 405
