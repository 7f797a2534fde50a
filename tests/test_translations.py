"""The French catalogues are complete: no UI string without its translation.

For each catalogue, ``makemessages`` runs on a copy of its sources (so that a string added to the
code but not yet extracted counts too) and the result must hold no empty or fuzzy translation.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_CATALOGUES = ["cxtracker/tenancy", "experience", "deployment", "kpis", "steering", "connectors", "dashboards"]
_IGNORE = shutil.ignore_patterns("__pycache__", "*.mo", "migrations")


def _copy_root_sources(dest: Path) -> None:
    """The root catalogue covers templates/ and the project package outside tenancy/."""
    shutil.copytree(ROOT / "templates", dest / "templates", ignore=_IGNORE)
    shutil.copytree(ROOT / "cxtracker", dest / "cxtracker", ignore=shutil.ignore_patterns("tenancy", "__pycache__"))
    shutil.copytree(ROOT / "locale", dest / "locale", ignore=_IGNORE)


def _untranslated(po_text: str) -> list[str]:
    """The msgids of entries whose translation is empty or fuzzy (the header excepted)."""
    problems = []
    # Django may glue the first entry to the header: split on each entry's first comment line too.
    for entry in re.split(r"\n(?:\n|(?=#: ))", po_text):
        ids = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if not ids or ids.group(1).strip() == '""':
            continue
        msgid = "".join(re.findall(r'"(.*)"', ids.group(1)))
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry, re.M)
        if "#, fuzzy" in entry or any(not "".join(re.findall(r'"(.*)"', s)) for s in strs):
            problems.append(msgid)
    return problems


@pytest.mark.parametrize("catalogue", ["root", *APP_CATALOGUES])
def test_french_catalogue_is_complete(catalogue, tmp_path):
    if catalogue == "root":
        _copy_root_sources(tmp_path)
    else:
        shutil.copytree(ROOT / catalogue, tmp_path, dirs_exist_ok=True, ignore=_IGNORE)
    assert (tmp_path / "locale/fr/LC_MESSAGES/django.po").exists(), f"{catalogue} has no French catalogue"
    # No settings: LOCALE_PATHS would send the extraction to the real root catalogue. -P: the
    # app's own selectors.py must not shadow the standard library's.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", "fr", "--no-obsolete", "-v0"],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    po_text = (tmp_path / "locale/fr/LC_MESSAGES/django.po").read_text()
    missing = _untranslated(po_text)
    assert not missing, f"{catalogue}: {len(missing)} strings without French translation: {missing[:10]}"
