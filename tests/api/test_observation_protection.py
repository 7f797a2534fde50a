"""/api/v1/observations/ holds individual ratings: through a browser session it answers 403 to the
roles that do not see individuals (executives, steering), list and detail alike (an empty list
would read as "no observation"); the team's manager and admins read it; API keys, the admins'
integrations, are unchanged."""

import pytest

from tests.api.test_observations import URL, observation
from tests.factories import make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["executive", "steering"])
def test_executive_and_steering_sessions_get_403_on_observations(api, session_api, org, field, role):
    assert api.post(URL, observation(external_id="lea-1")).status_code == 201
    user = make_user(f"{role}@x.example.com")
    make_membership(user, org, role)
    client = session_api(user)
    for path in (URL, URL + "lea-1/", URL + "missing/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "Your role does not give access to individual observations."}
        assert "E0001" not in response.content.decode()


def test_the_team_manager_an_admin_and_a_key_read_the_observation(api, session_api, org, field, manager, admin):
    assert api.post(URL, observation(external_id="lea-1")).status_code == 201
    for client in (session_api(manager), session_api(admin), api):
        rows = client.get(URL).json()["results"]
        assert [(o["external_id"], o["member"]) for o in rows] == [("lea-1", "E0001")]
        detail = client.get(URL + "lea-1/").json()
        assert detail["ratings"] == [{"behavior": "salue-30s", "level": 3}, {"behavior": "reformule", "level": 2}]


def test_animations_stay_readable_by_executives(session_api, org, field, executive):
    # Team-level records: who attended an animation is not anyone's level.
    assert session_api(executive).get("/api/v1/animations/").status_code == 200
