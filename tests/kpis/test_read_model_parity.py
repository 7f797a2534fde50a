"""The read API's answers, pinned: every answer of ``/api/v1/rates/``, ``/api/v1/kpis/``,
``/api/v1/analysis/lag/`` and ``/api/v1/reports/<code>/<period>/`` for two organizations, compared
with golden files, so that a refactor of the read path (the engine's reads, the protection of small
groups, the steering reports) can prove that it changed no figure.

The two organizations share one test database, the clock frozen at ``NOW``: the demo
(``seed_demo --teams-per-unit 2``), and one drawn from ``random.Random(SEED)`` and written through
the REST API (``_random_org``). Their snapshots are computed as ``seed_demo`` computes them.

Every answer is asked as an organization API key (an admin's integration: it sees small groups) and
as a logged-in executive (small groups suppressed); the reports also as a steering member (404 for
the stakeholders they are not in). Refusals and errors are recorded with their status: they are part
of the answer. Answers are canonicalized (sorted keys, floats to 9 significant digits) and compared
with ``tests/kpis/parity/<organization>.json.gz``. Nothing in these answers changes between runs:
they hold no generated timestamp or database id, the clock is frozen and the data drawn from fixed
seeds (regenerating from scratch writes the same bytes), so nothing else is normalized.

``PARITY_REGENERATE=1`` writes the golden files from the current code, then skips the test: a run
that regenerates has checked nothing, and says so.
"""

import calendar
import datetime
import gzip
import io
import json
import os
import random
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from cxtracker.tenancy.models import Organization, OrgUnit, Role
from tests.factories import make_membership, make_user

# --- The application internals this test needs, gathered here --------------------------------------
# Everything else goes through management commands, the HTTP interface and tests.factories. The read
# path's refactor moves these modules (kpis.recompute into kpis/engine/, kpis.services_steering and
# dashboards.reports into a steering app): update the imports here, nowhere else.


def snapshots_compute(org: Organization) -> None:
    """What seed_demo does once the data is written: mark the whole history, recompute what is marked."""
    from kpis.engine.marks import periods_mark_all
    from kpis.engine.recompute import recompute_org

    periods_mark_all(org=org)
    recompute_org(org=org)


def stakeholder_create(org: Organization, **fields) -> None:
    """The REST API lists stakeholders but does not create them."""
    from steering.services import stakeholder_create as create

    create(org=org, **fields)


def report_periods(org: Organization, code: str) -> list[str]:
    """Every period the stakeholder has a report for (what its page lists)."""
    from steering.models import Stakeholder
    from steering.reports.periods import periods_available

    stakeholder = Stakeholder.objects.get(organization=org, code=code)
    return [str(period) for period in periods_available(org, stakeholder)]


def breakdown_values(org: Organization) -> dict[str, list[str]]:
    """The journeys, segments, channels and triggers the organization's survey responses carry."""
    from kpis.models import SurveyResponse

    responses = SurveyResponse.objects.filter(organization=org)
    return {
        name: sorted(v for v in responses.order_by().values_list(name, flat=True).distinct() if v)
        for name in ("journey", "segment", "channel", "trigger")
    }


# --- What is asked -----------------------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "parity"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
LEVELS = ("team", "business_unit", "region", "organization")
# Months from before either organization's first figures (ask_everything checks it) to the current
# one: the random organization's members, written through the API, have figures from their first
# day, before its first observation. Weeks over the last few months (counted on demand).
MONTHS = (("from", "2024-04"), ("to", "2026-11"))
QUARTERS = (*MONTHS, ("period", "quarter"))
WEEKS = (("from", "2026-08"), ("to", "2026-11"), ("period", "week"))
# A level's rows (units × periods) come in pages of this size, so that the paging is pinned too; a
# single unit's rows in one page.
LEVEL_PAGE = ("page_size", "100")
UNIT_PAGE = ("page_size", "1000")
OTHER_MAX_LAG = "3"


@dataclass
class Reader:
    """A client of the read API: an API key, or a user's session."""

    name: str
    client: Client

    def get(self, path: str) -> tuple[int, object]:
        response = self.client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        return response.status_code, response.json()


def key_reader(key: str) -> Reader:
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return Reader("api-key", client)


def session_reader(name: str, user) -> Reader:
    client = Client()
    client.force_login(user)
    return Reader(name, client)


@dataclass
class OrgReaders:
    org: Organization
    key: Reader
    executive: Reader
    steering: Reader


def _path(endpoint: str, params) -> str:
    return f"/api/v1/{endpoint}/" + (f"?{urlencode(list(params))}" if params else "")


def _walk(reader: Reader, path: str, answers: dict) -> None:
    """Ask ``path`` and every page after it; each page is an answer of its own."""
    while path:
        status, body = reader.get(path)
        answers[f"{reader.name} GET {path}"] = {"status": status, "body": canonical(body)}
        following = body.get("next") if status == 200 and isinstance(body, dict) else None
        path = "" if following is None else urlsplit(following)._replace(scheme="", netloc="").geturl()


def _figure_requests(units: list[dict], breakdowns: dict[str, list[str]]) -> list[str]:
    """Every question to /rates/ and /kpis/: the defaults, each level, each unit, each breakdown
    value, a crossed filter, weeks, and two questions that are refused."""
    regions = [u["code"] for u in units if u["kind"] == "region"]
    team = next(u["code"] for u in units if u["kind"] == "team")
    paths = []
    for endpoint, kinds in (("rates", (MONTHS, QUARTERS)), ("kpis", (MONTHS, QUARTERS, WEEKS))):
        paths.append(_path(endpoint, ()))
        for level in LEVELS:
            paths += [_path(endpoint, [("level", level), *kind, LEVEL_PAGE]) for kind in kinds]
        for unit in units:
            paths += [_path(endpoint, [("unit", unit["code"]), *kind, UNIT_PAGE]) for kind in kinds]
        paths += [_path(endpoint, [("unit", r), ("level", "team"), *MONTHS, LEVEL_PAGE]) for r in regions]
        paths.append(_path(endpoint, [("unit", team), ("level", "region")]))
        paths.append(_path(endpoint, [("unit", "NO-SUCH-UNIT")]))
    for name, values in breakdowns.items():
        for value in values:
            paths += [_path("kpis", [("level", level), *MONTHS, (name, value), LEVEL_PAGE]) for level in LEVELS]
    crossed = [("journey", breakdowns["journey"][0]), ("trigger", "event")]
    paths += [_path("kpis", [("level", level), *MONTHS, *crossed, LEVEL_PAGE]) for level in LEVELS]
    paths.append(_path("kpis", [("level", "organization"), *WEEKS, *crossed]))
    return paths


def _lag_requests(metrics: list[str], region: str) -> list[str]:
    paths = []
    for outcome in ("nps", "csat", "ces", *metrics):
        paths.append(_path("analysis/lag", [("outcome", outcome)]))
        paths.append(_path("analysis/lag", [("outcome", outcome), ("max_lag", OTHER_MAX_LAG)]))
        paths.append(_path("analysis/lag", [("outcome", outcome), ("unit", region)]))
    return paths


def ask_everything(readers: OrgReaders) -> dict:
    """Every answer of the four read APIs for one organization, keyed by reader and request."""
    key = readers.key
    units = key.get(_path("units", [UNIT_PAGE]))[1]["results"]
    metrics = [m["code"] for m in key.get(_path("metrics", [UNIT_PAGE]))[1]["results"]]
    stakeholders = [s["code"] for s in key.get(_path("stakeholders", [UNIT_PAGE]))[1]["results"]]
    region = min(u["code"] for u in units if u["kind"] == "region")
    figures = _figure_requests(units, breakdown_values(readers.org)) + _lag_requests(metrics, region)
    reports = [
        f"/api/v1/reports/{code}/{period}/" for code in stakeholders for period in report_periods(readers.org, code)
    ]
    answers: dict = {}
    for reader in (readers.key, readers.executive):
        for path in figures + reports:
            _walk(reader, path, answers)
    for path in reports:
        _walk(readers.steering, path, answers)
    first = answers[f"api-key GET {_path('rates', [('level', 'organization'), *MONTHS, LEVEL_PAGE])}"]
    assert first["body"]["results"][0]["active_members"] is None, "MONTHS must start before the first figures"
    return answers


# --- Canonical answers and their comparison ------------------------------------------------------------


def canonical(value):
    """The answer with floats to 9 significant digits (keys are sorted when written)."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _text(value) -> str:
    """The JSON of a canonical answer: equal texts, equal answers (1 and 1.0 differ)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _golden_bytes(answers: dict) -> bytes:
    """One line per value (readable after gunzip), the same bytes for the same answers."""
    text = json.dumps(answers, sort_keys=True, ensure_ascii=False, indent=0)
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def _short(value) -> str:
    text = _text(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _label(item) -> str:
    """What a row of an answer is about (its unit, period, code or lag), to find it in the message."""
    if not isinstance(item, dict):
        return ""
    named = [f"{k}={item[k]}" for k in ("unit", "period", "code", "lag", "trigger") if item.get(k) is not None]
    return f"<{' '.join(named)}>" if named else ""


def _differences(golden, now, path: str, found: list, limit: int) -> None:
    """Up to ``limit`` places where ``now`` differs from ``golden`` (a type counts: 1 is not 1.0)."""
    if len(found) >= limit:
        return
    if isinstance(golden, dict) and isinstance(now, dict):
        for k in sorted(set(golden) | set(now)):
            if k not in now:
                found.append(f"{path}.{k}: gone (was {_short(golden[k])})")
            elif k not in golden:
                found.append(f"{path}.{k}: new ({_short(now[k])})")
            else:
                _differences(golden[k], now[k], f"{path}.{k}", found, limit)
    elif isinstance(golden, list) and isinstance(now, list):
        if len(golden) != len(now):
            found.append(f"{path}: {len(golden)} items, now {len(now)}")
        for i, (g, n) in enumerate(zip(golden, now, strict=False)):
            _differences(g, n, f"{path}[{i}]{_label(g)}", found, limit)
    elif type(golden) is not type(now) or golden != now:
        found.append(f"{path}: golden {_short(golden)}, now {_short(now)}")


def mismatch_report(name: str, golden: dict, now: dict, shown: int = 5) -> str:
    """'' when the answers are the golden ones; else which requests differ, the first few with a short diff."""
    gone = sorted(set(golden) - set(now))
    new = sorted(set(now) - set(golden))
    changed = sorted(k for k in set(golden) & set(now) if _text(golden[k]) != _text(now[k]))
    if not (gone or new or changed):
        return ""
    lines = [
        f"{name}: {len(changed)} of {len(golden)} answers changed, {len(gone)} requests no longer asked, "
        f"{len(new)} new (golden: {GOLDEN / f'{name}.json.gz'}; PARITY_REGENERATE=1 rewrites it)"
    ]
    for request in changed[:shown]:
        found: list = []
        _differences(golden[request], now[request], "", found, limit=4)
        lines.append(f"  {request}")
        lines += [f"    {line}" for line in found]
    lines += [f"  no longer asked: {request}" for request in gone[:shown]]
    lines += [f"  new: {request}" for request in new[:shown]]
    return "\n".join(lines)


# --- The demo -------------------------------------------------------------------------------------------


def demo_readers() -> OrgReaders:
    call_command("seed_demo", "--teams-per-unit", "2", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    users = get_user_model().objects
    return OrgReaders(
        org=org,
        key=key_reader(_api_key(org)),
        executive=session_reader("executive", users.get(email="direction@demo.cxtracker.test")),
        steering=session_reader("steering", users.get(email="copil@demo.cxtracker.test")),
    )


def _api_key(org: Organization) -> str:
    out = io.StringIO()
    call_command("create_api_key", org.slug, "--name", "parity", stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


# --- The random organization ----------------------------------------------------------------------------

SEED = 20261118
SLUG = "parite"
# The organization is set up before its history; version 2 of the experience model is activated in
# the middle of April 2026: the months before use version 1, April and after version 2.
SETUP_AT = datetime.datetime(2025, 9, 20, 9, 0, tzinfo=PARIS)
V2_AT = datetime.datetime(2026, 4, 9, 10, 0, tzinfo=PARIS)
HISTORY = [(2025, m) for m in range(10, 13)] + [(2026, m) for m in range(1, 12)]
SETTINGS = {"rate_weight": "0.6", "expected_animations_per_month": "3", "min_sample_size": "20", "min_group_size": "5"}

MODEL_V1 = {
    "name": "Parcours 2025",
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil",
            "behaviors": [
                {"code": "salue", "name": "Salue en moins de 30 s"},
                {"code": "sourit", "name": "Sourit"},
                {"code": "regard", "name": "Regarde le client"},
            ],
        },
        {
            "code": "conseil",
            "name": "Conseil",
            "behaviors": [
                {"code": "ecoute", "name": "Écoute sans interrompre"},
                {"code": "reformule", "name": "Reformule le besoin"},
                {"code": "propose", "name": "Propose une solution"},
            ],
        },
        {"code": "conclusion", "name": "Conclusion", "behaviors": [{"code": "remercie", "name": "Remercie"}]},
    ],
}
# Version 2: a dimension renamed, a behavior dropped, two new ones (levels carry over by code).
MODEL_V2 = {
    "name": "Parcours 2026",
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil chaleureux",
            "behaviors": [{"code": "salue", "name": "Salue en moins de 30 s"}, {"code": "sourit", "name": "Sourit"}],
        },
        {
            "code": "conseil",
            "name": "Conseil",
            "behaviors": [
                {"code": "ecoute", "name": "Écoute sans interrompre"},
                {"code": "reformule", "name": "Reformule le besoin"},
                {"code": "propose", "name": "Propose une solution"},
                {"code": "deux-solutions", "name": "Propose deux solutions"},
            ],
        },
        {
            "code": "conclusion",
            "name": "Conclusion",
            "behaviors": [{"code": "remercie", "name": "Remercie"}, {"code": "fidelise", "name": "Parle du programme"}],
        },
    ],
}
JOURNEYS = ("achat", "sav", "retour")
SEGMENTS = ("nouveau", "fidele", "vip")
CHANNELS = ("magasin", "telephone", "web")
FIRST_NAMES = "Léa Hugo Inès Paul Jade Louis Zoé Adam Rose Noah Lina Tom Mila Jules Anna Théo".split()
LAST_NAMES = "Martin Bernard Petit Roux Moreau Simon Laurent Michel Garcia Faure Blanc Perrin".split()


def _behaviors(model: dict) -> list[str]:
    return [b["code"] for d in model["dimensions"] for b in d["behaviors"]]


def _moment(year: int, month: int, day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


class Writer:
    """The REST API as a client pushing data: every item must be stored."""

    def __init__(self, key: str):
        self.client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_ACCEPT_LANGUAGE="en")

    def send(self, method: str, path: str, body: dict | list) -> None:
        """One object, or a list sent in bulks of the API's largest size."""
        if isinstance(body, dict):
            self._send(method, path, body)
            return
        for start in range(0, len(body), 1000):
            answer = self._send(method, path, body[start : start + 1000])
            assert answer["rejected"] == 0, (path, [r for r in answer["results"] if r["status"] == "rejected"][:3])

    def _send(self, method: str, path: str, body: dict | list) -> dict:
        response = getattr(self.client, method)(path, json.dumps(body), content_type="application/json")
        assert response.status_code in (200, 201), (path, response.status_code, response.content[:500])
        return response.json()


@dataclass
class Person:
    code: str
    team: str
    active_from: datetime.date
    active_to: datetime.date | None
    skill: float  # level reached at the start of the history, before coaching
    growth: float  # levels gained a month

    def active_on(self, day: datetime.date) -> bool:
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)


def _random_org() -> OrgReaders:
    """An organization drawn from ``SEED`` and written the way clients write: the commands for the
    organization and its key, the settings page, the REST API for the tree, people, experience model,
    field data, surveys, metric values and action plans; factories for users; the service for
    stakeholders (no API creates them). The small team (3 members), the empty team, the team that
    falls under the minimum group size when a member leaves, the joiners, leavers, the move, the future
    joiner and the two model versions give the read path its edge cases."""
    rng = random.Random(SEED)
    with time_machine.travel(SETUP_AT, tick=False):
        call_command("create_organization", SLUG, "Parité Retail", stdout=io.StringIO())
        org = Organization.objects.get(slug=SLUG)
        key = _api_key(org)
        writer = Writer(key)
        users = _users(org, rng)
        admin = Client()
        admin.force_login(users["admin"])
        response = admin.post(
            f"/o/{SLUG}/setup/settings/", {"name": org.name, "timezone": "Europe/Paris", "language": "fr", **SETTINGS}
        )
        assert response.status_code == 302, response.content[:500]
        org.refresh_from_db()  # the snapshots are computed with the settings just saved
        teams, managers = _tree(org, writer, rng)
        people = _people(teams, rng)
        writer.send("post", "/api/v1/experience-models/", {**MODEL_V1, "activate": True})
        writer.send(
            "post",
            "/api/v1/members/",
            [
                {"code": p.code, "name": _name(rng), "team": p.team, "active_from": p.active_from.isoformat()}
                for p in people
            ],
        )
    observations, animations = _field(teams, people, managers, rng)
    before = {
        "/api/v1/observations/": [o for o in observations if _before_v2(o["observed_at"])],
        "/api/v1/animations/": [a for a in animations if _before_v2(a["held_at"])],
    }
    after = {
        "/api/v1/observations/": [o for o in observations if not _before_v2(o["observed_at"])],
        "/api/v1/animations/": [a for a in animations if not _before_v2(a["held_at"])],
    }
    # What happened before version 2 is recorded while version 1 is active, the rest after.
    with time_machine.travel(V2_AT - datetime.timedelta(minutes=1), tick=False):
        for path, items in before.items():
            writer.send("post", path, items)
    with time_machine.travel(V2_AT, tick=False):
        writer.send("post", "/api/v1/experience-models/", {**MODEL_V2, "activate": True})
    for path, items in after.items():
        writer.send("post", path, items)
    _people_changes(writer, people, teams, rng)
    writer.send("post", "/api/v1/survey-responses/", _surveys(teams, people, rng))
    writer.send("post", "/api/v1/metric-values/", _metric_values(teams, rng))
    _steering(org, writer, teams, users)
    snapshots_compute(org)
    return OrgReaders(
        org=org,
        key=key_reader(key),
        executive=session_reader("executive", users["executive"]),
        steering=session_reader("steering", users["copil"]),
    )


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _users(org: Organization, rng: random.Random) -> dict:
    users = {}
    for name, role in (
        ("admin", Role.ADMIN),
        ("executive", Role.EXECUTIVE),
        ("copil", Role.STEERING),
        ("nord", Role.STEERING),
    ):
        users[name] = make_user(f"{name}@{SLUG}.example.com", first_name=rng.choice(FIRST_NAMES))
        make_membership(users[name], org, role)
    return users


def _tree(org: Organization, writer: Writer, rng: random.Random) -> tuple[list[dict], dict]:
    """2–3 regions of 1–2 business units, 12 teams dealt round the business units; a manager per
    business unit (scoped to it). Teams carry what the draw decides: size, coaching, base NPS."""
    regions = [f"R{i}" for i in range(1, rng.randint(2, 3) + 1)]
    units = [{"code": r, "name": f"Région {r}", "kind": "region", "parent": None} for r in regions]
    bus = []
    for region in regions:
        for j in range(1, rng.randint(1, 2) + 1):
            bus.append(f"BU-{region}-{j}")
            units.append({"code": bus[-1], "name": f"Secteur {region}.{j}", "kind": "business_unit", "parent": region})
    teams = []
    for i in range(12):
        bu = bus[i % len(bus)]
        code = f"T{i + 1:02d}"
        units.append({"code": code, "name": f"Équipe {i + 1}", "kind": "team", "parent": bu})
        # The first team never has a member, the second has 3, the third 5 until one leaves.
        size = (0, 3, 5)[i] if i < 3 else rng.randint(5, 12)
        teams.append(
            {
                "code": code,
                "bu": bu,
                "size": size,
                "coaching": rng.uniform(0.25, 0.9),
                "nps": rng.uniform(-10, 40),
                "animations": rng.randint(0, 5),
            }
        )
    for level in ("region", "business_unit", "team"):
        writer.send("post", "/api/v1/units/", [u for u in units if u["kind"] == level])
    managers = {}
    for bu in bus:
        managers[bu] = make_user(f"manager.{bu.lower()}@{SLUG}.example.com")
        make_membership(managers[bu], org, Role.MANAGER, units=[OrgUnit.objects.get(organization=org, code=bu)])
    return teams, {bu: user.email for bu, user in managers.items()}


def _people(teams: list[dict], rng: random.Random) -> list[Person]:
    people = []
    for team in teams:
        for i in range(team["size"]):
            if rng.random() < 0.15:  # joined during the history
                active_from = datetime.date(2025, 10, 1) + datetime.timedelta(days=rng.randint(10, 330))
            else:
                active_from = datetime.date(2024, 6, 1) + datetime.timedelta(days=rng.randint(0, 480))
            people.append(
                Person(
                    code=f"P{len(people) + 1:04d}",
                    team=team["code"],
                    active_from=active_from,
                    active_to=None,
                    skill=rng.uniform(0.0, 1.5),
                    growth=rng.uniform(0.0, 0.25) * team["coaching"],
                )
            )
            if team["code"] == "T03" and i == 0:
                # The team falls to 4 members in June 2026: hidden from then on.
                people[-1].active_from, people[-1].active_to = datetime.date(2024, 9, 1), datetime.date(2026, 6, 12)
            elif team["size"] > 5 and rng.random() < 0.1:
                people[-1].active_to = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 290))
    return people


def _days(year: int, month: int) -> list[datetime.date]:
    last = calendar.monthrange(year, month)[1]
    days = [datetime.date(year, month, d) for d in range(1, last + 1)]
    return [d for d in days if d < NOW.date()]


def _before_v2(moment: str) -> bool:
    return datetime.datetime.fromisoformat(moment) < V2_AT


def _version(moment: datetime.datetime) -> dict:
    return MODEL_V1 if moment < V2_AT else MODEL_V2


def _field(
    teams: list[dict], people: list[Person], managers: dict, rng: random.Random
) -> tuple[list[dict], list[dict]]:
    """Observations (levels growing with the months coached) and animations of every month."""
    observations, animations = [], []
    for index, (year, month) in enumerate(HISTORY):
        days = _days(year, month)
        for team in teams:
            members = [p for p in people if p.team == team["code"]]
            for person in members:
                active = [d for d in days if person.active_on(d)]
                for _i in range(2 if rng.random() < 0.2 else 1):
                    if not active or rng.random() > team["coaching"]:
                        continue
                    day = rng.choice(active)
                    when = _moment(day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59))
                    rated = rng.sample(_behaviors(_version(when)), rng.randint(1, 4))
                    base = person.skill + person.growth * index
                    observations.append(
                        {
                            "external_id": f"obs-{len(observations) + 1}",
                            "member": person.code,
                            "observer": managers[team["bu"]],
                            "observed_at": when.isoformat(),
                            "kind": rng.choice(("observation", "coaching")),
                            "ratings": [
                                {"behavior": b, "level": max(1, min(4, round(1 + base + rng.gauss(0, 0.6))))}
                                for b in rated
                            ],
                        }
                    )
            for _i in range(max(0, team["animations"] + rng.randint(-2, 1))):
                day = rng.choice(days)
                when = _moment(day.year, day.month, day.day, rng.randint(7, 9), 30)
                present = [p.code for p in members if p.active_on(day)]
                dimensions = [d["code"] for d in _version(when)["dimensions"]]
                animations.append(
                    {
                        "external_id": f"anim-{len(animations) + 1}",
                        "team": team["code"],
                        "held_by": managers[team["bu"]],
                        "held_at": when.isoformat(),
                        "kind": rng.choice(("briefing", "challenge", "training", "ritual")),
                        "attendees": rng.sample(present, min(len(present), rng.randint(0, 6))),
                        "dimensions": rng.sample(dimensions, rng.randint(0, 2)),
                    }
                )
    return observations, animations


def _people_changes(writer: Writer, people: list[Person], teams: list[dict], rng: random.Random) -> None:
    """Leavers, a move between teams, a joiner who starts next month."""
    for person in people:
        if person.active_to is not None:
            writer.send("patch", f"/api/v1/members/{person.code}/", {"active_to": person.active_to.isoformat()})
    movers = [p for p in people if p.team == teams[5]["code"] and p.active_to is None]
    writer.send("patch", f"/api/v1/members/{movers[0].code}/", {"team": teams[6]["code"]})
    writer.send(
        "post",
        "/api/v1/members/",
        {"code": "P9999", "name": _name(rng), "team": teams[3]["code"], "active_from": "2026-12-01"},
    )


def _surveys(teams: list[dict], people: list[Person], rng: random.Random) -> list[dict]:
    """Responses every team and month (a few for the empty team), NPS following the team's mean
    level a month before; every breakdown drawn, some left blank."""
    responses = []
    for index, (year, month) in enumerate(HISTORY):
        days = _days(year, month)
        for team in teams:
            staff = [p for p in people if p.team == team["code"]]
            mastery = sum(p.skill + p.growth * max(0, index - 1) for p in staff) / len(staff) if staff else 0.0
            promoter = min(0.9, max(0.05, 0.3 + team["nps"] / 200 + 0.12 * mastery))
            for _i in range(rng.randint(8, 45) if staff else rng.randint(0, 8)):
                day = rng.choice(days)
                when = _moment(day.year, day.month, day.day, rng.randint(9, 19), rng.randint(0, 59))
                draw = rng.random()
                nps = rng.randint(9, 10) if draw < promoter else rng.randint(7, 8) if draw < 0.8 else rng.randint(0, 6)
                item = {
                    "external_id": f"resp-{len(responses) + 1}",
                    "unit": team["code"],
                    "responded_at": when.isoformat(),
                    "trigger": rng.choice(("event", "event", "periodic")),
                    "journey": rng.choice((*JOURNEYS, "")),
                    "segment": rng.choice(SEGMENTS),
                    "channel": rng.choice(CHANNELS),
                }
                if rng.random() < 0.9:
                    item["nps"] = nps
                if rng.random() < 0.7 or "nps" not in item:
                    item["csat"] = max(1, min(5, round(nps / 2.5 + rng.gauss(0, 0.8))))
                if rng.random() < 0.5:
                    item["ces"] = rng.randint(1, 7)
                if rng.random() < 0.3:
                    item["aspects"] = {"accueil": rng.randint(1, 5), "conseil": rng.randint(1, 5)}
                    item["comment"] = rng.choice(("Très bon accueil", "Attente trop longue", "Conseil utile"))
                responses.append(item)
    return responses


def _metric_values(teams: list[dict], rng: random.Random) -> list[dict]:
    """Revenue and contacts of every team (not the empty one) and month; the first region's own
    revenue, which its stakeholder's reports read instead of its teams' mean."""
    values = []
    for year, month in HISTORY:
        period = f"{year}-{month:02d}"
        for team in teams[1:]:
            values.append(
                {"metric": "revenue", "unit": team["code"], "period": period, "value": round(rng.uniform(8e4, 3e5), 2)}
            )
            values.append(
                {"metric": "contacts", "unit": team["code"], "period": period, "value": rng.randint(200, 900)}
            )
        values.append({"metric": "revenue", "unit": "R1", "period": period, "value": 1.5e6 + month * 1e4})
    return values


def _steering(org: Organization, writer: Writer, teams: list[dict], users: dict) -> None:
    """Action plans done, open, overdue and dropped; stakeholders for the whole organization, for a
    region, and for a small team with a business unit (a union of units, hidden from the readers above
    the managers as the small team is)."""
    owner = users["admin"].email

    def plan(external_id, title, unit, kpi, status, start_on, due_on, dimension="", done_on=None) -> dict:
        return {
            "external_id": external_id,
            "title": title,
            "unit": unit,
            "owner": owner,
            "target_kpi": kpi,
            "target_dimension": dimension,
            "status": status,
            "start_on": start_on,
            "due_on": due_on,
            "done_on": done_on,
        }

    t = [team["code"] for team in teams]
    plans = [
        plan("plan-done", "Accueil", t[4], "nps", "done", "2026-02-01", "2026-05-31", done_on="2026-05-20"),
        plan("plan-open", "Conseil", t[5], "transformation_rate", "in_progress", "2026-09-01", "2027-01-31", "conseil"),
        plan("plan-late", "Rappel SAV", t[6], "csat.journey=sav", "planned", "2026-06-01", "2026-10-15"),
        plan("plan-late-region", "Panier", "R1", "revenue", "in_progress", "2026-03-01", "2026-09-30"),
        plan("plan-dropped", "Fidélité", t[7], "nps.segment=vip", "dropped", "2026-01-10", "2026-04-30"),
    ]
    writer.send("post", "/api/v1/action-plans/", plans)
    stakeholder_create(
        org,
        code="comite",
        name="Comité de pilotage",
        users=[users["copil"]],
        frequency="monthly",
        flagship_kpi="nps",
        kpis_for_action=["transformation_rate", "nps.journey=achat", "csat"],
        kpis_for_information=["deployment_rate", "ces", "revenue", "contacts"],
    )
    stakeholder_create(
        org,
        code="region-1",
        name="Région R1",
        users=[users["nord"]],
        units=[OrgUnit.objects.get(organization=org, code="R1")],
        frequency="quarterly",
        flagship_kpi="csat",
        kpis_for_action=["deployment_rate", "nps.trigger=event"],
        kpis_for_information=["nps", "revenue", "transformation_rate"],
    )
    stakeholder_create(
        org,
        code="equipes",
        name="Équipes suivies",
        units=[OrgUnit.objects.get(organization=org, code=code) for code in (teams[1]["code"], teams[0]["bu"])],
        frequency="monthly",
        flagship_kpi="transformation_rate",
        kpis_for_action=["deployment_rate", "revenue"],
        kpis_for_information=["nps", "ces.channel=web"],
    )


# --- The test ---------------------------------------------------------------------------------------------


# Ids start at 1, as in the run that wrote the golden files: a unit's path (and so the order of the
# units, and of the demo's random draws over its teams) is made of ids.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_read_answers_match_the_golden_files(settings):
    # Thousands of questions inside one frozen minute: no throttling; and no cached answer or debounce
    # key of an earlier run (the cache outlives the test database).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": None}}
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        organizations = {"demo": demo_readers(), "random": _random_org()}
        answers = {name: ask_everything(readers) for name, readers in organizations.items()}
    if os.environ.get("PARITY_REGENERATE") == "1":
        GOLDEN.mkdir(exist_ok=True)
        for name, org_answers in answers.items():
            (GOLDEN / f"{name}.json.gz").write_bytes(_golden_bytes(org_answers))
        pytest.skip(f"PARITY_REGENERATE=1: golden files written to {GOLDEN}, nothing compared")
    reports = []
    for name, org_answers in answers.items():
        path = GOLDEN / f"{name}.json.gz"
        if not path.exists():
            pytest.fail(f"No golden file {path}: write it with PARITY_REGENERATE=1.")
        reports.append(mismatch_report(name, json.loads(gzip.decompress(path.read_bytes())), org_answers))
    problems = "\n".join(r for r in reports if r)
    assert not problems, "The read API's answers changed:\n" + problems
