import pytest
from django.urls import reverse


@pytest.fixture
def setup_url(org):
    """``setup_url("tenancy:unit-list", code=...)``: a setup URL of ``org``."""

    def _url(name, **kwargs):
        return reverse(name, kwargs={"org": org.slug, **kwargs})

    return _url


@pytest.fixture(autouse=True)
def _english(client, settings):
    """The assertions read the English messages; the organization's default language is French,
    and lazy messages read after the response fall back on LANGUAGE_CODE."""
    settings.LANGUAGE_CODE = "en"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
