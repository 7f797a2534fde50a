"""KPI codes (steering.kpi_codes): what parses, what is refused and why, the organization's choices,
and the plans a chart of a unit draws (steering.selectors.action_plans_for_chart)."""

import datetime

import pytest

from cxtracker.months import Month
from kpis.models import Metric, TeamKpiSnapshot
from steering import kpi_codes
from steering.kpi_codes import KpiCode, KpiCodeError, parse
from steering.selectors import action_plans_for_chart
from steering.services import action_plan_create

METRICS = {"revenue", "handling_time"}


@pytest.mark.parametrize(
    ("code", "parsed", "kind"),
    [
        ("nps", KpiCode("nps"), "survey"),
        (" csat ", KpiCode("csat"), "survey"),
        ("ces.channel=phone", KpiCode("ces", "channel", "phone"), "survey"),
        ("nps.journey=after-sales contact", KpiCode("nps", "journey", "after-sales contact"), "survey"),
        ("csat.trigger=event", KpiCode("csat", "trigger", "event"), "survey"),
        ("nps.segment=loyalty.gold", KpiCode("nps", "segment", "loyalty.gold"), "survey"),
        ("deployment_rate", KpiCode("deployment_rate"), "rate"),
        ("transformation_rate", KpiCode("transformation_rate"), "rate"),
        ("revenue", KpiCode("revenue"), "metric"),
    ],
)
def test_codes_that_parse(code, parsed, kind):
    result = parse(code, metric_codes=METRICS)
    assert (result, result.kind) == (parsed, kind)
    assert str(parse(str(result), metric_codes=METRICS)) == str(result)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("happiness", "unknown_kpi"),
        ("nps.region=nord", "breakdown"),
        ("revenue.journey=purchase", "breakdown_not_survey"),
        ("transformation_rate.channel=store", "breakdown_not_survey"),
        ("nps.trigger=hot", "trigger"),
        ("nps.journey=", "syntax"),
        ("nps.journey=a=b", "syntax"),
        ("", "syntax"),
        ("nps journey", "syntax"),
        ("nps." + "x" * 200, "too_long"),
        (42, "syntax"),
    ],
)
def test_codes_refused_with_their_reason(code, reason):
    with pytest.raises(KpiCodeError) as caught:
        parse(code, metric_codes=METRICS)
    assert caught.value.reason == reason


def test_without_the_organizations_metrics_any_well_formed_code_passes():
    assert parse("happiness").kind == "metric"


def test_a_list_is_normalized_and_deduplicated():
    assert kpi_codes.normalize_list(["nps", " nps", "csat.trigger=event"]) == ["nps", "csat.trigger=event"]


def test_labels():
    names = {"nps": "NPS", "revenue": "Chiffre d'affaires"}
    assert kpi_codes.label("nps.journey=purchase", names=names, breakdown_names={"journey": "parcours"}) == (
        "NPS · parcours: purchase"
    )
    assert kpi_codes.label("revenue", names=names, breakdown_names={}) == "Chiffre d'affaires"


def test_the_organizations_choices_hold_its_metrics_and_its_breakdown_values(org, tree, other_org):
    Metric.objects.create(organization=org, code="revenue", name="Revenue", category="business")
    Metric.objects.create(organization=other_org, code="churn", name="Churn", category="business")
    TeamKpiSnapshot.objects.create(
        organization=org, team=tree["T1"], period_start=datetime.date(2026, 1, 1), breakdown="channel", value="store"
    )
    codes = dict(kpi_codes.kpi_code_choices(org=org))
    assert list(codes)[:6] == ["nps", "csat", "ces", "deployment_rate", "transformation_rate", "revenue"]
    assert "churn" not in codes
    assert {"nps.channel=store", "ces.channel=store", "csat.trigger=event", "nps.trigger=periodic"} <= set(codes)
    assert "revenue.channel=store" not in codes


def test_a_chart_draws_the_plans_of_the_units_subtree_that_overlap_its_months(org, tree):
    def plan(unit, start, due, **kwargs):
        return action_plan_create(
            org=org, title=f"{unit.code} {start}", unit=unit, start_on=start, due_on=due, **kwargs
        )

    D = datetime.date
    inside = plan(tree["T1"], D(2025, 2, 10), D(2025, 3, 10))
    on_bu = plan(tree["B"], D(2024, 12, 1), D(2025, 1, 15))
    done_early = plan(tree["T2"], D(2024, 11, 1), D(2025, 5, 1), status="done", done_on=D(2024, 12, 20))
    plan(tree["T2"], D(2025, 1, 1), D(2025, 2, 1), status="dropped")
    plan(tree["T3"], D(2025, 1, 1), D(2025, 2, 1))
    later = plan(tree["T1"], D(2025, 4, 1), D(2025, 5, 1))
    # An open plan past its due date runs until today: it overlaps every month since its start.
    late = plan(tree["T1"], D(2024, 10, 1), D(2024, 10, 31), status="in_progress")
    first, last = Month(2025, 1), Month(2025, 3)
    assert action_plans_for_chart(org=org, unit=tree["B"], first=first, last=last) == [late, on_bu, inside]
    assert action_plans_for_chart(org=org, unit=tree["T1"], first=first, last=last) == [late, inside]
    assert action_plans_for_chart(org=org, unit=tree["T1"], first=first, last=last, ancestors=True) == [
        late,
        on_bu,
        inside,
    ]
    assert len(action_plans_for_chart(org=org, unit=None, first=first, last=last)) == 4
    assert later not in action_plans_for_chart(org=org, unit=None, first=first, last=last)
    assert done_early not in action_plans_for_chart(org=org, unit=None, first=first, last=last)
