"""REST endpoints of the org structure and its people: ``/api/v1/units/`` and ``/api/v1/members/``.

Both are upserts by code (SPEC §8): a POST of a known code updates it and reports ``updated``.
Writes go through the tenancy services; concurrent creates of one code are settled by the
database's unique constraint (the loser updates the winner's row).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from cxtracker.api import (
    FROM_PARAM,
    MAX_YEAR,
    MIN_YEAR,
    TO_PARAM,
    UNIT_PARAM,
    DetailUpdateMixin,
    OrgApiView,
    StrictCharField,
    StrictSerializer,
    UpsertListMixin,
    bulk_examples,
    detail_update_schema,
    write_schema,
)
from cxtracker.months import Month

from .models import KIND_RANK, Member, Organization, OrgUnit, UnitKind, code_validator
from .services import member_create, member_update, unit_create, unit_update


def _validated(serializer_class, data: dict, partial: bool) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _upsert(rows, instance, values: dict, *, create, update, taken: str):
    """``(create(**values), "created")`` when no row has the code yet, else ``(update(instance),
    "updated")``. A concurrent create of the same code is settled by the unique constraint: the
    loser updates the winner's row. Changing the code to one another row has is refused."""
    if instance is None:
        try:
            with transaction.atomic():
                return create(**values), "created"
        except IntegrityError:
            # Created by a concurrent request since we looked: update it instead.
            instance = rows.select_for_update().get(code=values["code"])
    try:
        with transaction.atomic():
            return update(instance), "updated"
    except IntegrityError:
        raise ValidationError({"code": taken}) from None


def _check_year(value: datetime.date) -> datetime.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise serializers.ValidationError(_("Give a date between 1970 and 2999."))
    return value


# --- units -----------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "kind", "parent"]


class UnitWriteSerializer(StrictSerializer):
    code = StrictCharField(max_length=64, validators=[code_validator])
    name = StrictCharField(max_length=200)
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    parent = StrictCharField(allow_null=True, required=False, default=None, help_text="The parent unit's code.")
    effective_month = StrictCharField(
        required=False,
        help_text="YYYY-MM: the month a move (or a new unit) takes effect in the tree of each month. A move "
        "defaults to the current month, a new unit to the beginning.",
    )

    def validate_effective_month(self, value: str) -> datetime.date:
        month = Month.parse_or_none(value.strip())
        if month is None or not MIN_YEAR <= month.year <= MAX_YEAR:
            raise serializers.ValidationError(_("Give a month as YYYY-MM (for example 2026-03)."))
        return month.first_day


def _check_kind_change(unit: OrgUnit, kind: str) -> None:
    if kind == unit.kind:
        return
    if unit.kind == UnitKind.TEAM and unit.members.exists():
        raise ValidationError({"kind": _("This team has members: it must stay a team.")})
    if any(KIND_RANK[child.kind] <= KIND_RANK[kind] for child in unit.children.all()):
        raise ValidationError({"kind": _("Its sub-units cannot sit under a %(kind)s.") % {"kind": kind}})


def unit_write(*, org: Organization, data: dict, instance: OrgUnit | None = None, partial=False):
    """Create or update one unit from API data; ``(unit, status)``."""
    values = _validated(UnitWriteSerializer, data, partial)
    units = OrgUnit.objects.for_org(org)
    if instance is None:
        instance = units.select_for_update().filter(code=values["code"]).first()
    if "parent" in values:
        parent = None
        if values["parent"] is not None:
            parent = units.filter(code=values["parent"]).first()
            if parent is None:
                raise ValidationError({"parent": _("Unknown unit code: %(code)s.") % {"code": values["parent"]}})
        values["parent"] = parent

    effective_month = values.pop("effective_month", None)

    def create(**fields):
        OrgUnit(organization=org, **fields).clean()
        return unit_create(org=org, effective_month=effective_month, **fields)

    def update(unit):
        if "kind" in values:
            _check_kind_change(unit, values["kind"])
        for name, value in values.items():
            setattr(unit, name, value)
        unit.clean()
        return unit_update(unit=unit, effective_month=effective_month, **values)

    taken = _("Another unit already has this code.")
    return _upsert(units, instance, values, create=create, update=update, taken=taken)


UNIT_CHANGE = {"name": "Lille Centre", "kind": "team", "parent": "BU-LILLE", "effective_month": "2026-06"}
UNIT_EXAMPLES = bulk_examples(
    {"code": "R-NORD", "name": "Nord", "kind": "region", "parent": None},
    {"code": "BU-LILLE", "name": "Lille", "kind": "business_unit", "parent": "R-NORD"},
)


class _UnitApi(OrgApiView):
    model = OrgUnit
    serializer_class = UnitSerializer

    def org_queryset(self):
        return self.units().select_related("parent")

    def write(self, **kwargs):
        return unit_write(org=self.org, **kwargs)


@extend_schema_view(post=write_schema("Unit", UnitWriteSerializer, UnitSerializer, upsert=True, examples=UNIT_EXAMPLES))
class UnitListApi(mixins.ListModelMixin, UpsertListMixin, _UnitApi):
    """The org units; a POST creates or updates units by code (one object, or a list)."""

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "")
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in UnitKind.values:
                raise serializers.ValidationError({"kind": [_("Choose region, business_unit or team.")]})
            queryset = queryset.filter(kind=kind)
        return queryset

    @extend_schema(parameters=[UNIT_PARAM, OpenApiParameter("kind", OpenApiTypes.STR, enum=UnitKind.values)])
    def get(self, request):
        return self.list(request)


@detail_update_schema(UnitWriteSerializer, UnitSerializer, UNIT_CHANGE, {"name": "Lille Centre"})
class UnitDetailApi(mixins.RetrieveModelMixin, DetailUpdateMixin, _UnitApi):
    pass


# --- members ---------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Member
        fields = ["code", "name", "team", "active_from", "active_to"]


class MemberWriteSerializer(StrictSerializer):
    code = StrictCharField(max_length=64, validators=[code_validator])
    name = StrictCharField(max_length=200)
    team = StrictCharField(help_text="The code of the member's team.")
    active_from = serializers.DateField(validators=[_check_year])
    active_to = serializers.DateField(allow_null=True, required=False, default=None, validators=[_check_year])


def member_write(*, org: Organization, data: dict, instance: Member | None = None, partial=False):
    """Create or update one member from API data; ``(member, status)``."""
    values = _validated(MemberWriteSerializer, data, partial)
    members = Member.objects.for_org(org)
    if instance is None:
        instance = members.select_for_update().filter(code=values["code"]).first()
    if "team" in values:
        team = OrgUnit.objects.for_org(org).filter(code=values["team"]).first()
        if team is None:
            raise ValidationError({"team": _("Unknown unit code: %(code)s.") % {"code": values["team"]}})
        if team.kind != UnitKind.TEAM:
            raise ValidationError({"team": _("%(code)s is not a team.") % {"code": team.code}})
        values["team"] = team
    active_from = values.get("active_from", instance.active_from if instance else None)
    active_to = values.get("active_to", instance.active_to if instance else None)
    if active_to is not None and active_to < active_from:
        raise ValidationError({"active_to": _("The end date is before the start date.")})
    return _upsert(
        members,
        instance,
        values,
        create=lambda **fields: member_create(org=org, **fields),
        update=lambda member: member_update(member=member, **values),
        taken=_("Another member already has this code."),
    )


MEMBER_CHANGE = {"name": "Léa Martin", "team": "T-LILLE-2", "active_from": "2026-01-01", "active_to": None}
MEMBER_EXAMPLES = bulk_examples(
    {"code": "E0042", "name": "Léa Martin", "team": "T-LILLE-1", "active_from": "2026-01-01", "active_to": None},
    {"code": "E0043", "name": "Hugo Bernard", "team": "T-LILLE-1", "active_from": "2026-02-01", "active_to": None},
)


class _MemberApi(OrgApiView):
    model = Member
    serializer_class = MemberSerializer

    def org_queryset(self):
        return self.members().select_related("team")

    def write(self, **kwargs):
        return member_write(org=self.org, **kwargs)


@extend_schema_view(
    post=write_schema("Member", MemberWriteSerializer, MemberSerializer, upsert=True, examples=MEMBER_EXAMPLES)
)
class MemberListApi(mixins.ListModelMixin, UpsertListMixin, _MemberApi):
    """The members (frontline staff); a POST creates or updates members by code. ``from``/``to``
    keep those active at some point of the range."""

    def filter_queryset(self, queryset):
        queryset = self.unit_filter(queryset, "team__")
        start, end = self.date_range()
        if start or end:
            queryset = queryset.active_between(
                start or datetime.date(MIN_YEAR, 1, 1), (end or datetime.date(MAX_YEAR, 1, 1)) - datetime.timedelta(1)
            )
        return queryset

    @extend_schema(parameters=[UNIT_PARAM, FROM_PARAM, TO_PARAM])
    def get(self, request):
        return self.list(request)


@detail_update_schema(MemberWriteSerializer, MemberSerializer, MEMBER_CHANGE, {"active_to": "2026-06-30"})
class MemberDetailApi(mixins.RetrieveModelMixin, DetailUpdateMixin, _MemberApi):
    pass
