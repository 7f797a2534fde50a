import pytest

from experience.services import experience_model_create_from_json

SAMPLE = {
    "name": "Expérience 2026",
    "description": "Le modèle de la transformation",
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil",
            "description": "Les premières secondes",
            "behaviors": [
                {
                    "code": "salue-30s",
                    "name": "Salue en moins de 30 s",
                    "guidance": {"1": "Ne salue pas", "2": "Salue parfois", "3": "Salue", "4": "Salue toujours"},
                },
                {"code": "sourit", "name": "Sourit"},
            ],
        },
        {
            "code": "conseil",
            "name": "Conseil",
            "behaviors": [{"code": "reformule", "name": "Reformule le besoin", "guidance": {"3": "Reformule"}}],
        },
    ],
}


def sample_data():
    """A fresh deep copy of SAMPLE, safe to mutate."""
    import copy

    return copy.deepcopy(SAMPLE)


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Assertions read English messages; the French catalogue is checked on its own."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def model_v1(org):
    return experience_model_create_from_json(org=org, data=sample_data(), activate=True)


@pytest.fixture
def admin_client(client_for, admin):
    return client_for(admin)


def url(name, org, **kwargs):
    from django.urls import reverse

    return reverse(f"experience:{name}", kwargs={"org": org.slug, **kwargs})
