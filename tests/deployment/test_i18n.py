"""The field screens and the team pages speak French: catalogue complete, French pages free of English."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from deployment.services import animation_create, observation_create

PO = Path(__file__).resolve().parents[2] / "deployment" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_french_catalogue_is_complete_and_not_fuzzy():
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    assert entries
    for entry in entries:
        assert "#, fuzzy" not in entry, entry
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', entry, flags=re.M)
        continuation = re.search(r'^msgstr(?:\[\d\])? ""\n"', entry, flags=re.M)
        assert strings and (all(strings) or continuation), f"untranslated: {entry}"


# English words of the screens that must not survive in French pages.
ENGLISH = [
    "Log an observation",
    "Not yet coached",
    "Coverage",
    "Latest level",
    "Who needs what",
    "Animations held",
    "Not observed",
    "Save the",
    "Mastery over time",
    "Delete",
    "Attendees",
]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        (None, {}),
        ("deployment:observation-create", {}),
        ("deployment:member-detail", {"code": "E0001"}),
        ("dashboards:team-detail", {"code": "T1"}),
        ("dashboards:team-list", {}),
        ("deployment:animation-create", {"code": "T1"}),
        ("deployment:observation-update", {"pk": "obs"}),
        ("deployment:observation-delete", {"pk": "obs"}),
        ("deployment:animation-update", {"pk": "anim"}),
        ("deployment:animation-delete", {"pk": "anim"}),
    ],
)
def test_pages_in_french_have_no_english_left(client, org, tree, members, manager, behaviors, recently, name, kwargs):
    obs = observation_create(
        org=org,
        member=members["lea"],
        observer=manager,
        observed_at=recently,
        kind="coaching",
        ratings={"accueil-1": 2},
        next_step="Sourire",
    )
    anim = animation_create(org=org, team=tree["T1"], held_by=manager, held_at=recently, kind="briefing")
    kwargs = {k: {"obs": obs.pk, "anim": anim.pk}.get(v, v) for k, v in kwargs.items()}
    url = (
        reverse("org-home", kwargs={"org": org.slug})
        if name is None
        else reverse(name, kwargs={"org": org.slug, **kwargs})
    )
    client.force_login(manager)
    client.cookies["cxtracker_language"] = "fr"
    response = client.get(url)
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1]
    for english in ENGLISH:
        assert english not in main, f"{english!r} left in {url}"
