"""``GET /api/v1/analysis/lag/``: after what delay, and by how much, transformation shows up in an
outcome, each team compared with itself (SPEC §4 "Lag analysis", §8).

The panel, the fit's choices and the words come from kpis.engine.panel (the snapshots), the
statistics from kpis.engine.lag (no Django), the sentence from kpis.engine.lag_text (translated).
"""

import math
import re

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from cxtracker.api import ERROR_RESPONSE, OrgApiView
from cxtracker.months import Month
from cxtracker.tenancy.access import can_read_all
from cxtracker.tenancy.models import OrgUnit, UnitKind

from .engine.lag import MAX_LAG
from .engine.panel import SURVEY_OUTCOMES, lag_fit, lag_words
from .models import Metric

# Two years of outcome months by default; at most ten in one request.
DEFAULT_MONTHS = 24
MAX_MONTHS = 120
DEFAULT_MAX_LAG = 6
_INT_RE = re.compile(r"^\d{1,3}$")


# --- the answer, for the schema --------------------------------------------------------------


class LagCurveEntrySerializer(serializers.Serializer):
    lag = serializers.IntegerField(help_text="k: the rate of month t−k against the outcome of month t; < 0 = lead.")
    slope = serializers.FloatField(help_text="Outcome units (or % for a log fit) per +10 points of transformation.")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    p_value = serializers.FloatField()
    r = serializers.FloatField(allow_null=True, help_text="Within-team (team and month demeaned) correlation.")
    pooled_r = serializers.FloatField(allow_null=True, help_text="Naive correlation across all team-months.")
    n = serializers.IntegerField(help_text="Team-months in the fit.")


class LagCumulativeSerializer(serializers.Serializer):
    slope = serializers.FloatField(help_text="Sum of the effects of lags 0…max_lag.")
    ci_low = serializers.FloatField()
    ci_high = serializers.FloatField()
    p_value = serializers.FloatField(allow_null=True)


class LagAnalysisSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="nps, csat, ces or a metric code.")
    method = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=["effect", "no_effect", "no_data", "too_few_teams", "too_few_rows", "no_variation", "fit_failed"],
        help_text="Why best_lag is what it is.",
    )
    best_lag = serializers.IntegerField(allow_null=True, help_text="Null: no detectable effect (see reason).")
    slope = serializers.FloatField(allow_null=True, help_text="At best_lag, per +10 points of transformation.")
    slope_unit = serializers.ChoiceField(choices=["outcome", "percent"], help_text="percent for a log fit.")
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    r = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(help_text="Team-months in the fit.")
    teams = serializers.IntegerField()
    months = serializers.IntegerField(help_text="Distinct outcome months in the fit.")
    max_lag = serializers.IntegerField()
    first_month = serializers.CharField(help_text="First outcome month (YYYY-MM).")
    last_month = serializers.CharField(help_text="Last outcome month (YYYY-MM).")
    log_outcome = serializers.BooleanField()
    higher_is_better = serializers.BooleanField()
    lead_test_p_value = serializers.FloatField(
        allow_null=True, help_text="Joint Wald test that both leads (placebo) are 0."
    )
    cumulative = LagCumulativeSerializer(allow_null=True)
    curve = LagCurveEntrySerializer(many=True)
    sentence = serializers.CharField()


LAG_EXAMPLE = {
    "outcome": "nps",
    "method": "Two-way fixed-effects distributed-lag regression (linearmodels PanelOLS): …",
    "reason": "effect",
    "best_lag": 2,
    "slope": 3.1,
    "slope_unit": "outcome",
    "ci_low": 2.2,
    "ci_high": 4.0,
    "p_value": 0.0001,
    "r": 0.41,
    "n": 410,
    "teams": 40,
    "months": 16,
    "max_lag": 6,
    "first_month": "2024-04",
    "last_month": "2026-03",
    "log_outcome": False,
    "higher_is_better": True,
    "lead_test_p_value": 0.6,
    "cumulative": {"slope": 3.0, "ci_low": 2.1, "ci_high": 3.9, "p_value": 0.0001},
    "curve": [
        {"lag": -2, "slope": 0.1, "ci_low": -0.8, "ci_high": 1.0, "p_value": 0.8, "r": 0.01, "pooled_r": 0.5, "n": 410},
        {"lag": 2, "slope": 3.1, "ci_low": 2.2, "ci_high": 4.0, "p_value": 1e-4, "r": 0.41, "pooled_r": 0.7, "n": 410},
    ],
    "sentence": "Mastery shows up in NPS after 2 months: +3.1 NPS points per +10 points of transformation "
    "(95% CI 2.2 to 4.0; 40 teams, 410 team-months). This is an association within teams, not a proof of causation.",
}


def _figure(value, digits=4):
    """Rounded for JSON; a non-finite figure is null (strict JSON has no NaN)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _p(value):
    """A p-value to 3 significant digits (a tiny one must not round to 0.0)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.3g}")


def _rounded(result: dict) -> dict:
    out = dict(result)
    for key in ("slope", "ci_low", "ci_high", "r"):
        out[key] = _figure(result[key])
    out["p_value"] = _p(result["p_value"])
    out["lead_test_p_value"] = _p(result["lead_test_p_value"])
    if result["cumulative"] is not None:
        c = result["cumulative"]
        out["cumulative"] = {
            "slope": _figure(c["slope"]),
            "ci_low": _figure(c["ci_low"]),
            "ci_high": _figure(c["ci_high"]),
            "p_value": _p(c["p_value"]),
        }
    out["curve"] = [
        {
            **entry,
            **{key: _figure(entry[key]) for key in ("slope", "ci_low", "ci_high", "r", "pooled_r")},
            "p_value": _p(entry["p_value"]),
        }
        for entry in result["curve"]
    ]
    return out


@extend_schema(tags=["analysis"])
class LagAnalysisApi(OrgApiView):
    """After what delay, and by how much, transformation shows up in an outcome.

    A two-way fixed-effects distributed-lag regression on the (team, month) panel: the outcome of
    month t on the transformation rate of months t−k for k = −2…max_lag jointly (the two leads
    are a placebo), with team and month effects, weighted by n for survey outcomes (team-months
    under the organization's minimum sample left out), standard errors clustered by team. A
    business metric whose values are all positive (and not a %) is fitted in logs: its slopes are
    in %. ``best_lag`` is the lag ≥ 0 with the strongest effect in the good direction whose 95%
    interval excludes 0, else null; ``sentence`` says it in the request's language.
    """

    serializer_class = LagAnalysisSerializer

    def _outcome(self) -> tuple[str, Metric | None]:
        code = self.request.query_params.get("outcome") or "nps"
        if code in SURVEY_OUTCOMES:
            return code, None
        metric = Metric.objects.for_org(self.org).filter(code=code).first()
        if metric is None:
            raise exceptions.ValidationError(
                {"outcome": [_("Unknown outcome: give nps, csat, ces or the code of one of your metrics.")]}
            )
        return code, metric

    def _max_lag(self) -> int:
        value = self.request.query_params.get("max_lag")
        if value is None or value == "":
            return DEFAULT_MAX_LAG
        if not _INT_RE.match(value) or int(value) > MAX_LAG:
            raise exceptions.ValidationError(
                {"max_lag": [_("Give a whole number of months from 0 to %(max)d.") % {"max": MAX_LAG}]}
            )
        return int(value)

    def _months(self) -> tuple[Month, Month]:
        params = self.request.query_params
        bounds = {}
        for name in ("from", "to"):
            value = params.get(name)
            if value:
                month = Month.parse_or_none(value)
                if month is None:
                    raise exceptions.ValidationError({name: [_("Give a month (YYYY-MM) between 1970 and 2999.")]})
                bounds[name] = month
        last = bounds.get("to") or Month.of(self.org.today())
        first = bounds.get("from") or last.shift(1 - DEFAULT_MONTHS)
        if first > last:
            raise exceptions.ValidationError({"to": [_("“to” is before “from”.")]})
        if last - first + 1 > MAX_MONTHS:
            raise exceptions.ValidationError({"from": [_("Ask for at most %(n)d months at once.") % {"n": MAX_MONTHS}]})
        return first, last

    def _unit(self) -> OrgUnit | None:
        code = self.request.query_params.get("unit")
        if not code:
            return None
        unit = self.units().filter(code=code).first()
        if unit is None:
            raise exceptions.ValidationError({"unit": [_("Unknown unit code: %(code)s.") % {"code": code}]})
        return unit

    def _scope_team_ids(self) -> set[int] | None:
        """The teams a scoped session may see; None for a key or a role reading everything."""
        if self.membership is None or can_read_all(self.membership):
            return None
        return set(self.units().filter(kind=UnitKind.TEAM).values_list("pk", flat=True))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "outcome",
                OpenApiTypes.STR,
                description="nps, csat, ces or the code of a metric of the organization. Default: nps.",
            ),
            OpenApiParameter(
                "max_lag",
                OpenApiTypes.INT,
                description=f"Longest delay tried, in months, 0 to {MAX_LAG}. Default: {DEFAULT_MAX_LAG}.",
            ),
            OpenApiParameter("unit", OpenApiTypes.STR, description="A unit code: the teams of its subtree."),
            OpenApiParameter(
                "from",
                OpenApiTypes.STR,
                description=f"First outcome month, YYYY-MM. Default: {DEFAULT_MONTHS - 1} months before `to`.",
            ),
            OpenApiParameter(
                "to", OpenApiTypes.STR, description="Last outcome month, YYYY-MM. Default: the current month."
            ),
        ],
        responses={200: LagAnalysisSerializer, 400: ERROR_RESPONSE, 403: ERROR_RESPONSE},
        examples=[OpenApiExample("NPS follows mastery after two months", value=LAG_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        code, metric = self._outcome()
        max_lag = self._max_lag()
        first, last = self._months()
        unit = self._unit()
        fit = lag_fit(
            org=self.org,
            outcome=code,
            metric=metric,
            unit=unit,
            first=first,
            last=last,
            max_lag=max_lag,
            team_ids=self._scope_team_ids(),
        )
        result = fit.result
        body = _rounded(result)
        body.update(
            slope_unit="percent" if fit.log_outcome else "outcome",
            first_month=str(first),
            last_month=str(last),
            higher_is_better=metric is None or metric.higher_is_better,
            sentence=lag_words(fit, code, metric)["sentence"],
        )
        return Response(LagAnalysisSerializer(body).data)
