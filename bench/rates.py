"""Rate engine benchmark: the SPEC §7 target tenant, the engine's full recompute against a
hand-written SQL reference that does the same work.

    DATABASE_URL=postgres://... python bench/rates.py              # build, measure, drop (minutes)
    DATABASE_URL=postgres://... python bench/rates.py --keep       # keep the tenant; reuse it next time
    DATABASE_URL=postgres://... python bench/rates.py --scale 0.1  # a tenth of everything, quick
    DATABASE_URL=postgres://... python bench/rates.py --scales 0.25,0.5,1,2  # cost against size

Builds, with ``COPY`` into the Django models' tables (rows streamed from generators, so memory stays
flat), an organization of SPEC §7's size: 10 regions, 50 business units, 1,000 teams, 10,000 members
(a few joining or leaving during the year), one active experience model of 25 behaviors in 5
dimensions, a year of 240,000 observations with 25 ratings each (6 million ratings whose levels rise
over the year; ties on ``observed_at``, observations at 23:30 UTC on a month's last day), about 4
animations per team and month, and 2 million survey responses. Then it times:

(a) the full 12-month recompute through the project's own code, ``kpis.engine.recompute.snapshots_recompute``;
(b) the reference: hand-written SQL computing **every column the engine writes** (the team-month
    sums, the dimension sums, the KPI sums by breakdown) for the same months and teams, deleting and
    writing them into scratch tables shaped like the snapshot tables, the same work as (a). Its rows
    are checked equal to the engine's, after the full recompute and again after (c);
(a) and (b) take turns over ``--runs`` rounds (the machine's load comes and goes): medians compared;
(c) the incremental recompute (``recompute_org``, the sweep's task's work) after one new
    observation made through ``deployment.services.observation_create``: one on the last day of
    the year's first month (every later month is marked: the worst case) and one in the last month;
(d) the peak memory of a full recompute in a fresh process.

It prints, last, ``ratio full/sql`` (target ≤ 1.25), ``incremental`` (< 2 s), ``peak memory``
(< 1 GiB) and the load. ``--scales`` builds a tenant at each scale and prints the full recompute's
seconds and seconds per million rows at each: the cost must grow no faster than the data. The
organization is removed at the end (with SQL, table by table) unless ``--keep``.
"""

import argparse
import contextlib
import datetime
import itertools
import json
import math
import os
import random
import resource
import secrets
import signal
import statistics
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
# (b) the hand-written reference: the same rows as the engine's, into scratch tables

# The months of the run, their first days and their bounds in the organization's timezone (the
# bounds come as parameters, as the engine's: the planner sees the ranges). The months are
# consecutive (Plan's year): an instant between the first start and the last end falls in month
# width_bucket(instant, starts).
_MONTHS_CTE = """
months AS MATERIALIZED (
    SELECT k::int, s AS period_start, (s + interval '1 month')::date AS next_start, start_at, end_at,
           o.expected_animations_per_month AS expected
    FROM unnest(%(starts)s::date[], %(start_ats)s::timestamptz[], %(end_ats)s::timestamptz[])
         WITH ORDINALITY AS t(s, start_at, end_at, k)
    JOIN tenancy_organization o ON o.id = %(org)s
)"""

# TeamDimensionSnapshot's rows, then TeamMonthSnapshot's (their pairs summed from the former), in
# one statement.
REF_PAIRS_SQL = (
    "WITH"
    + _MONTHS_CTE
    + """,
month_model AS MATERIALIZED (
    -- The version of a month: that of the last activation before its end; before the first
    -- activation, the first activated; without any activation, the active version.
    SELECT mo.k, COALESCE(
        (SELECT a.model_id FROM experience_experiencemodelactivation a
          WHERE a.organization_id = %(org)s AND a.activated_at < mo.end_at
          ORDER BY a.activated_at DESC, a.id DESC LIMIT 1),
        (SELECT a.model_id FROM experience_experiencemodelactivation a
          WHERE a.organization_id = %(org)s ORDER BY a.activated_at, a.id LIMIT 1),
        (SELECT m.id FROM experience_experiencemodel m
          WHERE m.organization_id = %(org)s AND m.is_active ORDER BY m.id LIMIT 1)
    ) AS model_id
    FROM months mo
),
codes AS MATERIALIZED (
    -- The behavior codes numbered 1 … n: a rating carries across versions by code.
    SELECT id, dense_rank() OVER (ORDER BY code) AS code_no
    FROM experience_behavior WHERE organization_id = %(org)s
),
month_behavior AS MATERIALIZED (
    -- The behaviors each month counts, by code, with their dimension.
    SELECT mm.k, c.code_no, d.code AS dim_code, d.name AS dim_name, d.position AS dim_position
    FROM month_model mm
    JOIN experience_behavior b ON b.model_id = mm.model_id
    JOIN codes c ON c.id = b.id
    JOIN experience_dimension d ON d.id = b.dimension_id
),
dimension_size AS MATERIALIZED (
    SELECT k, dim_code, dim_name, dim_position, count(*) AS behaviors,
           row_number() OVER (ORDER BY k, dim_code) AS dim_no
    FROM month_behavior GROUP BY 1, 2, 3, 4
),
lookup AS MATERIALIZED (
    -- (month, code) → the month's dimension of the code (none: not counted that month), as one
    -- array indexed by (k − 1) × codes + code_no; and the members' months of activity.
    SELECT (SELECT max(code_no) FROM codes) AS codes,
           (SELECT array_agg(ds.dim_no ORDER BY mo.k, c.code_no)
              FROM months mo CROSS JOIN (SELECT DISTINCT code_no FROM codes) c
              LEFT JOIN month_behavior mb ON mb.k = mo.k AND mb.code_no = c.code_no
              LEFT JOIN dimension_size ds ON ds.k = mb.k AND ds.dim_code = mb.dim_code) AS dim_of,
           (SELECT array_agg(period_start ORDER BY k) FROM months) AS period_starts,
           (SELECT array_agg(next_start ORDER BY k) FROM months) AS next_starts
),
teams AS MATERIALIZED (
    SELECT id AS team_id FROM tenancy_orgunit WHERE organization_id = %(org)s AND kind = %(team_kind)s
),
active AS MATERIALIZED (
    SELECT mo.k, m.id AS member_id, m.team_id
    FROM months mo
    JOIN tenancy_member m
      ON m.organization_id = %(org)s AND m.active_from < mo.next_start
     AND (m.active_to IS NULL OR m.active_to >= mo.period_start)
    JOIN teams t ON t.team_id = m.team_id
),
team_active AS MATERIALIZED (
    SELECT t.team_id, mo.k, mo.period_start, mo.expected, count(a.member_id) AS active_members
    FROM teams t CROSS JOIN months mo
    LEFT JOIN active a ON a.team_id = t.team_id AND a.k = mo.k
    GROUP BY 1, 2, 3, 4
),
validity AS (
    -- A rating is its pair's (member, behavior code) latest at the month ends after it, up to
    -- the last end before the pair's next rating (ties on observed_at: the larger id is later);
    -- ratings after the last end spread over no month end, and end their predecessor's spread.
    SELECT r.member_id, c.code_no, r.level,
           width_bucket(r.observed_at, %(end_ats)s::timestamptz[]) AS ends_before,
           width_bucket(LEAD(r.observed_at) OVER (PARTITION BY r.member_id, c.code_no ORDER BY r.observed_at, r.id),
                        %(end_ats)s::timestamptz[]) AS ends_before_next
    FROM deployment_rating r
    JOIN codes c ON c.id = r.behavior_id
    WHERE r.organization_id = %(org)s
    OFFSET 0  -- the window first: the joins below take its rows, not the ratings
),
rated AS (
    -- Spread over those month ends; counted where the member is active in the month (and in a
    -- team) and the month counts the behavior.
    SELECT m.team_id, e.k, (SELECT dim_of FROM lookup)[(e.k - 1) * (SELECT codes FROM lookup) + v.code_no] AS dim_no,
           count(*) AS assessed, sum(v.level - 1) AS score_points,
           count(*) FILTER (WHERE v.level >= 2) AS known, count(*) FILTER (WHERE v.level = 4) AS mastered
    FROM validity v
    JOIN tenancy_member m ON m.id = v.member_id
    CROSS JOIN generate_series(v.ends_before + 1, COALESCE(v.ends_before_next, %(n)s)) AS e(k)
    WHERE v.ends_before < COALESCE(v.ends_before_next, %(n)s)  -- superseded within its month: no month end
      AND m.active_from < (SELECT next_starts FROM lookup)[e.k]
      AND (m.active_to IS NULL OR m.active_to >= (SELECT period_starts FROM lookup)[e.k])
      AND m.team_id IN (SELECT team_id FROM teams)
    GROUP BY 1, 2, 3
),
dimension_rows AS (
    INSERT INTO {dimension_table} (organization_id, team_id, period_start, dimension_code, dimension_name,
                                   dimension_position, pairs, score_points, assessed, known, mastered)
    SELECT %(org)s, ta.team_id, ta.period_start, ds.dim_code, ds.dim_name, ds.dim_position,
           ta.active_members * ds.behaviors, COALESCE(r.score_points, 0), COALESCE(r.assessed, 0),
           COALESCE(r.known, 0), COALESCE(r.mastered, 0)
    FROM team_active ta
    JOIN dimension_size ds ON ds.k = ta.k
    LEFT JOIN rated r ON r.team_id = ta.team_id AND r.k = ta.k AND r.dim_no = ds.dim_no
    RETURNING team_id, period_start, pairs, score_points, assessed, known, mastered
),
team_pairs AS (
    SELECT team_id, period_start, sum(pairs) AS pairs, sum(score_points) AS score_points,
           sum(assessed) AS assessed, sum(known) AS known, sum(mastered) AS mastered
    FROM dimension_rows GROUP BY 1, 2
),
coached AS (
    SELECT a.team_id, a.k, count(*) AS coached_members
    FROM active a
    JOIN (
        SELECT DISTINCT member_id, width_bucket(observed_at, %(start_ats)s::timestamptz[]) AS k
        FROM deployment_observation
        WHERE organization_id = %(org)s
          AND observed_at >= %(first_at)s AND observed_at < %(last_at)s
    ) ob ON ob.member_id = a.member_id AND ob.k = a.k
    GROUP BY 1, 2
),
animations AS (
    SELECT an.team_id, width_bucket(an.held_at, %(start_ats)s::timestamptz[]) AS k, count(*) AS animations
    FROM deployment_animation an
    WHERE an.organization_id = %(org)s
      AND an.held_at >= %(first_at)s AND an.held_at < %(last_at)s
    GROUP BY 1, 2
)
INSERT INTO {month_table} (organization_id, team_id, period_start, active_members, coached_members, animations,
                           cadence_weight, pairs, score_points, assessed, known, mastered)
SELECT %(org)s, ta.team_id, ta.period_start, ta.active_members, COALESCE(c.coached_members, 0),
       COALESCE(an.animations, 0),
       ta.active_members * least(1.0::float8, COALESCE(an.animations, 0)::float8 / ta.expected),
       COALESCE(tp.pairs, 0), COALESCE(tp.score_points, 0), COALESCE(tp.assessed, 0),
       COALESCE(tp.known, 0), COALESCE(tp.mastered, 0)
FROM team_active ta
LEFT JOIN team_pairs tp ON tp.team_id = ta.team_id AND tp.period_start = ta.period_start
LEFT JOIN coached c ON c.team_id = ta.team_id AND c.k = ta.k
LEFT JOIN animations an ON an.team_id = ta.team_id AND an.k = ta.k
"""
)

# TeamKpiSnapshot's rows: one pass over the responses into per-cell sums (team, month and the four
# keys), then every breakdown summed from the cells with GROUPING SETS.
REF_KPI_SQL = (
    "WITH"
    + _MONTHS_CTE
    + """,
cells AS (
    SELECT unit_id, width_bucket(responded_at, %(start_ats)s::timestamptz[]) AS k,
           journey, segment, channel, trigger,
           count(*) FILTER (WHERE nps >= 9) AS promoters, count(*) FILTER (WHERE nps <= 6) AS detractors,
           count(nps) AS nps_n, count(csat) AS csat_n, count(*) FILTER (WHERE csat >= 4) AS csat_top2,
           COALESCE(sum(csat), 0) AS csat_sum, COALESCE(sum(csat * csat), 0) AS csat_sq_sum,
           count(ces) AS ces_n, COALESCE(sum(ces), 0) AS ces_sum, COALESCE(sum(ces * ces), 0) AS ces_sq_sum,
           count(*) FILTER (WHERE ces >= 5) AS ces_easy
    FROM kpis_surveyresponse
    WHERE organization_id = %(org)s
      AND responded_at >= %(first_at)s AND responded_at < %(last_at)s
    GROUP BY 1, 2, 3, 4, 5, 6
)
INSERT INTO {kpi_table} (organization_id, team_id, period_start, breakdown, value, promoters, detractors, nps_n,
                         csat_n, csat_top2, csat_sum, csat_sq_sum, ces_n, ces_sum, ces_sq_sum, ces_easy)
SELECT %(org)s, c.unit_id, mo.period_start,
       CASE WHEN GROUPING(c.journey) = 0 THEN 'journey' WHEN GROUPING(c.segment) = 0 THEN 'segment'
            WHEN GROUPING(c.channel) = 0 THEN 'channel' WHEN GROUPING(c.trigger) = 0 THEN 'trigger' ELSE '' END,
       COALESCE(c.journey, c.segment, c.channel, c.trigger, ''),
       sum(promoters), sum(detractors), sum(nps_n), sum(csat_n), sum(csat_top2), sum(csat_sum), sum(csat_sq_sum),
       sum(ces_n), sum(ces_sum), sum(ces_sq_sum), sum(ces_easy)
FROM cells c JOIN months mo ON mo.k = c.k
GROUP BY GROUPING SETS ((c.unit_id, mo.period_start), (c.unit_id, mo.period_start, c.journey),
                        (c.unit_id, mo.period_start, c.segment), (c.unit_id, mo.period_start, c.channel),
                        (c.unit_id, mo.period_start, c.trigger))
"""
)

SCRATCH_PREFIX = "bench_rates_ref_"


def _snapshot_models():
    from kpis.models import TeamDimensionSnapshot, TeamKpiSnapshot, TeamMonthSnapshot

    return {"month_table": TeamMonthSnapshot, "dimension_table": TeamDimensionSnapshot, "kpi_table": TeamKpiSnapshot}


def _scratch_tables() -> dict[str, str]:
    """{placeholder: scratch table name}, one per snapshot table."""
    return {key: SCRATCH_PREFIX + model._meta.db_table for key, model in _snapshot_models().items()}


def _scratch_create() -> None:
    """The reference's tables, shaped like the snapshot tables: same columns, identity, defaults,
    checks and indexes (``LIKE … INCLUDING ALL``), ordinary (logged) tables, and the same
    deferred foreign keys: writing into them is the work of writing the snapshots."""
    from django.db import connection, transaction

    scratch = _scratch_tables()
    with transaction.atomic(), connection.cursor() as cur:
        for key, model in _snapshot_models().items():
            table, copy = model._meta.db_table, scratch[key]
            cur.execute(f"DROP TABLE IF EXISTS {copy}")
            cur.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
            cur.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for (definition,) in cur.fetchall():
                cur.execute(f"ALTER TABLE {copy} ADD {definition}")


def _scratch_drop() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for copy in _scratch_tables().values():
            cur.execute(f"DROP TABLE IF EXISTS {copy}")


def _reference_params(org, plan: Plan) -> dict:
    from cxtracker.tenancy.models import UnitKind

    bounds = [m.bounds(org.tzinfo) for m in plan.months]
    assert all(a.next() == b for a, b in itertools.pairwise(plan.months)), "consecutive months"
    return {
        "org": org.pk,
        "team_kind": UnitKind.TEAM.value,
        "starts": [m.first_day for m in plan.months],
        "start_ats": [start for start, _end in bounds],
        "end_ats": [end for _start, end in bounds],
        "first_at": bounds[0][0],
        "last_at": bounds[-1][1],
        "n": len(bounds),
    }


def _reference(org, plan: Plan) -> float:
    """The reference recompute: delete the months' rows of the scratch tables and write them again
    with the two statements above, in one transaction, as ``snapshots_recompute`` does with the
    snapshots. Seconds, commit included."""
    from django.db import connection, transaction

    scratch = _scratch_tables()
    params = _reference_params(org, plan)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        # The planner overestimates the spread (generate_series: 1,000 rows a call) and would JIT-
        # compile the statements: 1 – 2 s of compilation that the run does not win back.
        cur.execute("SET LOCAL jit = off")
        for copy in scratch.values():
            cur.execute(
                f"DELETE FROM {copy} WHERE organization_id = %(org)s AND period_start = ANY(%(starts)s)", params
            )
        cur.execute(REF_PAIRS_SQL.format(**scratch), params)
        # As the engine's survey query: its sort in memory, for this transaction only.
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute(REF_KPI_SQL.format(**scratch), params)
    return time.perf_counter() - started


def _full_recompute(org, months) -> None:
    """The engine's full recompute of ``months``, as the task does it when every month is marked
    (``recompute_org`` → ``snapshots_recompute``: compute, delete, write, in one transaction),
    under the organization's recomputation lock."""
    from kpis.engine.recompute import recomputation_lock, snapshots_recompute

    with recomputation_lock(org.pk):
        snapshots_recompute(org=org, months=months)


def _engine(org, plan: Plan) -> float:
    """Seconds of the engine's full recompute of the year."""
    started = time.perf_counter()
    _full_recompute(org, plan.months)
    return time.perf_counter() - started


# The columns that name a snapshot row (no two rows share them).
ROW_KEYS = {
    "month_table": ("team_id", "period_start"),
    "dimension_table": ("team_id", "period_start", "dimension_code"),
    "kpi_table": ("team_id", "period_start", "breakdown", "value"),
}


def _rows(table: str, model, org, plan: Plan) -> tuple[list[str], list[tuple]]:
    """(columns, the rows of the organization's months, sorted) of a snapshot-shaped table."""
    from django.db import connection

    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE organization_id = %s AND period_start = ANY(%s)"
            f" ORDER BY {', '.join(str(i) for i in range(1, len(columns) + 1))}",
            [org.pk, [m.first_day for m in plan.months]],
        )
        return columns, cur.fetchall()


def _check(org, plan: Plan, what: str) -> None:
    """Fail loudly unless the reference's rows equal the engine's, table by table: the same rows
    (sorted, each named by its key), every integer and string equal, floats (cadence_weight) to
    1e-9."""
    from django.db import models

    problems, counts = [], []
    scratch = _scratch_tables()
    for key, model in _snapshot_models().items():
        name = model.__name__
        columns, engine = _rows(model._meta.db_table, model, org, plan)
        _same, reference = _rows(scratch[key], model, org, plan)
        floats = {f.column for f in model._meta.concrete_fields if isinstance(f, models.FloatField)}
        at = [columns.index(c) for c in ROW_KEYS[key]]
        by = []
        for rows in (engine, reference):
            named = {tuple(row[i] for i in at): row for row in rows}
            if len(named) != len(rows):
                problems.append(f"{name}: {len(rows) - len(named)} rows share their key")
            by.append(named)
        engine_by, reference_by = by
        counts.append(f"{len(engine):,} {name}")
        for k in sorted(set(engine_by) ^ set(reference_by)):
            side = "engine" if k in engine_by else "reference"
            problems.append(f"{name} {k}: only in the {side}'s rows")
        for k in sorted(set(engine_by) & set(reference_by)):
            e_row, r_row = engine_by[k], reference_by[k]
            for c, e, r in zip(columns, e_row, r_row, strict=True):
                same = math.isclose(e, r, rel_tol=1e-12, abs_tol=1e-9) if c in floats else e == r
                if not same:
                    problems.append(f"{name} {k}: {c} {e!r} in the engine's, {r!r} in the reference's")
    if problems:
        print(
            f"MISMATCH {what}: {len(problems)} differences between the engine's rows and the reference's, e.g.:",
            file=sys.stderr,
        )
        for line in problems[:20]:
            print("  " + line, file=sys.stderr)
        raise SystemExit(1)
    print(f"  {what}: the reference's rows equal the engine's ({', '.join(counts)})", flush=True)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _load() -> float:
    return os.getloadavg()[0]


def _measure(org, plan: Plan, runs: int) -> dict:
    """``runs`` rounds of one engine recompute and one reference recompute, their order alternating
    from round to round; the medians, with the 1-minute load seen before and after each run."""
    engine, reference, loads = [], [], []
    for r in range(runs):
        order = (("engine", _engine), ("reference", _reference))
        for what, run in order if r % 2 == 0 else order[::-1]:
            loads.append(_load())
            seconds = run(org, plan)
            loads.append(_load())
            (engine if what == "engine" else reference).append(seconds)
            print(f"    round {r + 1}: {what} {seconds:.2f} s (load {loads[-2]:.1f} → {loads[-1]:.1f})", flush=True)
    return {
        "engine": _median(engine),
        "reference": _median(reference),
        "engine_runs": engine,
        "reference_runs": reference,
        "load": (min(loads), max(loads)),
    }


def _input_rows(org) -> dict[str, int]:
    """The tenant's rows the recompute reads, table by table."""
    from django.db import connection

    from cxtracker.tenancy.models import Member
    from deployment.models import Animation, Observation, Rating
    from kpis.models import SurveyResponse

    counts = {}
    with connection.cursor() as cur:
        for model in (Rating, SurveyResponse, Observation, Animation, Member):
            cur.execute(f"SELECT count(*) FROM {model._meta.db_table} WHERE organization_id = %s", [org.pk])
            counts[model._meta.verbose_name_plural] = cur.fetchone()[0]
    return counts


# ---------------------------------------------------------------------------------------------
# (a) and (d) in a fresh process, (c) here


def _recompute_child(org_id: int, first: str, last: str, traced: bool) -> None:
    """One full recompute in this fresh process, timed with its RSS growth, or under tracemalloc
    (which slows Python down several times: timed apart); one JSON line on stdout."""
    import gc
    import tracemalloc

    from cxtracker.months import Month
    from cxtracker.tenancy.models import Organization

    org = Organization.objects.get(pk=org_id)
    months = Month.range(Month.parse(first), Month.parse(last))
    gc.collect()
    if traced:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    _full_recompute(org, months)
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
    comparison with the reference that follows.
    """
    from cxtracker.tenancy.models import Member
    from deployment.models import Observation
    from deployment.services import observation_create
    from experience.models import Behavior
    from kpis.engine import background
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
    observation = observation_create(
        org=org,
        member=member,
        observer=None,
        observed_at=datetime.datetime.combine(month.last_day, datetime.time(20, 0), tzinfo=tz),
        kind="coaching",
        ratings=dict.fromkeys(codes, 4),
        external_id=f"bench-rates-{secrets.token_hex(4)}",
    )
    # Without a broker the write left a timer of this process to recompute once its marks fall
    # due: stopped, the recompute below being that timer's work.
    background.cancel_pending()
    marks = DirtyPeriod.objects.for_org(org).count()
    started = time.perf_counter()
    _recompute_org()(org=org)
    seconds = time.perf_counter() - started
    if DirtyPeriod.objects.for_org(org).exists():
        raise SystemExit("The recompute left dirty marks behind.")
    return seconds, marks, observation.pk


def _recompute_org():
    """The sweep's task's work: recompute what the dirty marks name."""
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


def _tenant(scale: float, keep: bool, seed: int):
    """(organization, plan): the kept tenant of that scale, or a new one (renamed for reuse when
    ``keep``)."""
    from cxtracker.months import Month
    from cxtracker.tenancy.models import Organization

    slug = _slug(scale)
    org = _kept_org(slug) if keep else None
    if org is not None:
        plan = Plan(scale, _first_month(org))
        print(f"Reusing {org.slug} ({plan.first} … {plan.last})")
        return org, plan
    tz = zoneinfo.ZoneInfo(TZ_NAME)
    plan = Plan(scale, Month.of(datetime.datetime.now(tz)).shift(-MONTHS))
    building = f"bench-rates-tmp-{secrets.token_hex(4)}"
    print(
        f"Building {building} at scale {scale:g} ({plan.first} … {plan.last}): {plan.teams:,} teams, "
        f"{plan.members:,} members, {plan.observations:,} observations, {plan.survey_responses:,} responses",
        flush=True,
    )
    try:
        org = _build(plan, building, seed)
    except BaseException:
        stale = Organization.objects.filter(slug=building).values_list("pk", flat=True).first()
        if stale:
            _drop_org(stale)
        raise
    if keep:
        org.slug = slug
        org.save(update_fields=["slug"])
    return org, plan


def _loads(low_high: tuple[float, float]) -> str:
    low, high = low_high
    return f"{low:.1f}–{high:.1f}"


def _full(org, plan: Plan, runs: int, added: list[int]) -> None:
    """(a) – (d) on one tenant: the ratio, the incremental recompute, the peak memory."""
    print("(d) a full recompute in a fresh process, for its memory (and to warm the cache):", flush=True)
    fresh = _run_full_recompute(org, plan)
    print(f"    {fresh['seconds']:.2f} s")
    print("(b) the reference, once to warm up, then checked:", flush=True)
    print(f"    {_reference(org, plan):.2f} s")
    _check(org, plan, "full recompute")
    print(f"(a) and (b), {runs} rounds:", flush=True)
    measured = _measure(org, plan, runs)
    _check(org, plan, "full recompute, last round")

    _recompute_org()(org=org)  # leftovers of earlier runs: the incremental runs measure only their own marks
    worst, marks, obs_id = _incremental(org, plan, plan.first)
    added.append(obs_id)
    print(f"(c) one observation in {plan.first}, {marks} dirty marks (every later month): {worst:.2f} s")
    recent, marks, obs_id = _incremental(org, plan, plan.last)
    added.append(obs_id)
    print(f"    one observation in {plan.last}, {marks} dirty marks: {recent:.2f} s", flush=True)
    _reference(org, plan)
    _check(org, plan, "after the incremental recomputes")

    traced = _run_full_recompute(org, plan, traced=True)
    rss_delta = _mib(fresh["rss_peak_kib"] - fresh["rss_before_kib"])
    python_peak = traced["traced_peak_bytes"] / 2**20
    print(
        f"(d) peak memory of a full recompute: RSS +{rss_delta:.0f} MiB over the {_mib(fresh['rss_before_kib']):.0f} "
        f"MiB of the process at start (ru_maxrss); Python allocations at most {python_peak:.0f} MiB (tracemalloc, "
        f"another run: {traced['seconds']:.0f} s under tracing); the figure below is the larger"
    )
    engine, reference = measured["engine"], measured["reference"]
    print(
        f"full recompute {engine:.2f} s (runs {', '.join(f'{s:.2f}' for s in measured['engine_runs'])}), "
        f"reference {reference:.2f} s (runs {', '.join(f'{s:.2f}' for s in measured['reference_runs'])}): "
        f"medians of {runs}"
    )
    print(f"ratio full/sql: {engine / reference:.2f}")
    print(f"incremental: {worst:.2f} s")
    print(f"peak memory: {max(rss_delta, python_peak):.0f} MiB")
    print(f"load: {_loads(measured['load'])} (1-minute average over the rounds; {os.cpu_count()} cores)")


def _scales(scales: list[float], runs: int, keep: bool, seed: int) -> None:
    """The full recompute and the reference at each scale, on a tenant built at that scale."""
    lines = []
    for scale in scales:
        org, plan = _tenant(scale, keep, seed)
        try:
            _scratch_create()
            counts = _input_rows(org)
            rows = sum(counts.values())
            print(f"  {rows:,} rows: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()), flush=True)
            print(f"  warming up: full recompute {_engine(org, plan):.2f} s, reference {_reference(org, plan):.2f} s")
            _check(org, plan, f"scale {scale:g}")
            measured = _measure(org, plan, runs)
            _check(org, plan, f"scale {scale:g}, last round")
            lines.append((scale, rows, measured))
        finally:
            _scratch_drop()
            if not keep:
                print("Dropping the organization …", flush=True)
                _drop_org(org.pk)
    print(
        f"scale  rows (M)  full recompute (s)  s per M rows  reference (s)  ratio full/sql  load  (medians of {runs})"
    )
    for scale, rows, m in lines:
        engine, reference = m["engine"], m["reference"]
        print(
            f"{scale:>5g}  {rows / 1e6:>8.2f}  {engine:>18.2f}  {engine / (rows / 1e6):>12.2f}  {reference:>13.2f}"
            f"  {engine / reference:>14.2f}  {_loads(m['load'])}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of SPEC §7's tenant (default 1)")
    parser.add_argument(
        "--scales", help="comma-separated scales (0.25,0.5,1,2): the full recompute's cost at each, and nothing else"
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds of engine and reference timed (default 3)")
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

    call_command("migrate", verbosity=0, interactive=False)
    if args.scales:
        _scales([float(s) for s in args.scales.split(",")], args.runs, args.keep, args.seed)
        return
    org, plan = _tenant(args.scale, args.keep, args.seed)
    added = []
    try:
        if args.build_only:
            return
        _scratch_create()
        _full(org, plan, args.runs, added)
    finally:
        _scratch_drop()
        if args.keep:
            if added:
                _delete_observations(added)
        else:
            print("Dropping the organization …", flush=True)
            _drop_org(org.pk)


if __name__ == "__main__":
    main()
