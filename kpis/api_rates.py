"""REST reads of the engine's figures: ``/api/v1/rates/`` and ``/api/v1/kpis/`` (SPEC §8), answered
from the snapshots (kpis.engine.rates, kpis.engine.surveys), protected for the reader
(kpis.engine.readers); a figure with no data is ``null``."""

import datetime
from collections.abc import Sequence

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers

from cxtracker.api import ERROR_RESPONSE, FROM_PARAM, TO_PARAM, OrgApiView
from cxtracker.months import Month, periods_between
from cxtracker.tenancy.access import can_read_all
from cxtracker.tenancy.models import KIND_RANK, OrgUnit, Tree, UnitKind
from kpis.models import SurveyTrigger

from .engine.rates import rates_read
from .engine.readers import Reader
from .engine.surveys import BREAKDOWNS as KPI_FILTERS
from .engine.surveys import kpis_read
from .engine.targets import Target

LEVELS = (*UnitKind.values, "organization")
# A year of months by default; at most ten years of periods in one request.
DEFAULT_MONTHS = 12
MAX_PERIODS = 530

UNIT_PARAM = OpenApiParameter("unit", OpenApiTypes.STR, description="A unit code: its figures (its subtree's sums).")
LEVEL_PARAM = OpenApiParameter(
    "level",
    OpenApiTypes.STR,
    enum=list(LEVELS),
    description="Every unit of that kind (within `unit` when given); `organization` for the whole organization.",
)
TREE_PARAM = OpenApiParameter(
    "tree",
    OpenApiTypes.STR,
    enum=list(Tree.values),
    description="`as-is` (default): every month rolled up in today's tree. `as-was`: each month in the tree "
    "of that month (a unit moved in June counts under its old parent until May).",
)


def _period_param(kinds):
    return OpenApiParameter("period", OpenApiTypes.STR, enum=list(kinds), description="Default: month.")


class _FiguresApi(OrgApiView):
    period_kinds: tuple = ("month", "quarter")

    def _targets(self) -> list[Target]:
        params = self.request.query_params
        level = params.get("level") or None
        code = params.get("unit") or None
        if level is not None and level not in LEVELS:
            raise exceptions.ValidationError(
                {"level": [_("Choose one of: %(levels)s.") % {"levels": ", ".join(LEVELS)}]}
            )
        units = self.units()
        unit = None
        if code:
            unit = units.filter(code=code).first()
            if unit is None:
                raise exceptions.ValidationError({"unit": [_("Unknown unit code: %(code)s.") % {"code": code}]})
        whole_org = self.membership is None or can_read_all(self.membership)
        if level == "organization" or (level is None and unit is None):
            if unit is not None:
                raise exceptions.ValidationError({"level": [_("“organization” cannot be combined with a unit.")]})
            if whole_org:
                return [Target(None)]
            if level == "organization":
                raise exceptions.PermissionDenied(_("Your role sees only the units in your scope."))
            return [Target(u) for u in self._top_units(units)]
        if level is None:
            return [Target(unit)]
        chosen = units.filter(kind=level)
        if unit is not None:
            if KIND_RANK[level] < KIND_RANK[unit.kind]:
                raise exceptions.ValidationError(
                    {
                        "level": [
                            _("%(unit)s is a %(kind)s: choose its level or one below.")
                            % {"unit": unit.code, "kind": unit.get_kind_display().lower()}
                        ]
                    }
                )
            chosen = chosen.filter(path__startswith=unit.path)
        return [Target(u) for u in chosen.order_by("path")]

    @staticmethod
    def _top_units(units) -> list[OrgUnit]:
        """The units of a manager's scope that are not inside another one."""
        units = list(units.order_by("path"))
        paths = [u.path for u in units]
        return [u for u in units if not any(p != u.path and u.path.startswith(p) for p in paths)]

    def _tree(self) -> str:
        tree = self.request.query_params.get("tree") or Tree.AS_IS
        if tree not in Tree.values:
            raise exceptions.ValidationError(
                {"tree": [_("Choose one of: %(trees)s.") % {"trees": ", ".join(Tree.values)}]}
            )
        return tree

    def _periods(self) -> list:
        kind = self.request.query_params.get("period") or "month"
        if kind not in self.period_kinds:
            raise exceptions.ValidationError(
                {"period": [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(self.period_kinds)}]}
            )
        start, end = self.date_range()  # [start, end) days, each None when not asked
        if end is None:
            end = Month.of(max(self.org.today(), start or self.org.today())).end_day
        last_day = end - datetime.timedelta(days=1)
        if start is None:
            start = Month.of(last_day).shift(1 - DEFAULT_MONTHS).first_day
        periods = periods_between(kind, start, last_day)
        if len(periods) > MAX_PERIODS:
            raise exceptions.ValidationError(
                {"from": [_("Ask for at most %(n)s periods at once.") % {"n": MAX_PERIODS}]}
            )
        return periods

    def _respond(self, targets: list[Target], periods: list, read):
        """The page asked for of the rows (unit, then period) that ``read(targets, periods)``
        answers, reading only the targets on that page."""
        page = self.paginate_queryset(_PagedRows(targets, periods, read))
        return self.get_paginated_response(page)


class _PagedRows(Sequence):
    """One row per (target, period), targets first: what the paginator counts and slices. A slice
    reads only the targets it covers (a target's row does not depend on the others': its sums are
    its own subtree's, and suppression is worked out over the whole organization anyway)."""

    def __init__(self, targets: list[Target], periods: list, read):
        self.targets, self.periods, self.read = targets, periods, read

    def __len__(self) -> int:
        return len(self.targets) * len(self.periods)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            position = index + len(self) if index < 0 else index
            if not 0 <= position < len(self):
                raise IndexError(index)
            return self[position : position + 1][0]
        start, stop, step = index.indices(len(self))
        if start >= stop:
            return []
        width = len(self.periods)
        first, last = start // width, (stop - 1) // width
        rows = self.read(self.targets[first : last + 1], self.periods)
        return rows[start - first * width : stop - first * width : step]


class DimensionFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    transformation_rate = serializers.FloatField(allow_null=True)
    assessed_share = serializers.FloatField(allow_null=True)
    known_share = serializers.FloatField(allow_null=True)
    mastered_share = serializers.FloatField(allow_null=True)


class RateSerializer(serializers.Serializer):
    unit = serializers.CharField(allow_null=True, help_text="The unit's code; null for the whole organization.")
    unit_name = serializers.CharField()
    kind = serializers.CharField(help_text="team, business_unit, region or organization.")
    period = serializers.CharField(help_text="YYYY-MM, or YYYY-Qn with period=quarter.")
    active_members = serializers.IntegerField(allow_null=True, help_text="Active in the period's last month.")
    coached_members = serializers.IntegerField(
        allow_null=True, help_text="Coached members; over a quarter, the sum of its months (member-months)."
    )
    animations = serializers.IntegerField(allow_null=True, help_text="Animations held in the period.")
    coverage = serializers.FloatField(allow_null=True)
    cadence = serializers.FloatField(allow_null=True)
    deployment_rate = serializers.FloatField(allow_null=True)
    transformation_rate = serializers.FloatField(allow_null=True)
    assessed_share = serializers.FloatField(allow_null=True)
    known_share = serializers.FloatField(allow_null=True)
    mastered_share = serializers.FloatField(allow_null=True)
    dimensions = DimensionFigureSerializer(many=True)
    suppressed = serializers.BooleanField(
        help_text="The group has fewer active members than the organization's minimum group size: its "
        "member-derived figures are hidden from the roles above the managers."
    )


class KpiSerializer(serializers.Serializer):
    unit = serializers.CharField(allow_null=True, help_text="The unit's code; null for the whole organization.")
    unit_name = serializers.CharField()
    kind = serializers.CharField(help_text="team, business_unit, region or organization.")
    period = serializers.CharField(help_text="YYYY-MM, YYYY-Www or YYYY-Qn.")
    nps = serializers.FloatField(allow_null=True)
    nps_n = serializers.IntegerField()
    nps_margin_of_error = serializers.FloatField(allow_null=True)
    nps_low_sample = serializers.BooleanField()
    csat = serializers.FloatField(allow_null=True)
    csat_mean = serializers.FloatField(allow_null=True)
    csat_n = serializers.IntegerField()
    csat_low_sample = serializers.BooleanField()
    ces = serializers.FloatField(allow_null=True)
    ces_easy_share = serializers.FloatField(allow_null=True)
    ces_n = serializers.IntegerField()
    ces_low_sample = serializers.BooleanField()


RATE_EXAMPLE = {
    "unit": "T-LILLE-1",
    "unit_name": "Lille 1",
    "kind": "team",
    "period": "2026-03",
    "active_members": 12,
    "coached_members": 9,
    "animations": 4,
    "coverage": 0.75,
    "cadence": 1.0,
    "deployment_rate": 0.875,
    "transformation_rate": 0.41,
    "assessed_share": 0.8,
    "known_share": 0.7,
    "mastered_share": 0.12,
    "suppressed": False,
    "dimensions": [
        {
            "code": "accueil",
            "name": "Accueil",
            "transformation_rate": 0.5,
            "assessed_share": 0.9,
            "known_share": 0.8,
            "mastered_share": 0.2,
        }
    ],
}
KPI_EXAMPLE = {
    "unit": "T-LILLE-1",
    "unit_name": "Lille 1",
    "kind": "team",
    "period": "2026-03",
    "nps": 32.5,
    "nps_n": 120,
    "nps_margin_of_error": 14.1,
    "nps_low_sample": False,
    "csat": 81.0,
    "csat_mean": 4.2,
    "csat_n": 118,
    "csat_low_sample": False,
    "ces": 5.6,
    "ces_easy_share": 0.78,
    "ces_n": 90,
    "ces_low_sample": False,
}


class RatesApi(_FiguresApi):
    """Deployment and transformation rates per unit and period, from the snapshots.

    Without ``unit`` or ``level``: the whole organization. Periods are months (the rate at the
    end of the month) or quarters (deployment over the quarter's member-months, transformation
    at the quarter's end); by default the last 12 months.
    """

    serializer_class = RateSerializer

    @extend_schema(
        parameters=[UNIT_PARAM, LEVEL_PARAM, FROM_PARAM, TO_PARAM, _period_param(("month", "quarter")), TREE_PARAM],
        responses={200: RateSerializer(many=True), 400: ERROR_RESPONSE},
        examples=[OpenApiExample("A team's month", value=RATE_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        reader = Reader.of(self.membership)  # an API key (no membership) is an admin's integration
        tree = self._tree()
        return self._respond(
            self._targets(),
            self._periods(),
            lambda targets, periods: rates_read(
                org=self.org, reader=reader, targets=targets, periods=periods, tree=tree
            ),
        )


class KpisApi(_FiguresApi):
    """NPS, CSAT and CES per unit and period with n, margin of error and low-sample flags.

    Filters ``journey``, ``segment``, ``channel`` and ``trigger`` (``event`` hot, ``periodic`` cold)
    keep the responses of that value. Periods: week (ISO), month or quarter.
    """

    serializer_class = KpiSerializer
    period_kinds = ("week", "month", "quarter")

    @extend_schema(
        parameters=[
            UNIT_PARAM,
            LEVEL_PARAM,
            FROM_PARAM,
            TO_PARAM,
            _period_param(("week", "month", "quarter")),
            TREE_PARAM,
            *(OpenApiParameter(f, OpenApiTypes.STR) for f in KPI_FILTERS),
        ],
        responses={200: KpiSerializer(many=True), 400: ERROR_RESPONSE},
        examples=[OpenApiExample("A team's month", value=KPI_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        filters = {}
        for name in KPI_FILTERS:
            value = request.query_params.get(name)
            if value is not None and value != "":
                if len(value) > 64:
                    raise exceptions.ValidationError({name: [_("At most 64 characters.")]})
                if name == "trigger" and value not in SurveyTrigger.values:
                    raise exceptions.ValidationError(
                        {name: [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(SurveyTrigger.values)}]}
                    )
                filters[name] = value
        tree = self._tree()
        return self._respond(
            self._targets(),
            self._periods(),
            lambda targets, periods: kpis_read(
                org=self.org, targets=targets, periods=periods, filters=filters, tree=tree
            ),
        )
