"""REST endpoints of the steering features: ``/api/v1/action-plans/`` and
``/api/v1/stakeholders/``.

Action plans are idempotent by ``external_id`` (required here): a second POST of a known external
id is a duplicate and changes nothing; PUT and PATCH at ``/api/v1/action-plans/<external_id>/``
change a plan. Codes and e-mails are resolved here, within the caller's scope (a manager's session
reaches the plans and units of their units); steering.services validates and writes.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.response import Response

from cxtracker.api import (
    MAX_YEAR,
    MIN_YEAR,
    UNIT_PARAM,
    BulkResult,
    OrgApiView,
    StrictCharField,
    StrictSerializer,
    bulk_examples,
    errors_of,
    update_schema,
    write_items,
    write_response,
    write_schema,
)
from cxtracker.tenancy.access import FIELD_WRITE_ROLES
from steering.kpi_codes import CODE_MAX_LENGTH
from steering.models import ACTION_PLAN_NOTES_MAX, ActionPlan, ActionPlanStatus, Stakeholder
from steering.selectors import stakeholder_list, stakeholders_for
from steering.services import PLAN_FIELDS, STAKEHOLDER_FIELDS, action_plan_update, action_plans_write

# --- action plans ------------------------------------------------------------------------------


class ActionPlanSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="email", read_only=True, allow_null=True)
    target_kpi = serializers.SerializerMethodField()
    target_dimension = serializers.SerializerMethodField()

    class Meta:
        model = ActionPlan
        fields = list(PLAN_FIELDS)

    def get_target_kpi(self, obj) -> str | None:
        return obj.target_kpi or None

    def get_target_dimension(self, obj) -> str | None:
        return obj.target_dimension or None


def _check_year(value):
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise serializers.ValidationError(_("Give a date between 1970 and 2999."))
    return value


class ActionPlanWriteSerializer(StrictSerializer):
    external_id = StrictCharField(max_length=128, help_text="Your id of the plan: the idempotency key.")
    title = StrictCharField(max_length=200)
    unit = StrictCharField(help_text="The code of the unit the plan is for (a team, a business unit, a region).")
    owner = serializers.EmailField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="E-mail of a user of the organization.",
    )
    target_kpi = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        max_length=CODE_MAX_LENGTH,
        help_text="nps, csat, ces, deployment_rate, transformation_rate, a metric code, or a survey KPI on one "
        "breakdown: nps.journey=purchase, csat.trigger=event, ces.channel=phone, nps.segment=loyalty-gold.",
    )
    target_dimension = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        max_length=64,
        help_text="A dimension code of the experience model.",
    )
    status = serializers.ChoiceField(choices=ActionPlanStatus.choices, default=ActionPlanStatus.PLANNED)
    start_on = serializers.DateField(validators=[_check_year])
    due_on = serializers.DateField(validators=[_check_year], help_text="Not before start_on.")
    done_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[_check_year],
        help_text="Only with status done (and then required); not before start_on, not in the future.",
    )
    notes = StrictCharField(
        required=False, allow_blank=True, default="", max_length=ACTION_PLAN_NOTES_MAX, trim_whitespace=False
    )


ACTION_PLAN_EXAMPLE = {
    "external_id": "ap-12",
    "title": "Accueil en moins de 30 secondes",
    "unit": "T-LILLE-1",
    "owner": "manager@example.com",
    "target_kpi": "nps",
    "target_dimension": None,
    "status": "in_progress",
    "start_on": "2026-03-01",
    "due_on": "2026-05-31",
    "done_on": None,
    "notes": "",
}


def _plans(org):
    return ActionPlan.objects.for_org(org).select_related("unit", "owner")


class _PlanApiView(OrgApiView):
    write_roles = FIELD_WRITE_ROLES

    def users_by_email(self, emails) -> dict:
        """The users of the organization behind ``emails`` (case-insensitive), by e-mail as given."""
        emails = {e for e in emails if isinstance(e, str) and e}
        if not emails:
            return {}
        users = (
            get_user_model()
            .objects.filter(memberships__organization=self.org)
            .annotate(email_upper=Upper("email"))
            .filter(email_upper__in={e.upper() for e in emails})
            .order_by("pk")
        )
        found = {}
        for user in users:
            found.setdefault(user.email_upper, user)
        return {e: found.get(e.upper()) for e in emails}

    def resolve(self, values: dict, errors: dict, units: dict, users: dict) -> dict:
        """Codes and e-mails → rows; an unknown one is an error on its field."""
        resolved = dict(values)
        if "unit" in values:
            resolved["unit"] = units.get(values["unit"])
            if resolved["unit"] is None:
                errors["unit"] = [_("Unknown unit code: %(code)s.") % {"code": values["unit"]}]
        if "owner" in values:
            email = values["owner"]
            resolved["owner"] = users.get(email) if email else None
            if email and resolved["owner"] is None:
                errors["owner"] = [_("No user of the organization has this e-mail.")]
        for name in ("target_kpi", "target_dimension"):
            if name in values:
                resolved[name] = values[name] or ""
        return resolved

    def units_by_code(self, codes) -> dict:
        codes = {c for c in codes if c}
        return {u.code: u for u in self.units().filter(code__in=codes)} if codes else {}


class ActionPlanListApi(mixins.ListModelMixin, _PlanApiView):
    """Action plans, by due date; a POST records one or a list, idempotent by ``external_id``."""

    model = ActionPlan
    serializer_class = ActionPlanSerializer

    def org_queryset(self):
        return _plans(self.org).filter(self.scope_q("unit__")).order_by("due_on", "external_id", "id")

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "unit__")
        status = self.request.query_params.get("status")
        if status:
            if status not in ActionPlanStatus.values:
                raise exceptions.ValidationError({"status": [_("Choose planned, in_progress, done or dropped.")]})
            queryset = queryset.filter(status=status)
        owner = self.request.query_params.get("owner")
        if owner:
            queryset = queryset.filter(owner__email__iexact=owner)
        return queryset

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            OpenApiParameter("status", OpenApiTypes.STR, enum=ActionPlanStatus.values),
            OpenApiParameter("owner", OpenApiTypes.STR, description="The owner's e-mail."),
        ]
    )
    def get(self, request):
        return self.list(request)

    @write_schema(
        "ActionPlan",
        ActionPlanWriteSerializer,
        ActionPlanSerializer,
        examples=bulk_examples(
            ACTION_PLAN_EXAMPLE,
            {**ACTION_PLAN_EXAMPLE, "external_id": "ap-13", "target_kpi": "csat.trigger=event", "status": "planned"},
        ),
    )
    def post(self, request):
        items, bulk = write_items(request)
        result = BulkResult(len(items))
        checked: list = []
        for item in items:
            if not isinstance(item, dict):
                checked.append(None)
                continue
            serializer = ActionPlanWriteSerializer(data=item)
            if serializer.is_valid():
                checked.append((dict(serializer.validated_data), {}))
            else:
                checked.append(({}, errors_of(serializers.ValidationError(serializer.errors))))
        units = self.units_by_code(values.get("unit") for values, _errors in filter(None, checked))
        users = self.users_by_email(values.get("owner") for values, _errors in filter(None, checked))
        writes, indexes = [], []
        for index, c in enumerate(checked):
            if c is None:
                result.reject(index, {"non_field_errors": [_("Expected an object.")]})
                continue
            values, errors = c
            resolved = self.resolve(values, errors, units, users) if values else {}
            if errors:
                result.reject(index, errors)
                continue
            writes.append(resolved)
            indexes.append(index)
        written = action_plans_write(org=self.org, items=writes) if writes else []
        # A duplicate of a plan the caller does not reach (another manager's unit) is not shown.
        duplicates = [plan.pk for plan, status, _errors in written if status == "duplicate"]
        visible = set(self.org_queryset().filter(pk__in=duplicates).values_list("pk", flat=True))
        stored = {}
        for index, (plan, status, errors) in zip(indexes, written, strict=True):
            if status == "rejected":
                result.reject(index, errors)
            elif status == "duplicate" and plan.pk not in visible:
                result.reject(index, {"external_id": [_("An action plan with this external id already exists.")]})
            else:
                result.set(index, status)
                stored[index] = plan
        return write_response(result, bulk, lambda: ActionPlanSerializer(_plans(self.org).get(pk=stored[0].pk)).data)


class ActionPlanDetailApi(mixins.RetrieveModelMixin, _PlanApiView):
    model = ActionPlan
    serializer_class = ActionPlanSerializer
    lookup_field = lookup_url_kwarg = "external_id"

    def org_queryset(self):
        return _plans(self.org).filter(self.scope_q("unit__")).exclude(external_id="")

    def get(self, request, external_id):
        return self.retrieve(request, external_id=external_id)

    def _update(self, request, partial: bool):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        with transaction.atomic():
            plan = self.get_object()
            data = request.data if partial else {"external_id": plan.external_id, **request.data}
            serializer = ActionPlanWriteSerializer(data=data, partial=partial)
            serializer.is_valid(raise_exception=True)
            values, errors = dict(serializer.validated_data), {}
            if values.get("external_id", plan.external_id) != plan.external_id:
                errors["external_id"] = [_("The external id is the one of the URL: it cannot change.")]
            values.pop("external_id", None)
            resolved = self.resolve(
                values,
                errors,
                self.units_by_code([values.get("unit")]),
                self.users_by_email([values.get("owner")]),
            )
            if errors:
                raise exceptions.ValidationError(errors)
            try:
                plan = action_plan_update(plan=plan, **resolved)
            except DjangoValidationError as exc:
                raise exceptions.ValidationError(errors_of(exc)) from None
        return Response(ActionPlanSerializer(_plans(self.org).get(pk=plan.pk)).data)

    @update_schema(
        ActionPlanWriteSerializer,
        ActionPlanSerializer,
        {k: v for k, v in ACTION_PLAN_EXAMPLE.items() if k != "external_id"},
    )
    def put(self, request, external_id):
        return self._update(request, partial=False)

    @update_schema(ActionPlanWriteSerializer, ActionPlanSerializer, {"status": "done", "done_on": "2026-05-28"})
    def patch(self, request, external_id):
        return self._update(request, partial=True)


# --- stakeholders ------------------------------------------------------------------------------


class StakeholderSerializer(serializers.ModelSerializer):
    users = serializers.SlugRelatedField(slug_field="email", many=True, read_only=True)
    units = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    kpis_for_action = serializers.ListField(child=serializers.CharField(), read_only=True)
    kpis_for_information = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Stakeholder
        fields = list(STAKEHOLDER_FIELDS)


class StakeholderListApi(mixins.ListModelMixin, OrgApiView):
    """The steering audiences: who receives which KPIs for action and for information, how often.
    Through a session: all of them for admins and executives, their own for steering members,
    none for managers."""

    model = Stakeholder
    serializer_class = StakeholderSerializer

    def org_queryset(self):
        if self.membership is None:
            return stakeholder_list(org=self.org)
        return stakeholders_for(self.membership)

    def get(self, request):
        return self.list(request)
