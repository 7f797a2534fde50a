"""Writes of the field data: observations with their ratings, team animations.

Each service validates everything first and raises ``django.core.exceptions.ValidationError``
with a dict of field keys (``member``, ``observed_at``, ``kind``, ``ratings``, ``team``,
``held_at``, ``attendees``, ``dimensions``) and nothing is written; then it writes in one
transaction. The browser forms and the REST API both call these.

Bulk writes are set-based: ``observations_create_or_get`` and ``animations_create_or_get`` take
a batch, resolve the codes it carries once (the active model's behaviors or dimensions, the
attendees), validate every item in one pass and insert the rows with a few set operations (COPY
on PostgreSQL), with one dirty mark for the batch. Each item gets a ``Written``: created,
duplicate, or rejected with its field errors (a rejected item leaves no trace and stops nothing).
The one-item services are the same code with a batch of one.

Idempotency by ``external_id`` (SPEC §8): a write with an external_id the organization already
has returns the stored row with ``created=False`` and changes nothing; the same external_id twice
in one batch: the first valid item is written, the later ones are its duplicates. When two
requests race, the database's unique constraint decides (``INSERT ... ON CONFLICT DO NOTHING``).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
from cxtracker.tenancy.signals import figures_change
from experience.models import Behavior, Dimension, ExperienceModel, Level
from experience.selectors import active_model

from .models import (
    NOTE_FIELDS,
    NOTE_MAX_LENGTH,
    Animation,
    AnimationKind,
    Observation,
    ObservationKind,
    Rating,
    next_step_latest,
)

_UNSET = object()
_TEXT_FIELDS = {"strengths", "development_points", "next_step"}
_LEVELS = frozenset(Level.values)
_OBSERVATION_KINDS = frozenset(ObservationKind.values)
_ANIMATION_KINDS = frozenset(AnimationKind.values)
_RATING_COLUMNS = ("organization_id", "observation_id", "behavior_id", "level", "member_id", "observed_at")


@dataclass(frozen=True, slots=True)
class Written:
    """What a batch write did with one item: the row stored (``pk``, created now or found by its
    external_id) and its owner (the member of an observation, the team of an animation) so that
    the caller can check its scope; or, for a rejected item, its field errors."""

    pk: int | None = None
    created: bool = False
    owner_id: int | None = None
    errors: dict[str, list[str]] | None = None


def _local_day(org: Organization, moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, org.tzinfo).date()


def _check_moment(org: Organization, now, moment, field: str, errors: dict) -> datetime.date | None:
    """An aware datetime, not in the future; returns its day in the organization's timezone."""
    if not isinstance(moment, datetime.datetime) or timezone.is_naive(moment):
        errors[field] = [_("Give a date and time with its timezone.")]
        return None
    if moment > now:
        errors[field] = [_("This date is in the future.")]
        return None
    return _local_day(org, moment)


def _periods_changed(org: Organization, moments, teams, *, cascade: bool) -> None:
    """Mark the organization's snapshots of these days and teams for recomputation (SPEC §6);
    ``cascade``: the later months too (ratings and activity carry over to them)."""
    days = sorted({_local_day(org, m) for m in moments if m is not None})
    if days:
        figures_change(org=org, days=days, teams=sorted(set(teams)), cascade=cascade)


def _stored(model, org: Organization, external_ids: Iterable, owner: str) -> dict[str, tuple[int, int]]:
    """external_id -> (pk, owner id) of the rows of ``model`` the organization already has."""
    wanted = {e for e in external_ids if e}
    if not wanted:
        return {}
    rows = model.objects.for_org(org).filter(external_id__in=wanted).order_by().values_list("external_id", "pk", owner)
    return {external_id: (pk, owner_id) for external_id, pk, owner_id in rows}


def _insert_new(model, rows: list[dict]) -> list[int | None]:
    """Insert ``rows`` (attname -> value, the same keys in every row) and return the pk of each,
    None for a row refused because its external_id was stored meanwhile (by a concurrent request).

    On PostgreSQL: the ids are drawn from the table's sequence, the rows COPied into a
    session-local staging table and moved with one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING
    RETURNING id``, so that the unique constraint, not a prior read, decides who created what.
    Elsewhere (the embedded SQLite default): one INSERT per row, each in a savepoint.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        pks = []
        for values in rows:
            try:
                with transaction.atomic():
                    pks.append(model.objects.create(**values).pk)
            except IntegrityError:
                if not values.get("external_id"):
                    raise
                pks.append(None)
        return pks
    qn = connection.ops.quote_name
    opts = model._meta
    names = ["id", *rows[0]]
    columns = ", ".join(qn(name) for name in names)
    definition = ", ".join(f"{qn(name)} {opts.get_field(name).db_type(connection)}" for name in names)
    table, staging = qn(opts.db_table), qn(f"{opts.db_table}_ingest")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [opts.db_table, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        # Created once per database session, emptied at commit (and here, for a second batch of
        # the same transaction).
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({definition}) ON COMMIT DELETE ROWS")
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for pk, values in zip(ids, rows, strict=True):
                copy.write_row((pk, *values.values()))
        # Only identifiers are formatted in.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
            f"ON CONFLICT DO NOTHING RETURNING {qn('id')}"
        )
        inserted = {row[0] for row in cursor.fetchall()}
    return [pk if pk in inserted else None for pk in ids]


def _insert_children(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows that cannot conflict (ratings, M2M links of rows just created): COPY on
    PostgreSQL, ``bulk_create`` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500)
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        names = ", ".join(qn(c) for c in columns)
        with cursor.copy(f"COPY {qn(model._meta.db_table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _results(
    results: list, row_items: list[int], pks: list, rows: list[dict], owner: str, repeats, model, org
) -> list[Written]:
    """Fill ``results`` for the rows inserted (``pks``, None where a concurrent request stored the
    external_id first) and for the later items repeating an external_id of the batch."""
    lost = [rows[i]["external_id"] for i, pk in enumerate(pks) if pk is None]
    taken = _stored(model, org, lost, owner) if lost else {}
    for i, index in enumerate(row_items):
        if pks[i] is not None:
            results[index] = Written(pk=pks[i], created=True, owner_id=rows[i][owner])
        elif rows[i]["external_id"] in taken:
            pk, owner_id = taken[rows[i]["external_id"]]
            results[index] = Written(pk=pk, owner_id=owner_id)
        else:
            # Stored by another request and deleted since: nothing of this item is stored.
            results[index] = Written(
                errors={"non_field_errors": [_("Another request wrote this item at the same time: send it again.")]}
            )
    for index, first in repeats:
        original = results[row_items[first]]
        results[index] = original if original.errors else Written(pk=original.pk, owner_id=original.owner_id)
    return results


def _create_or_get_one(create_or_get, model, org: Organization, item: dict) -> tuple:
    """One item through its batch service (the one-item services are the same code with a batch of
    one): its field errors raised, else the stored row and whether this call created it."""
    [written] = create_or_get(org=org, items=[item])
    if written.errors:
        raise ValidationError(written.errors)
    return model.objects.for_org(org).get(pk=written.pk), written.created


# ---------------------------------------------------------------------------------------------
# Observations


def _observation_lookups(org: Organization) -> tuple[ExperienceModel | None, dict[str, int]]:
    """The active experience model and its behavior ids by code: what ratings are checked against."""
    model = active_model(org=org)
    if model is None:
        return None, {}
    return model, dict(Behavior.objects.for_org(org).filter(model=model).values_list("code", "pk"))


def _rating_pairs(org, model, behaviors: dict[str, int], ratings, errors: dict) -> list[tuple[int, int]]:
    """``ratings``: (behavior, level) pairs or a {behavior: level} dict; a behavior is a Behavior
    or its code in the active model. Returns (behavior id, level) pairs, or fills ``errors``."""
    if model is None:
        errors["ratings"] = [_("The organization has no active experience model yet.")]
        return []
    pairs = list(ratings.items()) if isinstance(ratings, dict) else list(ratings or ())
    if not pairs:
        errors["ratings"] = [_("Rate at least one behavior.")]
        return []
    messages, resolved, seen = [], [], set()
    for behavior, level in pairs:
        if isinstance(behavior, str):
            code, pk = behavior, behaviors.get(behavior)
            if pk is None:
                messages.append(_("Unknown behavior: %(code)s.") % {"code": code})
                continue
        elif behavior.organization_id != org.pk or behavior.model_id != model.pk:
            messages.append(
                _("%(behavior)s is not a behavior of the active experience model.") % {"behavior": behavior.code}
            )
            continue
        else:
            code, pk = behavior.code, behavior.pk
        if pk in seen:
            messages.append(_("%(behavior)s is rated twice.") % {"behavior": code})
            continue
        seen.add(pk)
        if isinstance(level, bool) or not isinstance(level, int) or level not in _LEVELS:
            messages.append(_("The level of %(behavior)s must be between 1 and 4.") % {"behavior": code})
            continue
        resolved.append((pk, level))
    if messages:
        errors["ratings"] = messages
    return resolved


def _check_observation_fields(org, now, *, member, observed_at, kind, errors: dict) -> datetime.date | None:
    """Checks the member, kind and moment; returns the day of the moment in the org's timezone."""
    if not isinstance(member, Member) or member.organization_id != org.pk:
        errors["member"] = [_("Choose a member of the organization.")]
    if kind not in _OBSERVATION_KINDS:
        errors["kind"] = [_("Choose observation or coaching.")]
    day = _check_moment(org, now, observed_at, "observed_at", errors)
    if day is not None and "member" not in errors and not member.is_active_on(day):
        errors["observed_at"] = [
            _("%(member)s was not active on %(day)s.") % {"member": member.name, "day": day.isoformat()}
        ]
    return day


def _check_notes(values: dict, day: datetime.date | None, errors: dict) -> None:
    """The notes given in ``values`` (``strengths``, ``development_points``, ``next_step``) hold
    at most NOTE_MAX_LENGTH characters; its ``next_step_on``, when given, falls at most two years
    after ``day``, the observation's day (unchecked while that day is wrong)."""
    for field in NOTE_FIELDS:
        text = values.get(field)
        if isinstance(text, str) and len(text) > NOTE_MAX_LENGTH:
            errors[field] = [
                _("At most %(max)s characters: this text has %(length)s.")
                % {
                    "max": number_format(NOTE_MAX_LENGTH, force_grouping=True),
                    "length": number_format(len(text), force_grouping=True),
                }
            ]
    due = values.get("next_step_on")
    if isinstance(due, datetime.date) and day is not None and due > next_step_latest(day):
        errors["next_step_on"] = [
            _("A next step is due at most two years after the observation (%(date)s at the latest).")
            % {"date": next_step_latest(day).isoformat()}
        ]


def observations_create_or_get(*, org: Organization, items: Sequence[dict]) -> list[Written]:
    """Record a batch of observations with their ratings; one ``Written`` per item, in order.

    Each item holds the keyword arguments of ``observation_create_or_get``. Queries, whatever
    the size of the batch: the external_ids already stored, the active model and its behaviors,
    then in one transaction the ids, the observations (COPY and one INSERT), the ratings (COPY,
    with their denormalized member and observed_at) and one dirty mark: the observed months and
    every later one (a rating carries over), for the members' teams.
    """
    now = timezone.now()
    results: list = [None] * len(items)
    external_ids = [item.get("external_id") or None for item in items]
    stored = _stored(Observation, org, external_ids, "member_id")
    model, behaviors = None, {}
    if any(e not in stored for e in external_ids):
        model, behaviors = _observation_lookups(org)
    rows, ratings, days, teams, row_items = [], [], [], [], []
    firsts: dict[str, int] = {}  # external_id -> its row
    repeats: list[tuple[int, int]] = []  # (item, row of the first item with its external_id)
    for index, item in enumerate(items):
        external_id = external_ids[index]
        if external_id in stored:
            pk, member_id = stored[external_id]
            results[index] = Written(pk=pk, owner_id=member_id)
            continue
        if external_id in firsts:
            repeats.append((index, firsts[external_id]))
            continue
        errors: dict = {}
        member, observed_at = item["member"], item["observed_at"]
        day = _check_observation_fields(
            org, now, member=member, observed_at=observed_at, kind=item["kind"], errors=errors
        )
        pairs = _rating_pairs(org, model, behaviors, item["ratings"], errors)
        _check_notes(item, None if "observed_at" in errors else day, errors)
        if errors:
            results[index] = Written(errors=errors)
            continue
        if external_id:
            firsts[external_id] = len(rows)
        observer = item.get("observer")
        rows.append(
            {
                "organization_id": org.pk,
                "member_id": member.pk,
                "observer_id": observer.pk if observer is not None else None,
                "observed_at": observed_at,
                "kind": item["kind"],
                "model_id": model.pk,
                "strengths": item.get("strengths") or "",
                "development_points": item.get("development_points") or "",
                "next_step": item.get("next_step") or "",
                "next_step_on": item.get("next_step_on"),
                "next_step_done": False,
                "external_id": external_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        ratings.append(pairs)
        days.append(day)
        teams.append(member.team_id)
        row_items.append(index)
    if not rows:
        return results
    with transaction.atomic():
        pks = _insert_new(Observation, rows)
        _insert_children(
            Rating,
            _RATING_COLUMNS,
            [
                (org.pk, pk, behavior_id, level, row["member_id"], row["observed_at"])
                for pk, row, pairs in zip(pks, rows, ratings, strict=True)
                if pk is not None
                for behavior_id, level in pairs
            ],
        )
        created = [i for i, pk in enumerate(pks) if pk is not None]
        if created:
            figures_change(
                org=org, days={days[i] for i in created}, teams=sorted({teams[i] for i in created}), cascade=True
            )
        return _results(results, row_items, pks, rows, "member_id", repeats, Observation, org)


def observation_create_or_get(
    *,
    org: Organization,
    member: Member,
    observer,
    observed_at: datetime.datetime,
    kind: str,
    ratings,
    strengths: str = "",
    development_points: str = "",
    next_step: str = "",
    next_step_on: datetime.date | None = None,
    external_id: str | None = None,
) -> tuple[Observation, bool]:
    """Record an observation with its ratings; ``(observation, created)``. With an external_id
    the organization already has, the stored observation comes back unchanged (created False)."""
    item = {
        "member": member,
        "observer": observer,
        "observed_at": observed_at,
        "kind": kind,
        "ratings": ratings,
        "strengths": strengths,
        "development_points": development_points,
        "next_step": next_step,
        "next_step_on": next_step_on,
        "external_id": external_id,
    }
    return _create_or_get_one(observations_create_or_get, Observation, org, item)


def observation_create(**kwargs) -> Observation:
    """Same arguments as ``observation_create_or_get``; returns the observation only."""
    return observation_create_or_get(**kwargs)[0]


def observation_update(
    *,
    observation: Observation,
    member=_UNSET,
    observed_at=_UNSET,
    kind=_UNSET,
    ratings=_UNSET,
    strengths=_UNSET,
    development_points=_UNSET,
    next_step=_UNSET,
    next_step_on=_UNSET,
    next_step_done=_UNSET,
) -> Observation:
    """Change the given fields. New ``ratings`` replace the old ones and move the observation to
    the active experience model; the same rules as at creation apply."""
    org = observation.organization
    old_observed_at, old_team_id = observation.observed_at, observation.member.team_id
    new_member = observation.member if member is _UNSET else member
    new_observed_at = observation.observed_at if observed_at is _UNSET else observed_at
    new_kind = observation.kind if kind is _UNSET else kind
    errors: dict = {}
    day = _check_observation_fields(
        org, timezone.now(), member=new_member, observed_at=new_observed_at, kind=new_kind, errors=errors
    )
    notes = {
        name: value
        for name, value in (
            ("strengths", strengths),
            ("development_points", development_points),
            ("next_step", next_step),
        )
        if value is not _UNSET
    }
    if next_step_on is not _UNSET or observed_at is not _UNSET:
        # A new due date, or a new day for the one stored.
        notes["next_step_on"] = observation.next_step_on if next_step_on is _UNSET else next_step_on
    _check_notes(notes, None if "observed_at" in errors else day, errors)
    if ratings is _UNSET:
        # Untouched ratings may belong to an older model version: validate the rest only.
        model, pairs = observation.model, None
    else:
        model, behaviors = _observation_lookups(org)
        pairs = _rating_pairs(org, model, behaviors, ratings, errors)
    if errors:
        raise ValidationError(errors)
    fields = {
        "member": new_member,
        "observed_at": new_observed_at,
        "kind": new_kind,
        "model": model,
        "strengths": strengths,
        "development_points": development_points,
        "next_step": next_step,
        "next_step_on": next_step_on,
        "next_step_done": next_step_done,
    }
    with transaction.atomic():
        for name, value in fields.items():
            if value is not _UNSET:
                setattr(observation, name, "" if value is None and name in _TEXT_FIELDS else value)
        observation.save()
        if pairs is not None:
            observation.ratings.all().delete()
            Rating.objects.bulk_create(
                Rating(
                    organization_id=observation.organization_id,
                    observation=observation,
                    behavior_id=behavior_id,
                    level=level,
                    member_id=observation.member_id,
                    observed_at=observation.observed_at,
                )
                for behavior_id, level in pairs
            )
        else:
            observation.ratings.update(member=observation.member, observed_at=observation.observed_at)
        _periods_changed(
            org, [old_observed_at, observation.observed_at], [old_team_id, observation.member.team_id], cascade=True
        )
    return observation


def observation_next_step_mark_done(*, observation: Observation) -> Observation:
    observation.next_step_done = True
    observation.save(update_fields=["next_step_done", "updated_at"])
    return observation


def observation_delete(*, observation: Observation) -> None:
    org, observed_at, team_id = observation.organization, observation.observed_at, observation.member.team_id
    with transaction.atomic():
        observation.delete()
        _periods_changed(org, [observed_at], [team_id], cascade=True)


# ---------------------------------------------------------------------------------------------
# Animations


@dataclass
class _AnimationLookups:
    """What the animations of a batch refer to, resolved once: the attendees by code (in the whole
    organization: an attendee of another team is named in the error), the active model and its
    dimensions by code."""

    members: dict[str, Member]
    model: ExperienceModel | None
    dimensions: dict[str, Dimension]


def _animation_lookups(org: Organization, items: Iterable[dict]) -> _AnimationLookups:
    member_codes, needs_model = set(), False
    for item in items:
        member_codes.update(a for a in item.get("attendees") or () if isinstance(a, str))
        needs_model = needs_model or bool(item.get("dimensions"))
    members = {m.code: m for m in Member.objects.for_org(org).filter(code__in=member_codes)} if member_codes else {}
    model = active_model(org=org) if needs_model else None
    dimensions = {d.code: d for d in Dimension.objects.for_org(org).filter(model=model)} if model else {}
    return _AnimationLookups(members=members, model=model, dimensions=dimensions)


def _check_animation(
    org, now, lookups: _AnimationLookups, *, team, held_at, kind, dimensions, attendees, errors: dict
) -> tuple[datetime.date | None, list[Dimension], list[Member]]:
    """Checks an animation; returns the day it was held (org's timezone), its dimensions and its
    attendees, each once, or fills ``errors``."""
    if not isinstance(team, OrgUnit) or team.organization_id != org.pk or team.kind != UnitKind.TEAM:
        errors["team"] = [_("Choose a team of the organization.")]
    if kind not in _ANIMATION_KINDS:
        errors["kind"] = [_("Choose briefing, challenge, training or ritual.")]
    day = _check_moment(org, now, held_at, "held_at", errors)

    members, messages, seen = [], [], set()
    for a in attendees or ():
        member = lookups.members.get(a) if isinstance(a, str) else a
        if member is None or member.organization_id != org.pk:
            messages.append(_("Unknown member: %(code)s.") % {"code": a})
        elif "team" not in errors and member.team_id != team.pk:
            messages.append(_("%(member)s is not a member of this team.") % {"member": member.name})
        elif day is not None and not member.is_active_on(day):
            messages.append(_("%(member)s was not active on %(day)s.") % {"member": member.name, "day": day})
        elif member.pk not in seen:
            seen.add(member.pk)
            members.append(member)
    if messages:
        errors["attendees"] = messages

    dims, messages, seen = [], [], set()
    model = lookups.model
    for d in dimensions or ():
        dimension = lookups.dimensions.get(d) if isinstance(d, str) else d
        if dimension is None or model is None or dimension.model_id != model.pk:
            label = d if isinstance(d, str) else d.code
            messages.append(
                _("%(dimension)s is not a dimension of the active experience model.") % {"dimension": label}
            )
        elif dimension.pk not in seen:
            seen.add(dimension.pk)
            dims.append(dimension)
    if messages:
        errors["dimensions"] = messages
    return day, dims, members


def animations_create_or_get(*, org: Organization, items: Sequence[dict]) -> list[Written]:
    """Record a batch of team animations; one ``Written`` per item, in order.

    Each item holds the keyword arguments of ``animation_create_or_get``. Queries, whatever the
    size of the batch: the external_ids already stored, the attendees' codes, the active model and
    its dimensions (when some item names one), then in one transaction the ids, the animations
    (COPY and one INSERT), their dimension and attendee links (COPY) and one dirty mark: the months
    they were held in, for their teams.
    """
    now = timezone.now()
    results: list = [None] * len(items)
    external_ids = [item.get("external_id") or None for item in items]
    stored = _stored(Animation, org, external_ids, "team_id")
    lookups = _animation_lookups(org, (item for e, item in zip(external_ids, items, strict=True) if e not in stored))
    rows, links, days, row_items = [], [], [], []
    firsts: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        external_id = external_ids[index]
        if external_id in stored:
            pk, team_id = stored[external_id]
            results[index] = Written(pk=pk, owner_id=team_id)
            continue
        if external_id in firsts:
            repeats.append((index, firsts[external_id]))
            continue
        errors: dict = {}
        team, held_at = item["team"], item["held_at"]
        day, dims, members = _check_animation(
            org,
            now,
            lookups,
            team=team,
            held_at=held_at,
            kind=item["kind"],
            dimensions=item.get("dimensions"),
            attendees=item.get("attendees"),
            errors=errors,
        )
        if errors:
            results[index] = Written(errors=errors)
            continue
        if external_id:
            firsts[external_id] = len(rows)
        held_by = item.get("held_by")
        rows.append(
            {
                "organization_id": org.pk,
                "team_id": team.pk,
                "held_by_id": held_by.pk if held_by is not None else None,
                "held_at": held_at,
                "kind": item["kind"],
                "topic": item.get("topic") or "",
                "external_id": external_id,
                "created_at": now,
            }
        )
        links.append(([d.pk for d in dims], [m.pk for m in members]))
        days.append(day)
        row_items.append(index)
    if not rows:
        return results
    with transaction.atomic():
        pks = _insert_new(Animation, rows)
        created = [i for i, pk in enumerate(pks) if pk is not None]
        _insert_children(
            Animation.dimensions.through,
            ("animation_id", "dimension_id"),
            [(pks[i], dimension_id) for i in created for dimension_id in links[i][0]],
        )
        _insert_children(
            Animation.attendees.through,
            ("animation_id", "member_id"),
            [(pks[i], member_id) for i in created for member_id in links[i][1]],
        )
        if created:
            figures_change(
                org=org,
                days={days[i] for i in created},
                teams=sorted({rows[i]["team_id"] for i in created}),
                cascade=False,
            )
        return _results(results, row_items, pks, rows, "team_id", repeats, Animation, org)


def animation_create_or_get(
    *,
    org: Organization,
    team: OrgUnit,
    held_by,
    held_at: datetime.datetime,
    kind: str,
    topic: str = "",
    dimensions=(),
    attendees=(),
    external_id: str | None = None,
) -> tuple[Animation, bool]:
    """Record a team animation; ``(animation, created)``, idempotent by external_id.
    ``dimensions`` and ``attendees`` take objects or codes."""
    item = {
        "team": team,
        "held_by": held_by,
        "held_at": held_at,
        "kind": kind,
        "topic": topic,
        "dimensions": dimensions,
        "attendees": attendees,
        "external_id": external_id,
    }
    return _create_or_get_one(animations_create_or_get, Animation, org, item)


def animation_create(**kwargs) -> Animation:
    """Same arguments as ``animation_create_or_get``; returns the animation only."""
    return animation_create_or_get(**kwargs)[0]


def animation_update(
    *, animation: Animation, held_at=_UNSET, kind=_UNSET, topic=_UNSET, dimensions=_UNSET, attendees=_UNSET
) -> Animation:
    org = animation.organization
    old_held_at = animation.held_at
    new_held_at = animation.held_at if held_at is _UNSET else held_at
    new_kind = animation.kind if kind is _UNSET else kind
    fields = {
        "team": animation.team,
        "held_at": new_held_at,
        "kind": new_kind,
        "dimensions": [] if dimensions is _UNSET else dimensions,
        "attendees": list(animation.attendees.all()) if attendees is _UNSET else attendees,
    }
    errors: dict = {}
    _day, dims, members = _check_animation(
        org, timezone.now(), _animation_lookups(org, [fields]), **fields, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        animation.held_at, animation.kind = new_held_at, new_kind
        if topic is not _UNSET:
            animation.topic = topic or ""
        animation.save()
        if dimensions is not _UNSET:
            animation.dimensions.set(dims)
        animation.attendees.set(members)
        _periods_changed(org, [old_held_at, new_held_at], [animation.team_id], cascade=False)
    return animation


def animation_delete(*, animation: Animation) -> None:
    org, held_at, team_id = animation.organization, animation.held_at, animation.team_id
    with transaction.atomic():
        animation.delete()
        _periods_changed(org, [held_at], [team_id], cascade=False)
