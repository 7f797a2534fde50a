"""French typography of the catalogues: a no-break space (U+00A0, or the narrow U+202F)
before ":", ";", "?" and "!" in every French translation, so that the mark never starts a line.
Markup, placeholders and code (<code>…</code>, %(name)s, URLs, 10:00) are left alone. Straight
and typographic apostrophes are both French: the check leaves them be."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/fr/LC_MESSAGES/django.po") if ".venv" not in p.parts)
# What typography does not apply to: markup, code, placeholders, URLs, entities.
_PROTECTED = re.compile(r"<code>.*?</code>|<[^>]+>|https?://\S+|%\([a-z_]+\)[sdf]|\{\{.*?\}\}|&[a-z]+;")
_BAD_SPACE = re.compile(r"(?: |(?<=[\w»)”’.…]))[:;?!](?=\s|$)")


def _translations(path: Path):
    """(msgid, msgstr) of every live entry (fuzzy ones are not used)."""
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        if block.lstrip().startswith("#~") or "#, fuzzy" in block:
            continue
        msgid = "".join(re.findall(r'"(.*)"', (re.search(r'^msgid ((?:".*"\n?)+)', block, re.M) or [""])[0]))
        for strs in re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M):
            msgstr = "".join(re.findall(r'"(.*)"', strs))
            if msgid and msgstr:
                yield msgid, msgstr


def _problems(text: str) -> list[str]:
    plain = _PROTECTED.sub(" ", text)
    problems = []
    if _BAD_SPACE.search(plain):
        problems.append("space before : ; ? !")
    return problems


def test_the_checker_knows_good_from_bad():
    assert _problems("Ce mois-ci\u202f: %(month)s") == []
    assert _problems("Ce mois-ci\u00a0: %(month)s") == []
    assert _problems("Ce mois-ci : %(month)s") == ["space before : ; ? !"]
    assert _problems("Mot de passe oublié?") == ["space before : ; ? !"]
    assert _problems("Indiquez le décalage (+01:00) <code>Authorization: Api-Key</code>") == []
    assert _problems("?org= et https://example.com/a:b") == []


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT).parts[0]))
def test_french_translations_follow_french_typography(catalogue):
    bad = [(msgid, msgstr, _problems(msgstr)) for msgid, msgstr in _translations(catalogue) if _problems(msgstr)]
    assert not bad, f"{len(bad)} entries: {bad[:5]}"
