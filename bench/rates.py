"""Rate engine benchmark: the SPEC §7 target tenant, its 12-month recompute against one SQL query.

    DATABASE_URL=postgres://... python bench/rates.py              # build, measure, drop (minutes)
    DATABASE_URL=postgres://... python bench/rates.py --keep       # keep the tenant; reuse it next time
    DATABASE_URL=postgres://... python bench/rates.py --scale 0.1  # a tenth of everything, quick

Builds, with ``COPY`` into the Django models' tables (rows streamed from generators, so memory stays
flat), an organization of SPEC §7's size: 10 regions, 50 business units, 1,000 teams, 10,000 members
(a few joining or leaving during the year), one active experience model of 25 behaviors in 5
dimensions, a year of 240,000 observations with 25 ratings each (6 million ratings whose levels rise
over the year; ties on ``observed_at``, observations at 23:30 UTC on a month's last day), about 4
animations per team and month, and 2 million survey responses. Then it times:

(a) the full 12-month recompute through the project's own code, ``kpis.engine.recompute.snapshots_recompute``,
    in a fresh process, with its peak memory (RSS growth; a second run under tracemalloc for the
    Python allocations);
(b) one hand-written SQL query computing the same team transformation rates for the 12 months,
    timed before and after (a) (the machine's load comes and goes; (a) is compared with the mean),
    and checks that the snapshots of (a) hold exactly the same figures;
(c) the incremental recompute (``recompute_org``, the debounced task's work) after one new
    observation made through ``deployment.services.observation_create``: one on the last day of
    the year's first month (its ratings move that month and the next for one team, and every
    later month is marked: the worst case) and one in the last month; the figures are checked
    against the SQL again.

It prints, last, ``ratio full/sql``, ``incremental`` (the worst case) and ``peak memory``. Targets:
ratio ≤ 1.5, incremental < 2 s, peak memory < 1 GiB. The organization is removed at the end (with
SQL, table by table: the ORM cascade over 6 million rows takes far too long) unless ``--keep``.
"""

import argparse
import contextlib
import datetime
import json
import math
import os
import random
import resource
import secrets
import signal
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TZ_NAME = "Europe/Paris"
UTC = datetime.UTC

# SPEC §7 at scale 1.
REGIONS, BUSINESS_UNITS, TEAMS, MEMBERS = 10, 50, 1_000, 10_000
DIMENSIONS, BEHAVIORS_PER_DIMENSION = 5, 5
OBSERVATIONS, SURVEY_RESPONSES = 240_000, 2_000_000
ANIMATIONS_PER_TEAM_MONTH = (2, 3, 3, 4, 4, 4, 5, 5, 6)  # mean 4
MONTHS = 12
BATCH = 5_000  # COPY lines per write
NULL = "\\N"  # COPY's text format


def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxtracker.settings")
    import django

    django.setup()


def _mib(kib: int) -> float:
    return kib / 1024  # ru_maxrss is in KiB on Linux


# ---------------------------------------------------------------------------------------------
# COPY helpers


def _columns(model, *fields: str) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _copy(cur, model, fields: tuple[str, ...], lines) -> int:
    """Stream ``lines`` (COPY text rows, values in the order of ``fields``) into the model's table."""
    count, batch = 0, []
    sql = f"COPY {model._meta.db_table} ({', '.join(_columns(model, *fields))}) FROM STDIN"
    with cur.copy(sql) as copy:
        for line in lines:
            batch.append(line)
            if len(batch) >= BATCH:
                copy.write("".join(batch))
                count += len(batch)
                batch.clear()
        if batch:
            copy.write("".join(batch))
            count += len(batch)
    return count


def _reserve_ids(model, n: int) -> int:
    """Take ``n`` consecutive ids from the table's identity sequence; the first of them.

    The rows are written with their ids so that children can point at parents without reading
    anything back. Nobody else can take an id of the block: the sequence moves past it at once.
    """
    from django.db import connection, transaction

    table, pk = model._meta.db_table, model._meta.pk.column
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        sequence = cur.fetchone()[0]
        cur.execute("SELECT nextval(%s)", [sequence])
        first = cur.fetchone()[0]
        if n > 1:
            cur.execute("SELECT setval(%s, %s)", [sequence, first + n - 1])
    return first


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _ts(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@contextlib.contextmanager
def _loading():
    """A transaction and a psycopg cursor for COPY.

    As a superuser, the foreign-key triggers are off for the load (``session_replication_role``):
    checking 6 million ratings row by row more than doubles the build. ``_check_references`` checks
    the same references afterwards, set-based. Unique and check constraints apply as always.
    """
    from django.db import connection, transaction

    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                cur.execute("SET LOCAL session_replication_role = replica")
            yield cur


def _check_references(org_id: int, models) -> None:
    """Every foreign key of the tenant's rows points at a row (the load skipped the triggers)."""
    from django.db import connection

    with connection.cursor() as cur:
        for model in models:
            table = model._meta.db_table
            for f in model._meta.concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model._meta
                cur.execute(
                    f"SELECT count(*) FROM {table} t WHERE t.organization_id = %s AND t.{f.column} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {target.db_table} x WHERE x.{target.pk.column} = t.{f.column})",
                    [org_id],
                )
                if orphans := cur.fetchone()[0]:
                    raise SystemExit(f"{table}.{f.column}: {orphans} rows point at nothing")


# ---------------------------------------------------------------------------------------------
# The tenant


class Plan:
    """What to build at a given scale, and the year it covers."""

    def __init__(self, scale: float, first):
        self.scale = scale
        self.regions = max(1, round(REGIONS * scale))
        self.business_units = max(self.regions, round(BUSINESS_UNITS * scale))
        self.teams = max(self.business_units, round(TEAMS * scale))
        self.members = max(self.teams, round(MEMBERS * scale))
        self.observations = round(OBSERVATIONS * scale)
        self.survey_responses = round(SURVEY_RESPONSES * scale)
        self.first = first
        self.last = first.shift(MONTHS - 1)
        self.months = [first.shift(k) for k in range(MONTHS)]


def _slug(scale: float) -> str:
    return "bench-rates-" + f"{scale:g}".replace(".", "-")


def _build(plan: Plan, slug: str, seed: int):
    """Create the organization and COPY its year in; the organization."""
    from django.db import connection

    from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
    from deployment.models import Animation, AnimationKind, Observation, ObservationKind, Rating
    from experience import models as experience_models
    from experience.models import Behavior, Dimension, ExperienceModel
    from kpis.ingest import SURVEY_RESPONSE_FIELDS
    from kpis.models import SurveyResponse

    rng = random.Random(seed)
    tz = zoneinfo.ZoneInfo(TZ_NAME)
    now = datetime.datetime.now(UTC)
    created = _ts(now)
    year_start, _ = plan.first.bounds(tz)
    _, year_end = plan.last.bounds(tz)
    org = Organization.objects.create(slug=slug, name=f"Benchmark rates {plan.first}…{plan.last}", timezone=TZ_NAME)
    o = org.pk
    started = time.perf_counter()

    def step(what: str, count: int, since: float):
        print(f"  {what:<28} {count:>10,}  {time.perf_counter() - since:6.1f} s", flush=True)

    # Org tree: regions → business units → teams, with the materialized paths the services keep.
    t0 = time.perf_counter()
    n_units = plan.regions + plan.business_units + plan.teams
    unit0 = _reserve_ids(OrgUnit, n_units)
    region_ids = list(range(unit0, unit0 + plan.regions))
    bu_ids = list(range(region_ids[-1] + 1, region_ids[-1] + 1 + plan.business_units))
    team_ids = list(range(bu_ids[-1] + 1, bu_ids[-1] + 1 + plan.teams))
    bu_region = {bu: region_ids[i * plan.regions // plan.business_units] for i, bu in enumerate(bu_ids)}
    team_bu = {team: bu_ids[i * plan.business_units // plan.teams] for i, team in enumerate(team_ids)}

    def units():
        for i, rid in enumerate(region_ids, 1):
            yield f"{rid}\tR{i:02d}\tRegion {i}\t{UnitKind.REGION.value}\t{NULL}\t/{rid}/\t0\t{o}\n"
        for i, bid in enumerate(bu_ids, 1):
            rid = bu_region[bid]
            yield f"{bid}\tB{i:03d}\tBusiness unit {i}\t{UnitKind.BUSINESS_UNIT.value}\t{rid}\t/{rid}/{bid}/\t1\t{o}\n"
        for i, tid in enumerate(team_ids, 1):
            bid = team_bu[tid]
            rid = bu_region[bid]
            yield f"{tid}\tT{i:04d}\tTeam {i}\t{UnitKind.TEAM.value}\t{bid}\t/{rid}/{bid}/{tid}/\t2\t{o}\n"

    # Members: most active all year, 5 % join during it, 5 % leave; teams of uneven sizes.
    member0 = _reserve_ids(Member, plan.members)
    first_day, last_day = plan.first.first_day, plan.last.last_day
    year_days = (last_day - first_day).days
    members = []  # (id, team_id, active_from, active_to or None)
    for i in range(plan.members):
        team = team_ids[i] if i < plan.teams else rng.choice(team_ids)
        draw = rng.random()
        if draw < 0.05:
            active_from, active_to = first_day + datetime.timedelta(days=rng.randrange(30, year_days - 30)), None
        elif draw < 0.10:
            active_from = first_day - datetime.timedelta(days=rng.randrange(30, 1500))
            active_to = first_day + datetime.timedelta(days=rng.randrange(30, year_days - 30))
        else:
            active_from, active_to = first_day - datetime.timedelta(days=rng.randrange(1, 1500)), None
        members.append((member0 + i, team, active_from, active_to))

    def member_rows():
        for mid, team, active_from, active_to in members:
            to = active_to.isoformat() if active_to else NULL
            yield f"{mid}\tM{mid - member0 + 1:05d}\tMember {mid - member0 + 1}\t{active_from}\t{to}\t{o}\t{team}\n"

    # The experience model: 5 dimensions of 5 behaviors, active since before the year.
    model_id = _reserve_ids(ExperienceModel, 1)
    dim0 = _reserve_ids(Dimension, DIMENSIONS)
    n_behaviors = DIMENSIONS * BEHAVIORS_PER_DIMENSION
    beh0 = _reserve_ids(Behavior, n_behaviors)
    behavior_ids = list(range(beh0, beh0 + n_behaviors))
    activated = _ts(year_start - datetime.timedelta(days=30))
    # The activation history (which version a past month used), where the project keeps one.
    activation_model = getattr(experience_models, "ExperienceModelActivation", None)

    with _loading() as cur:
        count = _copy(cur, OrgUnit, ("id", "code", "name", "kind", "parent", "path", "depth", "organization"), units())
        step("org units", count, t0)
        t0 = time.perf_counter()
        count = _copy(
            cur, Member, ("id", "code", "name", "active_from", "active_to", "organization", "team"), member_rows()
        )
        step("members", count, t0)
        _copy(
            cur,
            ExperienceModel,
            ("id", "name", "version", "description", "is_active", "activated_at", "created_at", "organization"),
            [f"{model_id}\tService model\t1\t\tt\t{activated}\t{activated}\t{o}\n"],
        )
        _copy(
            cur,
            Dimension,
            ("id", "code", "name", "description", "position", "organization", "model"),
            (f"{dim0 + d}\tdim-{d + 1}\tDimension {d + 1}\t\t{d}\t{o}\t{model_id}\n" for d in range(DIMENSIONS)),
        )
        _copy(
            cur,
            Behavior,
            (
                "id",
                "code",
                "name",
                "position",
                "guidance_unknown",
                "guidance_known",
                "guidance_applied",
                "guidance_mastered",
                "organization",
                "dimension",
                "model",
            ),
            (
                f"{beh0 + b}\tdim-{b // BEHAVIORS_PER_DIMENSION + 1}-b{b % BEHAVIORS_PER_DIMENSION + 1}"
                f"\tBehavior {b + 1}\t{b % BEHAVIORS_PER_DIMENSION}\t\t\t\t\t{o}"
                f"\t{dim0 + b // BEHAVIORS_PER_DIMENSION}\t{model_id}\n"
                for b in range(n_behaviors)
            ),
        )
        if activation_model is not None:
            _copy(
                cur,
                activation_model,
                ("model", "activated_at", "organization"),
                [f"{model_id}\t{activated}\t{o}\n"],
            )

    # Observations and ratings, month by month (one transaction each). Levels rise over the year:
    # a (member, behavior) pair starts at level 1 or 2 and climbs at its team's and its own pace.
    active_months = []  # per month: the members active in it, with their active days in it
    for month in plan.months:
        lo, hi = month.first_day, month.last_day
        rows = []
        for mid, _team, active_from, active_to in members:
            start, end = max(lo, active_from), min(hi, active_to or hi)
            if start <= end:
                rows.append((mid, start, (end - start).days))
        active_months.append(rows)
    member_months = sum(len(rows) for rows in active_months)
    per_member_month = plan.observations / member_months
    team_pace = {team: rng.uniform(0.10, 0.28) for team in team_ids}
    pace = {mid: team_pace[team] * rng.uniform(0.8, 1.2) for mid, team, _f, _t in members}
    difficulty = [rng.uniform(0.8, 1.25) for _ in behavior_ids]

    def base(mid: int, b: int) -> float:
        return ((mid * 2_654_435_761 + b * 40_503) % 1000) / 1250  # 0 … 0.8, fixed per pair

    kinds = [ObservationKind.OBSERVATION.value] * 7 + [ObservationKind.COACHING.value] * 3
    obs_fields = (
        "id",
        "observed_at",
        "kind",
        "strengths",
        "development_points",
        "next_step",
        "next_step_on",
        "next_step_done",
        "external_id",
        "created_at",
        "updated_at",
        "member",
        "model",
        "observer",
        "organization",
    )
    rating_fields = ("id", "level", "observed_at", "behavior", "member", "observation", "organization")
    total_obs = total_ratings = 0
    t0 = time.perf_counter()
    for k, month in enumerate(plan.months):
        observations = []  # (member_id, moment, months since the year's start)
        for mid, start, span in active_months[k]:
            count = _poisson(rng, per_member_month)  # some months unobserved: coverage below 100 %
            previous = None
            for _ in range(count):
                if previous is not None and rng.random() < 0.01:
                    moment = previous  # a tie on observed_at: the one with the larger id wins
                else:
                    day = start + datetime.timedelta(days=rng.randint(0, span))
                    if day == month.last_day and month != plan.last and rng.random() < 0.3:
                        # 23:30 UTC on the last day is already the next month in Paris.
                        moment = datetime.datetime.combine(day, datetime.time(23, 30), tzinfo=UTC)
                    else:
                        local = datetime.time(rng.randint(7, 21), rng.randint(0, 59), rng.randint(0, 59))
                        moment = datetime.datetime.combine(day, local, tzinfo=tz)
                previous = moment
                observations.append((mid, moment, k + (moment.astimezone(tz).day - 1) / 31))
        obs0 = _reserve_ids(Observation, len(observations))
        rating0 = _reserve_ids(Rating, len(observations) * n_behaviors)

        def observation_rows(observations=observations, obs0=obs0):
            for i, (mid, moment, _t) in enumerate(observations):
                ts = _ts(moment)
                kind = kinds[rng.randrange(10)]
                yield f"{obs0 + i}\t{ts}\t{kind}\t\t\t\t{NULL}\tf\t{NULL}\t{ts}\t{ts}\t{mid}\t{model_id}\t{NULL}\t{o}\n"

        def rating_rows(observations=observations, obs0=obs0, rating0=rating0):
            rid = rating0
            rand = rng.random
            for i, (mid, moment, t) in enumerate(observations):
                ts, climb = _ts(moment), pace[mid] * t
                for b, bid in enumerate(behavior_ids):
                    level = int(1.5 + base(mid, b) + climb / difficulty[b] + rand() - 0.5)
                    level = 1 if level < 1 else 4 if level > 4 else level
                    yield f"{rid}\t{level}\t{ts}\t{bid}\t{mid}\t{obs0 + i}\t{o}\n"
                    rid += 1

        with _loading() as cur:
            total_obs += _copy(cur, Observation, obs_fields, observation_rows())
            total_ratings += _copy(cur, Rating, rating_fields, rating_rows())
        print(f"    {month}: {len(observations):,} observations", flush=True)
    step("observations", total_obs, t0)
    print(f"  {'ratings':<28} {total_ratings:>10,}")

    # Animations: about 4 per team and month.
    t0 = time.perf_counter()
    animation_kinds = list(AnimationKind.values)
    team_months = [(team, month) for month in plan.months for team in team_ids]
    counts = [rng.choice(ANIMATIONS_PER_TEAM_MONTH) for _ in team_months]
    anim0 = _reserve_ids(Animation, sum(counts))

    def animation_rows():
        aid = anim0
        for (team, month), count in zip(team_months, counts, strict=True):
            start, end = month.bounds(tz)
            span = (end - start).total_seconds() - 1
            for _ in range(count):
                ts = _ts(start + datetime.timedelta(seconds=rng.random() * span))
                kind = rng.choice(animation_kinds)
                yield f"{aid}\t{ts}\t{kind}\t\t{NULL}\t{ts}\t{NULL}\t{o}\t{team}\n"
                aid += 1

    with _loading() as cur:
        count = _copy(
            cur,
            Animation,
            ("id", "held_at", "kind", "topic", "external_id", "created_at", "held_by", "organization", "team"),
            animation_rows(),
        )
    step("animations", count, t0)

    # Survey responses over the year, in batches of transactions of 500,000.
    t0 = time.perf_counter()
    channels, journeys, segments = (
        ("store", "web", "phone", "chat"),
        ("purchase", "after-sales", "delivery"),
        ("gold", "silver", "new", ""),
    )
    span = (year_end - year_start).total_seconds() - 1
    survey_fields = ("organization", *SURVEY_RESPONSE_FIELDS, "created_at")

    def survey_rows(lo: int, hi: int):
        rand = rng.random
        for i in range(lo, hi):
            ts = _ts(year_start + datetime.timedelta(seconds=rand() * span))
            nps = rng.randint(0, 10) if rand() < 0.9 else NULL
            csat = rng.randint(1, 5) if rand() < 0.7 or nps is NULL else NULL
            ces = rng.randint(1, 7) if rand() < 0.5 else NULL
            trigger = "event" if rand() < 0.6 else "periodic"
            yield (
                f"{o}\ts{i:07d}\t{team_ids[rng.randrange(plan.teams)]}\t{ts}\t{nps}\t{ces}\t{csat}"
                f"\t{channels[i % 4]}\t{journeys[i % 3]}\t{trigger}\t{segments[i % 4]}\t\t{{}}\t{created}\n"
            )

    count = 0
    for lo in range(0, plan.survey_responses, 500_000):
        with _loading() as cur:
            count += _copy(
                cur, SurveyResponse, survey_fields, survey_rows(lo, min(plan.survey_responses, lo + 500_000))
            )
    step("survey responses", count, t0)

    loaded = [OrgUnit, Member, ExperienceModel, Dimension, Behavior, Observation, Rating, Animation, SurveyResponse]
    if activation_model is not None:
        loaded.append(activation_model)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        for model in loaded:
            cur.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    step("vacuum analyze", 0, t0)
    t0 = time.perf_counter()
    _check_references(o, loaded)
    step("references checked", 0, t0)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return org


def _drop_org(org_id: int) -> None:
    """Delete every row of the organization with SQL, table by table, children first."""
    from django.apps import apps
    from django.db import connection, transaction

    from cxtracker.tenancy.models import Organization

    tenant = {}  # model → its tenant models it points at
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.concrete_fields}
        org_field = fields.get("organization")
        if org_field is None or not org_field.is_relation or org_field.related_model is not Organization:
            continue
        tenant[model] = {
            f.related_model for f in model._meta.concrete_fields if f.is_relation and f.related_model is not model
        }
    order, done = [], set()

    def visit(model, seen=()):
        # Children (the models pointing at this one) before it.
        if model in done or model in seen:
            return
        for child, parents in tenant.items():
            if model in parents:
                visit(child, (*seen, model))
        done.add(model)
        order.append(model)

    for model in tenant:
        visit(model)
    with transaction.atomic(), connection.cursor() as cur:
        # Many-to-many tables first: they carry no organization column.
        for model in order:
            for m2m in model._meta.local_many_to_many:
                through = m2m.remote_field.through
                column = through._meta.get_field(m2m.m2m_field_name()).column
                cur.execute(
                    f"DELETE FROM {through._meta.db_table} WHERE {column} IN "
                    f"(SELECT id FROM {model._meta.db_table} WHERE organization_id = %s)",
                    [org_id],
                )
        for model in order:
            cur.execute(f"DELETE FROM {model._meta.db_table} WHERE organization_id = %s", [org_id])
        # What is left (rows outside the tenant tables pointing at it) goes through the ORM.
        Organization.objects.filter(pk=org_id).delete()


# ---------------------------------------------------------------------------------------------
# (b) the hand-written query

RATES_SQL = """
WITH validity AS (
    -- Each rating holds its pair's level from its observed_at until the next rating (ties: by id),
    -- so it is the latest one at the month ends k = bucket(observed_at) + 1 … bucket(next_at).
    SELECT member_id, level, observed_at,
           LEAD(observed_at) OVER (PARTITION BY member_id, behavior_id ORDER BY observed_at, id) AS next_at
    FROM deployment_rating
    WHERE organization_id = %(org)s AND behavior_id = ANY(%(behaviors)s) AND observed_at < %(last_end)s
),
points AS (
    SELECT v.member_id, k, sum(v.level - 1) AS points
    FROM validity v,
         generate_series(width_bucket(v.observed_at, %(ends)s::timestamptz[]) + 1,
                         COALESCE(width_bucket(v.next_at, %(ends)s::timestamptz[]), %(n)s)) AS k
    GROUP BY 1, 2
),
months AS (
    SELECT month_start, k FROM unnest(%(starts)s::date[]) WITH ORDINALITY AS t(month_start, k)
)
SELECT m.team_id, mo.month_start, count(*) AS members, COALESCE(sum(p.points), 0) AS points
FROM months mo
JOIN tenancy_member m
  ON m.organization_id = %(org)s
 AND m.active_from < mo.month_start + interval '1 month' AND (m.active_to IS NULL OR m.active_to >= mo.month_start)
LEFT JOIN points p ON p.member_id = m.id AND p.k = mo.k
GROUP BY 1, 2
"""


def _sql_params(org, plan: Plan) -> dict:
    from experience.models import Behavior

    behaviors = Behavior.objects.for_org(org).filter(model__is_active=True).values_list("pk", flat=True)
    ends = [month.bounds(org.tzinfo)[1] for month in plan.months]
    return {
        "org": org.pk,
        "behaviors": sorted(behaviors),
        "ends": ends,
        "last_end": ends[-1],
        "n": len(ends),
        "starts": [month.first_day for month in plan.months],
    }


def _sql_rates(org, plan: Plan) -> tuple[float, dict]:
    """(seconds, {(team_id, month_start): (pairs, points)}) by the one query above."""
    from django.db import connection

    params = _sql_params(org, plan)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(RATES_SQL, params)
        rows = cur.fetchall()
    seconds = time.perf_counter() - started
    n_behaviors = len(params["behaviors"])
    return seconds, {(team, month): (members * n_behaviors, int(points)) for team, month, members, points in rows}


def _engine_rates(org, plan: Plan) -> dict:
    from kpis.models import TeamMonthSnapshot

    rows = (
        TeamMonthSnapshot.objects.for_org(org)
        .filter(period_start__gte=plan.first.first_day, period_start__lte=plan.last.first_day, pairs__gt=0)
        .values_list("team_id", "period_start", "pairs", "score_points")
    )
    return {(team, month): (pairs, points) for team, month, pairs, points in rows}


def _compare(engine: dict, sql: dict, what: str) -> None:
    """Fail loudly unless both give every team-month the same pairs and transformation rate."""
    problems = []
    for key in sorted(set(engine) | set(sql)):
        if key not in engine or key not in sql:
            problems.append(f"team {key[0]} {key[1]:%Y-%m}: only in {'the engine' if key in engine else 'the SQL'}")
            continue
        (e_pairs, e_points), (s_pairs, s_points) = engine[key], sql[key]
        e_rate, s_rate = float(e_points) / 3 / e_pairs, s_points / 3 / s_pairs
        if e_pairs != s_pairs or abs(e_rate - s_rate) > 1e-9:
            problems.append(
                f"team {key[0]} {key[1]:%Y-%m}: engine {e_rate:.6f} ({e_pairs} pairs), SQL {s_rate:.6f} ({s_pairs})"
            )
    if problems:
        print(f"MISMATCH {what}: {len(problems)} team-months differ, e.g.:", file=sys.stderr)
        for line in problems[:10]:
            print("  " + line, file=sys.stderr)
        raise SystemExit(1)
    print(f"  {what}: the engine's {len(engine):,} team-month rates equal the SQL's")


# ---------------------------------------------------------------------------------------------
# (a) and (d) in a fresh process, (c) here


def _recompute_child(org_id: int, first: str, last: str, traced: bool) -> None:
    """One full recompute in this fresh process, timed with its RSS growth, or under tracemalloc
    (which slows Python down several times: timed apart); one JSON line on stdout."""
    import gc
    import tracemalloc

    from cxtracker.months import Month
    from cxtracker.tenancy.models import Organization
    from kpis.engine.recompute import snapshots_recompute

    org = Organization.objects.get(pk=org_id)
    months = Month.range(Month.parse(first), Month.parse(last))
    gc.collect()
    if traced:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    snapshots_recompute(org=org, months=months)
    result = {
        "seconds": time.perf_counter() - started,
        "rss_before_kib": rss_before,
        "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if traced:
        result["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps(result))


def _run_full_recompute(org, plan: Plan, traced: bool = False) -> dict:
    command = [sys.executable, __file__, "--recompute-child", str(org.pk), str(plan.first), str(plan.last)]
    result = subprocess.run(
        [*command, *(["--traced"] if traced else [])], cwd=ROOT, stdout=subprocess.PIPE, check=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _incremental(org, plan: Plan, month) -> tuple[float, int, int]:
    """One observation on the last day of ``month``, through the service, then the recompute of
    what it marked; (seconds, marks, observation id).

    The member observed has no observation the month after: the new ratings are still the latest
    at the next month's end, so a recompute that did not carry them forward would be caught by the
    comparison with the SQL that follows.
    """
    from django.core.cache import cache

    from cxtracker.tenancy.models import Member
    from deployment.models import Observation
    from deployment.services import observation_create
    from experience.models import Behavior
    from kpis.engine import recompute
    from kpis.models import DirtyPeriod

    tz = org.tzinfo
    after_start, after_end = month.next().bounds(tz)
    seen_after = Observation.objects.for_org(org).filter(observed_at__gte=after_start, observed_at__lt=after_end)
    member = (
        Member.objects.for_org(org)
        .filter(active_from__lt=plan.first.first_day, active_to__isnull=True)
        .exclude(pk__in=seen_after.values("member_id"))
        .order_by("pk")
        .first()
    )
    codes = Behavior.objects.for_org(org).filter(model__is_active=True).values_list("code", flat=True)
    # As if a recompute were already waiting for the organization: the write sends none (without
    # REDIS_URL it would run eagerly inside the write); the recompute below is the task's work.
    key = recompute.debounce_key(org.pk)
    cache.set(key, 1, timeout=600)
    try:
        observation = observation_create(
            org=org,
            member=member,
            observer=None,
            observed_at=datetime.datetime.combine(month.last_day, datetime.time(20, 0), tzinfo=tz),
            kind="coaching",
            ratings=dict.fromkeys(codes, 4),
            external_id=f"bench-rates-{secrets.token_hex(4)}",
        )
    finally:
        cache.delete(key)
    marks = DirtyPeriod.objects.for_org(org).count()
    started = time.perf_counter()
    _recompute_org()(org=org)
    seconds = time.perf_counter() - started
    if DirtyPeriod.objects.for_org(org).exists():
        raise SystemExit("The recompute left dirty marks behind.")
    return seconds, marks, observation.pk


def _recompute_org():
    """The debounced task's work: recompute what the dirty marks name."""
    from kpis.engine.recompute import recompute_org

    return recompute_org


def _delete_observations(ids: list[int]) -> None:
    """Remove the incremental runs' observations from a kept tenant, so that every run measures the
    same data. The snapshots of their team-months stay stale: each run starts with a full recompute."""
    from django.db import connection, transaction

    from deployment.models import Observation, Rating

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {Rating._meta.db_table} WHERE observation_id = ANY(%s)", [ids])
        cur.execute(f"DELETE FROM {Observation._meta.db_table} WHERE id = ANY(%s)", [ids])


def _kept_org(slug: str):
    from cxtracker.tenancy.models import Organization

    return Organization.objects.filter(slug=slug).first()


def _first_month(org):
    from django.db.models import Min

    from cxtracker.months import Month
    from deployment.models import Observation

    first = Observation.objects.for_org(org).aggregate(first=Min("observed_at"))["first"]
    return Month.of(first, org.tzinfo)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of SPEC §7's tenant (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the tenant, and reuse a kept one")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--build-only", action="store_true", help="build (and keep with --keep), measure nothing")
    parser.add_argument("--recompute-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Stopped with kill: clean up as on Ctrl-C (the organization is dropped unless --keep).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database: the benchmark is about PostgreSQL.")
    _django()
    if args.recompute_child:
        org_id, first, last = args.recompute_child
        _recompute_child(int(org_id), first, last, args.traced)
        return

    from django.core.management import call_command

    from cxtracker.months import Month

    call_command("migrate", verbosity=0, interactive=False)
    slug = _slug(args.scale)
    org = _kept_org(slug) if args.keep else None
    if org is not None:
        plan = Plan(args.scale, _first_month(org))
        print(f"Reusing {org.slug} ({plan.first} … {plan.last})")
    else:
        tz = zoneinfo.ZoneInfo(TZ_NAME)
        plan = Plan(args.scale, Month.of(datetime.datetime.now(tz)).shift(-MONTHS))
        building = f"bench-rates-tmp-{secrets.token_hex(4)}"
        print(
            f"Building {building} at scale {args.scale:g} ({plan.first} … {plan.last}): {plan.teams:,} teams, "
            f"{plan.members:,} members, {plan.observations:,} observations, {plan.survey_responses:,} responses",
            flush=True,
        )
        try:
            org = _build(plan, building, args.seed)
        except BaseException:
            from cxtracker.tenancy.models import Organization

            stale = Organization.objects.filter(slug=building).values_list("pk", flat=True).first()
            if stale:
                _drop_org(stale)
            raise
        if args.keep:
            org.slug = slug
            org.save(update_fields=["slug"])
    added = []
    try:
        if args.build_only:
            return
        _sql_rates(org, plan)  # warms the cache for both
        # The load of a shared machine comes and goes: the SQL is timed before and after (a), and
        # (a) is compared with the mean of the two.
        before, sql = _sql_rates(org, plan)
        full = _run_full_recompute(org, plan)
        after, _rows = _sql_rates(org, plan)
        sql_seconds = (before + after) / 2
        print(
            f"(b) one SQL query, 12 months of team rates ({len(sql):,} team-months): {before:.2f} s, then {after:.2f} s"
        )
        print(f"(a) snapshots_recompute, 12 months, in a fresh process: {full['seconds']:.2f} s")
        _compare(_engine_rates(org, plan), sql, "full recompute")

        _recompute_org()(org=org)  # leftovers of earlier runs: the incremental runs measure only their own marks
        worst, marks, obs_id = _incremental(org, plan, plan.first)
        added.append(obs_id)
        print(f"(c) one observation in {plan.first}, {marks} dirty marks (every later month): {worst:.2f} s")
        recent, marks, obs_id = _incremental(org, plan, plan.last)
        added.append(obs_id)
        print(f"    one observation in {plan.last}, {marks} dirty marks: {recent:.2f} s")
        _compare(_engine_rates(org, plan), _sql_rates(org, plan)[1], "after the incremental recomputes")

        traced = _run_full_recompute(org, plan, traced=True)
        rss_delta = _mib(full["rss_peak_kib"] - full["rss_before_kib"])
        python_peak = traced["traced_peak_bytes"] / 2**20
        print(
            f"(d) peak memory of (a): RSS +{rss_delta:.0f} MiB over the {_mib(full['rss_before_kib']):.0f} MiB of the "
            f"process at start (ru_maxrss); Python allocations at most {python_peak:.0f} MiB (tracemalloc, "
            f"another run: {traced['seconds']:.0f} s under tracing); the figure below is the larger"
        )
        print(f"ratio full/sql: {full['seconds'] / sql_seconds:.2f}")
        print(f"incremental: {worst:.2f} s")
        print(f"peak memory: {max(rss_delta, python_peak):.0f} MiB")
    finally:
        if args.keep:
            if added:
                _delete_observations(added)
        else:
            print("Dropping the organization …", flush=True)
            _drop_org(org.pk)


if __name__ == "__main__":
    main()
