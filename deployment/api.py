"""REST endpoints of the field data: ``/api/v1/observations/`` and ``/api/v1/animations/``.

The deployment services validate and write (idempotent by ``external_id``); this module turns
codes and e-mails into the organization's rows, within the caller's scope: a manager's session
reaches the members and teams of their units only, and is itself the observer.

A bulk write is set-based (up to 1,000 items a request, SPEC §7's year is 240,000 observations):
each item is read in plain Python when it is well-formed (DRF's serializer, which takes about a
millisecond an item, reads the others and words their errors), the codes and e-mails of the whole
list are resolved with one query each, and the services write the batch in a few statements.
"""

import datetime
import re
from collections.abc import Iterable
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from cxtracker.api import (
    FROM_PARAM,
    TO_PARAM,
    UNIT_PARAM,
    BulkResult,
    MomentField,
    OrgApiView,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
    bulk_examples,
    errors_of,
    parse_moment,
    write_items,
    write_response,
    write_schema,
)
from cxtracker.tenancy.access import FIELD_WRITE_ROLES
from cxtracker.tenancy.models import UnitKind

from .models import NOTE_MAX_LENGTH, Animation, AnimationKind, Observation, ObservationKind, Rating
from .services import Written, animations_create_or_get, observations_create_or_get

# --- shared ----------------------------------------------------------------------------------


class _FieldApiView(OrgApiView):
    """The endpoints of one kind of field record: ``records()`` are the organization's rows with
    what their serializer reads, ``scope_prefix`` leads from a record to its unit, and
    ``owners()`` are what the caller may write records about (members, or units)."""

    write_roles = FIELD_WRITE_ROLES
    lookup_field = lookup_url_kwarg = "external_id"
    scope_prefix: str

    def records(self):
        raise NotImplementedError

    def owners(self):
        raise NotImplementedError

    def org_queryset(self):
        return self.records().filter(self.scope_q(self.scope_prefix))

    def people(self, emails: Iterable) -> dict:
        """The users of the organization behind ``emails`` (case-insensitive), by e-mail as
        given: one query for a whole batch. Through a session there is nobody to look up."""
        emails = {e for e in emails if isinstance(e, str) and e}
        if self.membership is not None or not emails:
            return {}
        users = get_user_model().objects.filter(memberships__organization=self.org).order_by("pk")
        found = {}
        # ASCII e-mails (nearly all) in one query; UPPER on both sides is what iexact compares.
        plain = {e.upper(): e for e in emails if e.isascii()}
        for user in users.annotate(email_upper=Upper("email")).filter(email_upper__in=plain):
            found.setdefault(user.email_upper, user)
        people = {email: found.get(upper) for upper, email in plain.items()}
        for email in emails - set(plain.values()):
            people[email] = users.filter(email__iexact=email).first()
        return people

    def person(self, email, field: str, errors: dict, people: dict):
        """The user behind ``email``: through a session the caller, through a key a user of the
        organization (``people``, from ``self.people``) or nobody; None when the e-mail was
        already refused (``errors`` has ``field``)."""
        if field in errors:
            return None
        if self.membership is not None:
            if email not in (None, "") and email.lower() != self.request.user.email.lower():
                errors[field] = [_("Through a session, this is you: leave it out or give your own e-mail.")]
            return self.request.user
        if not email:
            return None
        user = people.get(email)
        if user is None:
            errors[field] = [_("No user of the organization has this e-mail.")]
        return user

    def report(self, result: BulkResult, indexes: list[int], written: list[Written], model, scope) -> None:
        """The status of each item the service wrote. A duplicate whose stored row is out of the
        caller's scope (``scope``: the members or units they reach) is rejected, its row unshown."""
        owners = {w.owner_id for w in written if w.errors is None and not w.created}
        if self.membership is not None and owners:
            owners = set(scope.filter(pk__in=owners).values_list("pk", flat=True))
        for index, outcome in zip(indexes, written, strict=True):
            if outcome.errors:
                result.reject(index, outcome.errors)
            elif outcome.created:
                result.set(index, "created")
            elif outcome.owner_id in owners:
                result.set(index, "duplicate")
            else:
                result.reject(index, _external_id_taken(model))


class _FieldListApi(mixins.ListModelMixin, _FieldApiView):
    """The records newest first, filtered by unit and moment (``moment_field``), and their POST of
    one or a list: the items read, the people (``person_field``: who did it) and the owners
    (``owner_field``: what it is about, by code) of the whole list resolved with one query each,
    the valid items written in one batch by ``create_or_get``, a status per item."""

    moment_field: str
    person_field: str
    owner_field: str
    write_serializer: type[serializers.Serializer]

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, self.scope_prefix)
        return self.moment_filter(queryset, self.moment_field)

    @extend_schema(parameters=[UNIT_PARAM, FROM_PARAM, TO_PARAM])
    def get(self, request):
        return self.list(request)

    def read_item(self, item: dict, now) -> dict | None:
        """What ``write_serializer`` returns for a well-formed item, or None (see ``_checked``)."""
        raise NotImplementedError

    def owner_error(self, code: str, owner) -> str | None:
        raise NotImplementedError

    def create_or_get(self, items: list[dict]) -> list[Written]:
        raise NotImplementedError

    def post(self, request):
        items, bulk = write_items(request)
        result = BulkResult(len(items))
        now = timezone.now()
        checked = [
            _checked(item, self.read_item, self.write_serializer, now) if isinstance(item, dict) else None
            for item in items
        ]
        valid = [(item, c) for item, c in zip(items, checked, strict=True) if c is not None]
        person_field, owner_field = self.person_field, self.owner_field
        people = self.people(item.get(person_field) for item, (_values, errors) in valid if person_field not in errors)
        owners = _by_code(self.owners(), (values[owner_field] for _item, (values, _errors) in valid if values))
        writes, indexes = [], []
        for index, (item, c) in enumerate(zip(items, checked, strict=True)):
            if c is None:
                result.reject(index, _not_an_object())
                continue
            values, errors = c
            person = self.person(item.get(person_field), person_field, errors, people)
            owner = None
            if owner_field in values:
                owner = owners.get(values[owner_field])
                error = self.owner_error(values[owner_field], owner)
                if error:
                    errors[owner_field] = [error]
            if errors:
                result.reject(index, errors)
                continue
            writes.append(
                {**values, owner_field: owner, person_field: person, "external_id": values["external_id"] or None}
            )
            indexes.append(index)
        written = self.create_or_get(writes) if writes else []
        # A duplicate of someone else's record (out of a manager's scope) is not shown.
        self.report(result, indexes, written, self.model, self.owners())
        return write_response(result, bulk, lambda: self.serializer_class(self.records().get(pk=written[0].pk)).data)


def _by_code(queryset, codes: Iterable[str]) -> dict:
    codes = set(codes)
    return {row.code: row for row in queryset.filter(code__in=codes)} if codes else {}


def _external_id_taken(model) -> dict:
    """Django's own "already exists" message for the model's external_id."""
    field = model._meta.get_field("external_id")
    message = field.error_messages["unique"] % {
        "model_name": capfirst(model._meta.verbose_name),
        "field_label": field.verbose_name,
    }
    return {"external_id": [message]}


def _validated(serializer_class, data: dict) -> tuple[dict, dict]:
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data, {}
    return {}, errors_of(serializers.ValidationError(serializer.errors))


def _not_an_object() -> dict:
    return {"non_field_errors": [_("Expected an object.")]}


# The fast reading of a well-formed item: exactly what the write serializer returns for it, or None
# to let the serializer decide. A string is read as StrictCharField reads it (stripped); NUL and
# lone surrogates, which its validators refuse, go to the serializer.
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(value) -> str | None:
    if type(value) is not str or _UNSAFE_TEXT.search(value):
        return None
    return value.strip()


@lru_cache(maxsize=1024)
def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except DjangoValidationError:
        return False
    return True


def _read_email(item: dict, field: str, values: dict) -> bool:
    """An optional, nullable, blank-able EmailField."""
    if field not in item:
        return True
    value = item[field]
    if value is None:
        values[field] = None
        return True
    text = _text(value)
    if text is None or (text and not _is_email(text)):
        return False
    values[field] = text
    return True


def _read_texts(item: dict, values: dict, fields: dict[str, int | None]) -> bool:
    """Optional blank-able strings defaulting to "" (``fields``: name -> max length)."""
    for field, max_length in fields.items():
        text = _text(item.get(field, ""))
        if text is None or (max_length is not None and len(text) > max_length):
            return False
        values[field] = text
    return True


def _read_external_id(item: dict, values: dict) -> bool:
    value = item.get("external_id")
    if value is None:
        values["external_id"] = None
        return True
    text = _text(value)
    if text is None or len(text) > 128:
        return False
    values["external_id"] = text
    return True


def _read_moment(item: dict, field: str, values: dict, now) -> bool:
    try:
        values[field] = parse_moment(item.get(field), now)
    except DjangoValidationError:
        return False
    return True


def _read_codes(item: dict, field: str, values: dict) -> bool:
    """An optional list of non-blank strings defaulting to []."""
    value = item.get(field, [])
    if type(value) is not list:
        return False
    codes = [_text(v) for v in value]
    if not all(codes):
        return False
    values[field] = codes
    return True


def _checked(item: dict, read, serializer_class, now) -> tuple[dict, dict]:
    """``(values, errors)`` of an item: read fast when it is well-formed, else by the serializer."""
    values = read(item, now)
    if values is not None:
        return values, {}
    return _validated(serializer_class, item)


# --- observations ----------------------------------------------------------------------------


class RatingSerializer(serializers.ModelSerializer):
    behavior = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Rating
        fields = ["behavior", "level"]


class ObservationSerializer(serializers.ModelSerializer):
    member = serializers.SlugRelatedField(slug_field="code", read_only=True)
    observer = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    model_version = serializers.IntegerField(source="model.version", read_only=True)
    ratings = RatingSerializer(many=True, read_only=True)
    observed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Observation
        fields = [
            "external_id",
            "member",
            "observer",
            "observed_at",
            "kind",
            "model_version",
            "ratings",
            "strengths",
            "development_points",
            "next_step",
            "next_step_on",
            "next_step_done",
            "created_at",
        ]


class RatingWriteSerializer(StrictSerializer):
    behavior = StrictCharField(help_text="A behavior code of the active experience model.")
    level = StrictIntegerField(help_text="1 Unknown, 2 Known, 3 Applied, 4 Mastered.")


class ObservationWriteSerializer(StrictSerializer):
    member = StrictCharField(help_text="The member's code.")
    observer = serializers.EmailField(
        required=False, allow_null=True, allow_blank=True, help_text="E-mail of a user of the organization."
    )
    observed_at = MomentField(help_text="ISO 8601 with its offset.")
    kind = serializers.ChoiceField(choices=ObservationKind.choices, default=ObservationKind.OBSERVATION)
    ratings = RatingWriteSerializer(many=True)
    strengths = StrictCharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    development_points = StrictCharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    next_step = StrictCharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    next_step_on = serializers.DateField(required=False, allow_null=True, default=None)
    external_id = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=128, default=None)


_OBSERVATION_FIELDS = frozenset(ObservationWriteSerializer().fields)
_RATING_FIELDS = frozenset({"behavior", "level"})
_OBSERVATION_KINDS = frozenset(ObservationKind.values)
# Longer notes leave the fast path: the serializer words their error (400 naming the field).
_OBSERVATION_TEXTS = dict.fromkeys(("strengths", "development_points", "next_step"), NOTE_MAX_LENGTH)


def _read_observation(item: dict, now) -> dict | None:
    """What ObservationWriteSerializer returns for a well-formed item, or None."""
    if not item.keys() <= _OBSERVATION_FIELDS:
        return None
    values = {"member": _text(item.get("member"))}
    if not values["member"] or not _read_email(item, "observer", values):
        return None
    if not _read_moment(item, "observed_at", values, now):
        return None
    kind = item.get("kind", ObservationKind.OBSERVATION.value)
    if type(kind) is not str or kind not in _OBSERVATION_KINDS:
        return None
    values["kind"] = kind
    ratings = item.get("ratings")
    if type(ratings) is not list:
        return None
    values["ratings"] = []
    for rating in ratings:
        if type(rating) is not dict or rating.keys() != _RATING_FIELDS:
            return None
        behavior, level = _text(rating["behavior"]), rating["level"]
        if not behavior or type(level) is not int:
            return None
        values["ratings"].append({"behavior": behavior, "level": level})
    if not _read_texts(item, values, _OBSERVATION_TEXTS):
        return None
    day = item.get("next_step_on")
    if day is not None:
        if type(day) is not str or not _DATE.fullmatch(day):
            return None
        try:
            day = datetime.date.fromisoformat(day)
        except ValueError:
            return None
    values["next_step_on"] = day
    if not _read_external_id(item, values):
        return None
    return values


OBSERVATION_EXAMPLE = {
    "member": "E0042",
    "observed_at": "2026-03-10T10:00:00+01:00",
    "kind": "coaching",
    "observer": "manager@example.com",
    "ratings": [{"behavior": "salue-30s", "level": 3}],
    "strengths": "",
    "development_points": "",
    "next_step": "",
    "next_step_on": None,
    "external_id": "obs-123",
}


class _ObservationApi(_FieldApiView):
    model = Observation
    serializer_class = ObservationSerializer
    individual_records = True
    scope_prefix = "member__team__"

    def records(self):
        ratings = Rating.objects.select_related("behavior").order_by("id")
        return (
            Observation.objects.for_org(self.org)
            .select_related("member", "observer", "model")
            .prefetch_related(Prefetch("ratings", ratings))
        )

    def owners(self):
        return self.members()


OBSERVATION_EXAMPLES = bulk_examples(
    OBSERVATION_EXAMPLE, {**OBSERVATION_EXAMPLE, "member": "E0043", "external_id": "obs-124"}
)


@extend_schema_view(
    post=write_schema("Observation", ObservationWriteSerializer, ObservationSerializer, examples=OBSERVATION_EXAMPLES)
)
class ObservationListApi(_FieldListApi, _ObservationApi):
    """Observations and coachings, newest first; a POST records one or a list."""

    moment_field, person_field, owner_field = "observed_at", "observer", "member"
    write_serializer = ObservationWriteSerializer

    def read_item(self, item, now):
        return _read_observation(item, now)

    def owner_error(self, code, owner):
        return None if owner is not None else _("Unknown member code: %(code)s.") % {"code": code}

    def create_or_get(self, items):
        # The services take ratings as (behavior, level) pairs.
        items = [{**item, "ratings": [(r["behavior"], r["level"]) for r in item["ratings"]]} for item in items]
        return observations_create_or_get(org=self.org, items=items)


class ObservationDetailApi(mixins.RetrieveModelMixin, _ObservationApi):
    def get(self, request, external_id):
        return self.retrieve(request, external_id=external_id)


# --- animations ------------------------------------------------------------------------------


class AnimationSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)
    held_by = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    attendees = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    dimensions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    held_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Animation
        fields = ["external_id", "team", "held_by", "held_at", "kind", "topic", "attendees", "dimensions", "created_at"]


class AnimationWriteSerializer(StrictSerializer):
    team = StrictCharField(help_text="The team's code.")
    held_by = serializers.EmailField(
        required=False, allow_null=True, allow_blank=True, help_text="E-mail of a user of the organization."
    )
    held_at = MomentField(help_text="ISO 8601 with its offset.")
    kind = serializers.ChoiceField(choices=AnimationKind.choices)
    topic = StrictCharField(required=False, allow_blank=True, max_length=300, default="")
    attendees = serializers.ListField(child=StrictCharField(), required=False, default=list, help_text="Member codes.")
    dimensions = serializers.ListField(
        child=StrictCharField(), required=False, default=list, help_text="Dimension codes of the active model."
    )
    external_id = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=128, default=None)


_ANIMATION_FIELDS = frozenset(AnimationWriteSerializer().fields)
_ANIMATION_KINDS = frozenset(AnimationKind.values)


def _read_animation(item: dict, now) -> dict | None:
    """What AnimationWriteSerializer returns for a well-formed item, or None."""
    if not item.keys() <= _ANIMATION_FIELDS:
        return None
    values = {"team": _text(item.get("team"))}
    if not values["team"] or not _read_email(item, "held_by", values):
        return None
    if not _read_moment(item, "held_at", values, now):
        return None
    kind = item.get("kind")
    if type(kind) is not str or kind not in _ANIMATION_KINDS:
        return None
    values["kind"] = kind
    if not _read_texts(item, values, {"topic": 300}):
        return None
    if not (_read_codes(item, "attendees", values) and _read_codes(item, "dimensions", values)):
        return None
    if not _read_external_id(item, values):
        return None
    return values


ANIMATION_EXAMPLE = {
    "team": "T-LILLE-1",
    "held_at": "2026-03-02T08:30:00+01:00",
    "kind": "briefing",
    "attendees": ["E0042"],
    "dimensions": ["accueil"],
    "external_id": "anim-9",
}


class _AnimationApi(_FieldApiView):
    model = Animation
    serializer_class = AnimationSerializer
    scope_prefix = "team__"

    def records(self):
        return (
            Animation.objects.for_org(self.org)
            .select_related("team", "held_by")
            .prefetch_related("attendees", "dimensions")
        )

    def owners(self):
        return self.units()


ANIMATION_EXAMPLES = bulk_examples(
    ANIMATION_EXAMPLE, {**ANIMATION_EXAMPLE, "kind": "challenge", "external_id": "anim-10"}
)


@extend_schema_view(
    post=write_schema("Animation", AnimationWriteSerializer, AnimationSerializer, examples=ANIMATION_EXAMPLES)
)
class AnimationListApi(_FieldListApi, _AnimationApi):
    """Team animations (briefings, challenges, trainings, rituals), newest first; a POST records
    one or a list."""

    moment_field, person_field, owner_field = "held_at", "held_by", "team"
    write_serializer = AnimationWriteSerializer

    def read_item(self, item, now):
        return _read_animation(item, now)

    def owner_error(self, code, owner):
        if owner is None:
            return _("Unknown unit code: %(code)s.") % {"code": code}
        if owner.kind != UnitKind.TEAM:
            return _("%(code)s is not a team.") % {"code": owner.code}
        return None

    def create_or_get(self, items):
        return animations_create_or_get(org=self.org, items=items)


class AnimationDetailApi(mixins.RetrieveModelMixin, _AnimationApi):
    def get(self, request, external_id):
        return self.retrieve(request, external_id=external_id)
