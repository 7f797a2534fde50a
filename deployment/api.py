"""REST endpoints of the field data: ``/api/v1/observations/`` and ``/api/v1/animations/``.

The deployment services validate and write (idempotent by ``external_id``); this module turns
codes and e-mails into the organization's rows, within the caller's scope: a manager's session
reaches the members and teams of their units only, and is itself the observer.
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from cxtracker.api import (
    FROM_PARAM,
    TO_PARAM,
    UNIT_PARAM,
    MomentField,
    OrgApiView,
    StrictCharField,
    StrictSerializer,
    bulk_apply,
    bulk_examples,
    errors_of,
    write_items,
    write_response,
    write_schema,
)
from cxtracker.tenancy.access import FIELD_WRITE_ROLES
from cxtracker.tenancy.models import UnitKind

from .models import Animation, AnimationKind, Observation, ObservationKind, Rating
from .services import animation_create_or_get, observation_create_or_get

# --- shared ----------------------------------------------------------------------------------


class _FieldApiView(OrgApiView):
    write_roles = FIELD_WRITE_ROLES
    lookup_field = lookup_url_kwarg = "external_id"

    def person(self, email, field: str, errors: dict):
        """The user behind ``email``: through a session the caller, through a key a user of the
        organization (or nobody)."""
        if self.membership is not None:
            if email not in (None, "") and email.lower() != self.request.user.email.lower():
                errors[field] = [_("Through a session, this is you: leave it out or give your own e-mail.")]
            return self.request.user
        if not email:
            return None
        user = (
            get_user_model()
            .objects.filter(email__iexact=email, memberships__organization=self.org)
            .order_by("pk")
            .first()
        )
        if user is None:
            errors[field] = [_("No user of the organization has this e-mail.")]
        return user


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
    level = serializers.IntegerField(help_text="1 Unknown, 2 Known, 3 Applied, 4 Mastered.")


class ObservationWriteSerializer(StrictSerializer):
    member = StrictCharField(help_text="The member's code.")
    observer = serializers.EmailField(
        required=False, allow_null=True, allow_blank=True, help_text="E-mail of a user of the organization."
    )
    observed_at = MomentField(help_text="ISO 8601 with its offset.")
    kind = serializers.ChoiceField(choices=ObservationKind.choices, default=ObservationKind.OBSERVATION)
    ratings = RatingWriteSerializer(many=True)
    strengths = StrictCharField(required=False, allow_blank=True, default="")
    development_points = StrictCharField(required=False, allow_blank=True, default="")
    next_step = StrictCharField(required=False, allow_blank=True, default="")
    next_step_on = serializers.DateField(required=False, allow_null=True, default=None)
    external_id = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=128, default=None)


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


def _observations(org):
    ratings = Rating.objects.select_related("behavior").order_by("id")
    return (
        Observation.objects.for_org(org)
        .select_related("member", "observer", "model")
        .prefetch_related(Prefetch("ratings", ratings))
    )


class ObservationListApi(mixins.ListModelMixin, _FieldApiView):
    """Observations and coachings, newest first; a POST records one or a list."""

    model = Observation
    serializer_class = ObservationSerializer

    def org_queryset(self):
        return _observations(self.org).filter(self.scope_q("member__team__"))

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "member__team__")
        return self.moment_filter(queryset, "observed_at")

    @extend_schema(parameters=[UNIT_PARAM, FROM_PARAM, TO_PARAM])
    def get(self, request):
        return self.list(request)

    @write_schema(
        "Observation",
        ObservationWriteSerializer,
        ObservationSerializer,
        examples=bulk_examples(
            OBSERVATION_EXAMPLE, {**OBSERVATION_EXAMPLE, "member": "E0043", "external_id": "obs-124"}
        ),
    )
    def post(self, request):
        items, bulk = write_items(request)
        result, objects = bulk_apply(items, self._write)
        return write_response(
            result, bulk, lambda: ObservationSerializer(_observations(self.org).get(pk=objects[0].pk)).data
        )

    def _write(self, item: dict):
        values, errors = _validated(ObservationWriteSerializer, item)
        observer = self.person(item.get("observer"), "observer", errors) if "observer" not in errors else None
        member = None
        if "member" in values:
            member = self.members().filter(code=values["member"]).first()
            if member is None:
                errors["member"] = [_("Unknown member code: %(code)s.") % {"code": values["member"]}]
        if errors:
            raise serializers.ValidationError(errors)
        observation, created = observation_create_or_get(
            org=self.org,
            member=member,
            observer=observer,
            observed_at=values["observed_at"],
            kind=values["kind"],
            ratings=[(r["behavior"], r["level"]) for r in values["ratings"]],
            strengths=values["strengths"],
            development_points=values["development_points"],
            next_step=values["next_step"],
            next_step_on=values["next_step_on"],
            external_id=values["external_id"] or None,
        )
        if not created and not self.members().filter(pk=observation.member_id).exists():
            # Someone else's observation (out of a manager's scope): do not show it.
            raise serializers.ValidationError(_external_id_taken(Observation))
        return observation, "created" if created else "duplicate"


class ObservationDetailApi(mixins.RetrieveModelMixin, _FieldApiView):
    model = Observation
    serializer_class = ObservationSerializer

    def org_queryset(self):
        return _observations(self.org).filter(self.scope_q("member__team__"))

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


ANIMATION_EXAMPLE = {
    "team": "T-LILLE-1",
    "held_at": "2026-03-02T08:30:00+01:00",
    "kind": "briefing",
    "attendees": ["E0042"],
    "dimensions": ["accueil"],
    "external_id": "anim-9",
}


def _animations(org):
    return Animation.objects.for_org(org).select_related("team", "held_by").prefetch_related("attendees", "dimensions")


class AnimationListApi(mixins.ListModelMixin, _FieldApiView):
    """Team animations (briefings, challenges, trainings, rituals), newest first; a POST records
    one or a list."""

    model = Animation
    serializer_class = AnimationSerializer

    def org_queryset(self):
        return _animations(self.org).filter(self.scope_q("team__"))

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "team__")
        return self.moment_filter(queryset, "held_at")

    @extend_schema(parameters=[UNIT_PARAM, FROM_PARAM, TO_PARAM])
    def get(self, request):
        return self.list(request)

    @write_schema(
        "Animation",
        AnimationWriteSerializer,
        AnimationSerializer,
        examples=bulk_examples(ANIMATION_EXAMPLE, {**ANIMATION_EXAMPLE, "kind": "challenge", "external_id": "anim-10"}),
    )
    def post(self, request):
        items, bulk = write_items(request)
        result, objects = bulk_apply(items, self._write)
        return write_response(
            result, bulk, lambda: AnimationSerializer(_animations(self.org).get(pk=objects[0].pk)).data
        )

    def _write(self, item: dict):
        values, errors = _validated(AnimationWriteSerializer, item)
        held_by = self.person(item.get("held_by"), "held_by", errors) if "held_by" not in errors else None
        team = None
        if "team" in values:
            team = self.units().filter(code=values["team"]).first()
            if team is None:
                errors["team"] = [_("Unknown unit code: %(code)s.") % {"code": values["team"]}]
            elif team.kind != UnitKind.TEAM:
                errors["team"] = [_("%(code)s is not a team.") % {"code": team.code}]
        if errors:
            raise serializers.ValidationError(errors)
        animation, created = animation_create_or_get(
            org=self.org,
            team=team,
            held_by=held_by,
            held_at=values["held_at"],
            kind=values["kind"],
            topic=values["topic"],
            dimensions=values["dimensions"],
            attendees=values["attendees"],
            external_id=values["external_id"] or None,
        )
        if not created and not self.units().filter(pk=animation.team_id).exists():
            raise serializers.ValidationError(_external_id_taken(Animation))
        return animation, "created" if created else "duplicate"


class AnimationDetailApi(mixins.RetrieveModelMixin, _FieldApiView):
    model = Animation
    serializer_class = AnimationSerializer

    def org_queryset(self):
        return _animations(self.org).filter(self.scope_q("team__"))

    def get(self, request, external_id):
        return self.retrieve(request, external_id=external_id)
