"""The steering report (steering.reports.build.report_build) and its page: sections in order, figures
equal to the engine's (kpis_read, rates_read), hand-computed where they cross units, significance
corrected over the report, the "what changed" sentences, plans, access and tenancy."""

import pytest
from django.urls import reverse
from django.utils import translation

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from kpis.engine import stats
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.surveys import kpis_read
from kpis.engine.targets import Target
from steering.reports.build import report_build
from steering.reports.periods import last_closed_period, periods_available
from tests.factories import make_membership, make_org, make_user
from tests.steering import report_data
from tests.steering.report_data import M, P, Y

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return report_data.build()


def _build(w, key, period=M, protect=True):
    return report_build(
        org=w["org"], stakeholder=w[key], period=period, reader=Reader.protected() if protect else Reader.unrestricted()
    )


def _kpi(report, code):
    return next(k for k in report.kpis if k.code == code)


def test_sections_come_in_order_and_each_kpi_once(w):
    report = _build(w, "b")
    assert [s.key for s in report.sections] == ["flagship", "action", "information"]
    codes = [[k.code for k in s.kpis] for s in report.sections]
    # nps is the flagship: it is not repeated among the KPIs for action.
    assert codes == [
        ["nps"],
        ["csat", "transformation_rate", "nps.journey=achat"],
        ["ces", "deployment_rate", "revenue"],
    ]


def test_survey_figures_are_the_engines(w):
    report = _build(w, "b")
    t1 = [Target(w["tree"]["T1"])]
    for code, filters in (("nps", {}), ("csat", {}), ("ces", {}), ("nps.journey=achat", {"journey": "achat"})):
        kpi = _kpi(report, code)
        name = code.split(".")[0]
        periods = [Month.parse(p.period) for p in kpi.trend]
        rows = kpis_read(org=w["org"], targets=t1, periods=[*periods, P, Y], filters=filters)
        by_period = {r["period"]: r for r in rows}
        assert kpi.value == by_period["2026-03"][name]
        assert kpi.n == by_period["2026-03"][f"{name}_n"]
        assert kpi.low_sample == by_period["2026-03"][f"{name}_low_sample"]
        if name == "nps":
            assert kpi.margin == by_period["2026-03"]["nps_margin_of_error"]
        assert [p.value for p in kpi.trend] == [by_period[p.period][name] for p in kpi.trend]
        assert [p.n for p in kpi.trend] == [by_period[p.period][f"{name}_n"] for p in kpi.trend]
        assert kpi.previous.value == by_period["2026-02"][name]
        assert kpi.year_ago.value == by_period["2025-03"][name]


def test_nps_of_the_flagship_by_hand(w):
    nps = _build(w, "a").flagship
    assert (nps.code, nps.value, nps.n, nps.margin) == ("nps", 25.0, 100, 16.2515)
    assert (nps.previous.period, nps.previous.value, nps.previous.change) == ("2026-02", 0.0, 25.0)
    assert (nps.year_ago.period, nps.year_ago.value, nps.year_ago.change) == ("2025-03", -50.0, 75.0)
    assert [p.period for p in nps.trend] == [str(m) for m in Month.range(Month(2025, 4), M)]
    # Hot: 50 promoters and 20 detractors of 70; cold: 5 detractors of 30.
    assert [(s.trigger, s.value, s.n) for s in nps.hot_cold] == [("event", 42.8571, 70), ("periodic", -16.6667, 30)]


def test_hot_cold_split_is_the_engines_trigger_filter(w):
    nps = _build(w, "a").flagship
    for split in nps.hot_cold:
        (row,) = kpis_read(
            org=w["org"], targets=[Target(w["tree"]["T1"])], periods=[M], filters={"trigger": split.trigger}
        )
        assert (split.value, split.n, split.margin) == (row["nps"], row["nps_n"], row["nps_margin_of_error"])


def test_rates_are_rates_read_protected(w):
    report = _build(w, "b")
    (row,) = rates_read(org=w["org"], targets=[Target(w["tree"]["T1"])], periods=[M], reader=Reader.protected())
    assert _kpi(report, "transformation_rate").value == row["transformation_rate"]
    assert _kpi(report, "deployment_rate").value == row["deployment_rate"]
    assert _kpi(report, "transformation_rate").suppressed == row["suppressed"]
    whole = _build(w, "org_wide")
    (row,) = rates_read(org=w["org"], targets=[Target(None)], periods=[M], reader=Reader.protected())
    assert _kpi(whole, "transformation_rate").value == row["transformation_rate"]
    assert [p.value for p in _kpi(whole, "transformation_rate").trend][-1] == row["transformation_rate"]


def test_an_admin_sees_the_small_groups_rates_a_protected_reader_does_not(w):
    # Gamma covers T1 and T3; T3 has 3 active members, fewer than the minimum group of 5.
    protected = _kpi(_build(w, "c", protect=True), "transformation_rate")
    assert protected.suppressed and protected.value is None
    assert protected.previous.change is None
    # Unprotected, the two subtrees summed: 3 members at level 3 on one behavior out of
    # (6 + 3) members × 4 behaviors → 3 × 2 / 3 / 36.
    admin = _kpi(_build(w, "c", protect=False), "transformation_rate")
    assert admin.value == round(6 / 3 / 36, 4) == 0.0556
    assert admin.n == 9


def test_several_units_read_as_one_are_the_sum_of_their_subtrees(w):
    """A target of several units sums their teams as a unit sums its subtree's: B's teams are T1 and
    T2, so Target(T1, T2) answers B's figures, by month and by quarter, and a unit inside another
    one of the target adds nothing."""
    from cxtracker.months import Quarter

    tree = w["tree"]
    reader = Reader.unrestricted()
    for periods in (Month.range(Y, M), [Quarter(2026, 1), Quarter(2025, 4)]):
        union = rates_read(org=w["org"], reader=reader, targets=[Target(tree["T1"], tree["T2"])], periods=periods)
        unit = rates_read(org=w["org"], reader=reader, targets=[Target(tree["B"])], periods=periods)
        nested = rates_read(org=w["org"], reader=reader, targets=[Target(tree["B"], tree["T1"])], periods=periods)
        keys = ("period", "active_members", "deployment_rate", "transformation_rate", "coverage", "cadence")
        for a, b, c in zip(union, unit, nested, strict=True):
            assert {k: a[k] for k in keys} == {k: b[k] for k in keys} == {k: c[k] for k in keys}


def test_several_units_sum_their_subtrees(w):
    report = _build(w, "c")
    # T1 (50 promoters, 25 detractors of 100) and T3 (10 detractors of 10).
    assert (report.flagship.value, report.flagship.n) == (round(100 * (50 - 35) / 110, 4), 110)
    # Revenue: the mean of the two teams' values.
    assert _kpi(report, "revenue").value == 2000.0
    assert _kpi(_build(w, "b"), "revenue").value == 1000.0


def test_significance_is_corrected_over_the_whole_report(w):
    change = stats.nps_change(
        {"promoters": 30, "detractors": 30, "nps_n": 100}, {"promoters": 50, "detractors": 25, "nps_n": 100}
    )
    assert 0.025 < change.p_value < 0.05
    # Alpha reports NPS alone (two tests): the change against February is significant.
    alone = _build(w, "a").flagship
    assert alone.previous.p_value == pytest.approx(change.p_value)
    assert alone.previous.significant and alone.year_ago.significant
    # Beta adds CSAT and CES (two more tests, no change): 0.028 is no longer a discovery.
    among = _build(w, "b").flagship
    assert among.previous.p_value == pytest.approx(change.p_value)
    assert not among.previous.significant
    assert among.year_ago.significant
    # Rates and metrics are not tested.
    assert _kpi(_build(w, "b"), "transformation_rate").previous.p_value is None


def test_what_changed_says_the_significant_changes_in_plain_words(w):
    with translation.override("en"):
        report = _build(w, "a")
    assert report.summary == [
        "NPS rose by 25.0\u00a0pts against February 2026, from 0.0 to 25.0.",
        "NPS rose by 75.0\u00a0pts against March 2025, from \u221250.0 to 25.0.",
        "1 related action plan is past its due date.",
    ]
    with translation.override("en"):
        beta = _build(w, "b")
    assert beta.summary[0] == "NPS rose by 75.0\u00a0pts against March 2025, from \u221250.0 to 25.0."
    assert not any("February" in s for s in beta.summary)


def test_related_plans_are_the_scopes_open_or_recent_ones_on_that_kpi(w):
    a = _build(w, "a").flagship
    assert [p.external_id for p in a.plans] == ["plan-t1-nps"]
    assert a.plans[0].overdue
    c = _build(w, "c").flagship
    assert [p.external_id for p in c.plans] == ["plan-t1-nps", "plan-t3-nps"]
    assert [p.external_id for p in _kpi(_build(w, "b"), "csat").plans] == ["plan-t1-csat"]


def test_periods_available_end_with_the_last_closed_one(w):
    stakeholder = w["a"]
    periods = periods_available(w["org"], stakeholder)
    assert periods[0] == last_closed_period(w["org"], stakeholder) == Month.of(w["org"].today()).previous()
    assert periods == sorted(periods, reverse=True)
    assert periods[-1] >= Y


# --- the page and its access ---------------------------------------------------------------------


def _url(w, key="a", period="2026-03", name="report"):
    return reverse(f"steering:{name}", kwargs={"org": "acme", "code": w[key].code, "period": period})


def test_steering_member_reads_their_stakeholders_report_in_order(client, w):
    client.force_login(w["steering_b"])
    response = client.get(_url(w, "b"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    positions = [body.index(f'data-code="{code}"') for code in ("nps", "csat", "transformation_rate", "ces", "revenue")]
    assert positions == sorted(positions)
    assert (
        body.index('id="section-flagship"') < body.index('id="section-action"') < body.index('id="section-information"')
    )
    assert "25.0" in body and "n&nbsp;=&nbsp;100" in body


@pytest.mark.parametrize("who", ["admin", "executive"])
def test_admins_and_executives_read_every_report(client, w, who):
    client.force_login(w[who])
    for key in ("a", "b", "c"):
        assert client.get(_url(w, key)).status_code == 200


def test_steering_member_of_another_stakeholder_gets_404(client, w):
    client.force_login(w["steering_a"])
    assert client.get(_url(w, "a")).status_code == 200
    for name in ("report", "report-pdf", "report-xlsx", "report-csv"):
        assert client.get(_url(w, "b", name=name)).status_code == 404
    home = client.get(reverse("steering:home", kwargs={"org": "acme"})).content.decode()
    assert "Alpha" in home and "Beta" not in home


def test_a_manager_has_no_reports_even_when_named_in_a_stakeholder(client, w):
    client.force_login(w["manager"])
    assert client.get(_url(w, "b")).status_code == 404
    assert client.get(reverse("steering:home", kwargs={"org": "acme"})).status_code == 404


def test_bad_or_open_periods_are_404(client, w):
    client.force_login(w["admin"])
    current = Month.of(w["org"].today())
    for period in ("2026-W10", "2026-Q1", "2026-13", "march", str(current), str(current.next())):
        assert client.get(_url(w, "a", period)).status_code == 404, period


def test_the_stakeholders_page_opens_its_last_closed_report(client, w):
    client.force_login(w["steering_a"])
    url = reverse("steering:stakeholder", kwargs={"org": "acme", "code": "sh-a"})
    last = Month.of(w["org"].today()).previous()
    assert client.get(url)["Location"] == _url(w, "a", str(last))
    assert client.get(url, {"period": "2026-03"})["Location"] == _url(w, "a", "2026-03")


def test_outsider_gets_404(client, w):
    charlie = make_user("charlie@example.com")
    make_membership(charlie, make_org("globex", "Globex"), Role.ADMIN)
    client.force_login(charlie)
    for name in ("report", "report-pdf", "report-xlsx", "report-csv"):
        assert client.get(_url(w, "a", name=name)).status_code == 404
    assert client.get(reverse("steering:home", kwargs={"org": "acme"})).status_code == 404


def test_another_organizations_stakeholder_is_404_under_ones_own_slug(client, w):
    """globex's admin asks for acme's stakeholder under globex's slug: the view's own fetch
    answers 404."""
    dora = make_user("dora@example.com")
    make_membership(dora, make_org("globex", "Globex"), Role.ADMIN)
    client.force_login(dora)
    url = reverse("steering:report", kwargs={"org": "globex", "code": "sh-a", "period": "2026-03"})
    assert client.get(url).status_code == 404
