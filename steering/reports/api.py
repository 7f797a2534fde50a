"""``GET /api/v1/reports/<stakeholder-code>/<period>/``: a stakeholder's steering report as JSON, its
sections in the report's order (flagship, for action, for information), from the one builder the
page, the exports and the e-mails use (steering.reports.build.report_build).

The period follows the stakeholder's frequency (``YYYY-MM``, ``YYYY-Www`` or ``YYYY-Qn``) and must
be over: anything else is a 400. An unknown stakeholder, one of another organization, or one the
session's membership does not read (a steering member of another stakeholder, a manager) is a
404. Figures keep the engine's units: rates and shares in [0, 1], NPS in [−100, 100], CSAT in %,
CES a mean on 1–7; a change is this period's value minus the other's, in the same units.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from cxtracker.api import ERROR_RESPONSE, OrgApiView
from cxtracker.tenancy.access import READ_ALL_ROLES, access_or_404
from kpis.engine.readers import Reader
from steering.models import Stakeholder
from steering.reports.build import report_build
from steering.reports.periods import is_closed, period_parse, period_type, year_before
from steering.selectors import stakeholder_list, stakeholders_for

FORMATS = {"week": "YYYY-Www", "month": "YYYY-MM", "quarter": "YYYY-Qn"}


class ComparisonSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True, help_text="This period's value minus that period's.")
    p_value = serializers.FloatField(allow_null=True, help_text="Survey KPIs only (rates and metrics: null).")
    significant = serializers.BooleanField(help_text="After Benjamini–Hochberg at 5 % over the report's tests.")
    suppressed = serializers.BooleanField(help_text="A small group's rate, hidden.")


class PointSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    margin_of_error = serializers.FloatField(allow_null=True)
    low_sample = serializers.BooleanField()
    suppressed = serializers.BooleanField()


class SplitSerializer(serializers.Serializer):
    trigger = serializers.ChoiceField(choices=["event", "periodic"], help_text="event: hot; periodic: cold.")
    value = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()
    margin_of_error = serializers.FloatField(allow_null=True)
    low_sample = serializers.BooleanField()


class ReportPlanSerializer(serializers.Serializer):
    external_id = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    unit = serializers.CharField()
    owner = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["planned", "in_progress", "done"])
    start_on = serializers.DateField()
    due_on = serializers.DateField()
    done_on = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


class ReportKpiSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A kpis code: nps, csat.journey=purchase, transformation_rate, revenue…")
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["survey", "rate", "metric"])
    known = serializers.BooleanField(help_text="False: a metric the organization no longer has (no figures).")
    period = serializers.CharField(help_text="The figure's period: a month for a weekly report's rates and metrics.")
    unit_of_measure = serializers.CharField(allow_blank=True)
    value = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True, help_text="Responses (survey), active members (rates), else null.")
    margin_of_error = serializers.FloatField(allow_null=True, help_text="95 %, survey KPIs.")
    low_sample = serializers.BooleanField()
    suppressed = serializers.BooleanField()
    previous = ComparisonSerializer(allow_null=True)
    year_before = ComparisonSerializer(allow_null=True)
    trend = PointSerializer(many=True)
    hot_cold = SplitSerializer(many=True, allow_null=True)
    action_plans = ReportPlanSerializer(many=True)
    note = serializers.CharField(allow_blank=True)


class ReportSectionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["flagship", "action", "information"])
    title = serializers.CharField()
    kpis = ReportKpiSerializer(many=True)


class ReportStakeholderSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    frequency = serializers.ChoiceField(choices=["weekly", "monthly", "quarterly"])


class ReportSerializer(serializers.Serializer):
    stakeholder = ReportStakeholderSerializer()
    period = serializers.CharField()
    previous_period = serializers.CharField()
    year_before_period = serializers.CharField()
    units = serializers.ListField(child=serializers.CharField(), help_text="Units in scope; empty: the organization.")
    protected = serializers.BooleanField(help_text="Small groups' rates hidden (readers above the managers).")
    summary = serializers.ListField(child=serializers.CharField(), help_text="What changed, in plain words.")
    sections = ReportSectionSerializer(many=True)


def _comparison(c):
    if c is None:
        return None
    return {
        "period": c.period,
        "value": None if c.suppressed else c.value,
        "change": c.change,
        "p_value": c.p_value,
        "significant": c.significant,
        "suppressed": c.suppressed,
    }


def _kpi(kpi) -> dict:
    return {
        "code": kpi.code,
        "label": kpi.label,
        "kind": kpi.kind,
        "known": kpi.known,
        "period": kpi.period,
        "unit_of_measure": kpi.unit,
        "value": None if kpi.suppressed else kpi.value,
        "n": None if kpi.suppressed else kpi.n,
        "margin_of_error": kpi.margin,
        "low_sample": kpi.low_sample if kpi.kind == "survey" else False,
        "suppressed": kpi.suppressed,
        "previous": _comparison(kpi.previous),
        "year_before": _comparison(kpi.year_ago),
        "trend": [
            {
                "period": p.period,
                "value": None if p.suppressed else p.value,
                "n": p.n,
                "margin_of_error": p.margin,
                "low_sample": p.low_sample if kpi.kind == "survey" else False,
                "suppressed": p.suppressed,
            }
            for p in kpi.trend
        ],
        "hot_cold": None
        if kpi.hot_cold is None
        else [
            {"trigger": s.trigger, "value": s.value, "n": s.n, "margin_of_error": s.margin, "low_sample": s.low_sample}
            for s in kpi.hot_cold
        ],
        "action_plans": [
            {
                "external_id": p.external_id or None,
                "title": p.title,
                "unit": p.unit_code,
                "owner": p.owner or None,
                "status": p.status,
                "start_on": p.start_on,
                "due_on": p.due_on,
                "done_on": p.done_on,
                "overdue": p.overdue,
            }
            for p in kpi.plans
        ],
        "note": kpi.note,
    }


def report_data(report) -> dict:
    """The report as the API answers it."""
    return {
        "stakeholder": {
            "code": report.stakeholder.code,
            "name": report.stakeholder.name,
            "frequency": report.stakeholder.frequency,
        },
        "period": str(report.period),
        "previous_period": str(report.period.previous()),
        "year_before_period": str(year_before(report.period)),
        "units": [u.code for u in report.scope],
        "protected": report.protect,
        "summary": report.summary,
        "sections": [{"key": s.key, "title": s.title, "kpis": [_kpi(k) for k in s.kpis]} for s in report.sections],
    }


REPORT_EXAMPLE = {
    "stakeholder": {"code": "reseau", "name": "Réseau magasins", "frequency": "monthly"},
    "period": "2026-11",
    "previous_period": "2026-10",
    "year_before_period": "2025-11",
    "units": [],
    "protected": True,
    "summary": ["NPS rose by 13.1 pts against November 2025, from 8.4 to 21.5."],
    "sections": [
        {
            "key": "flagship",
            "title": "Flagship KPI",
            "kpis": [
                {
                    "code": "nps",
                    "label": "NPS",
                    "kind": "survey",
                    "known": True,
                    "period": "2026-11",
                    "unit_of_measure": "",
                    "value": 21.5139,
                    "n": 2008,
                    "margin_of_error": 3.5531,
                    "low_sample": False,
                    "suppressed": False,
                    "previous": {
                        "period": "2026-10",
                        "value": 22.0262,
                        "change": -0.5123,
                        "p_value": 0.84,
                        "significant": False,
                        "suppressed": False,
                    },
                    "year_before": {
                        "period": "2025-11",
                        "value": 8.4402,
                        "change": 13.0737,
                        "p_value": 0.0000001,
                        "significant": True,
                        "suppressed": False,
                    },
                    "trend": [
                        {
                            "period": "2026-11",
                            "value": 21.5139,
                            "n": 2008,
                            "margin_of_error": 3.5531,
                            "low_sample": False,
                            "suppressed": False,
                        }
                    ],
                    "hot_cold": [
                        {"trigger": "event", "value": 21.39, "n": 1496, "margin_of_error": 4.1, "low_sample": False},
                        {"trigger": "periodic", "value": 21.875, "n": 512, "margin_of_error": 7.0, "low_sample": False},
                    ],
                    "action_plans": [],
                    "note": "",
                }
            ],
        },
        {"key": "action", "title": "For action", "kpis": []},
        {"key": "information", "title": "For information", "kpis": []},
    ],
}


@extend_schema(tags=["steering"])
class ReportApi(OrgApiView):
    """A stakeholder's report for one closed period: the flagship KPI, then the KPIs for action,
    then those for information, each with its value, n and margin, its trend, its change against
    the previous period and the same period a year before (survey KPIs tested, the tests corrected
    together by Benjamini–Hochberg), its hot / cold split and its related action plans; and the
    "what changed" sentences. Through a session: admins and executives read every stakeholder's,
    steering members those they belong to."""

    serializer_class = ReportSerializer

    def _stakeholder(self, code: str) -> Stakeholder:
        if self.membership is None:
            return access_or_404(stakeholder_list(org=self.org), self.org, code=code)
        if self.membership.role not in READ_ALL_ROLES:
            raise exceptions.NotFound()
        return access_or_404(stakeholders_for(self.membership), self.org, code=code)

    @extend_schema(
        responses={200: ReportSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        examples=[OpenApiExample("A monthly report", value=REPORT_EXAMPLE, response_only=True)],
    )
    def get(self, request, code, period):
        stakeholder = self._stakeholder(code)
        try:
            parsed = period_parse(stakeholder, period)
        except ValueError:
            kind = period_type(stakeholder).kind
            raise exceptions.ValidationError(
                {
                    "period": [
                        _("This stakeholder reports %(frequency)s: give a period as %(format)s.")
                        % {"frequency": stakeholder.get_frequency_display().lower(), "format": FORMATS[kind]}
                    ]
                }
            ) from None
        if not is_closed(self.org, parsed):
            raise exceptions.ValidationError({"period": [_("This period is not over yet.")]})
        reader = Reader.of(self.membership)  # an API key is an admin's integration, as for /rates/
        report = report_build(org=self.org, stakeholder=stakeholder, period=parsed, reader=reader)
        return Response(ReportSerializer(report_data(report)).data)
