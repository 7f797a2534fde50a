"""The manager's team dashboard: the figures draw the engine's numbers (rates_read, kpis_read), pinned
by hand here; the business unit and organization lines protect small groups from a manager who knows
their own team's figures; each chart's CSV holds the same rows, in the reader's spreadsheet's format;
other teams' managers and the roles above the managers get 404."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from cxtracker.months import Month
from cxtracker.tenancy.models import Role
from deployment.selectors import month_current
from deployment.services import observation_create
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.recompute import snapshots_recompute
from kpis.engine.targets import Target
from kpis.models import SurveyResponse
from tests.deployment.conftest import grow_teams
from tests.factories import make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """English pages and month names, so that assertions can quote them."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(name, org, **kwargs):
    return reverse(f"dashboards:{name}", kwargs={"org": org.slug, **kwargs})


def _months(org):
    current = month_current(org=org)
    return Month.range(current.shift(-11), current)


@pytest.fixture
def field(org, tree, members, behaviors, manager, recently):
    """Teams of 6, 6 and 6; in T1 Léa at level 2 last month, then 4 on accueil-1 this month and
    Hugo at 2 on conseil-1 this month; ten survey responses for T1 this month."""
    grow_teams(org, tree, {"T1": 6, "T2": 6, "T3": 6})
    current = month_current(org=org)
    last_month = datetime.datetime.combine(current.previous().first_day.replace(day=15), datetime.time(12), org.tzinfo)
    for member, at, behavior, level in (
        ("lea", last_month, "accueil-1", 2),
        ("lea", recently, "accueil-1", 4),
        ("hugo", recently, "conseil-1", 2),
    ):
        observation_create(
            org=org,
            member=members[member],
            observer=manager,
            observed_at=at,
            kind="observation",
            ratings={behaviors[behavior]: level},
        )
    # NPS: 5 promoters, 3 passives, 2 detractors = 30; CSAT top-2: 4 of 10; CES 5.0; n = 10 < 30.
    nps = [10, 10, 9, 9, 9, 8, 8, 7, 3, 2]
    csat = [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organization=org,
            external_id=f"r{i}",
            unit=tree["T1"],
            responded_at=recently,
            nps=nps[i],
            csat=csat[i],
            ces=5,
        )
        for i in range(10)
    )
    snapshots_recompute(org=org, months=_months(org))
    return tree


def _traces(figure):
    return {trace["name"]: trace for trace in figure["data"]}


def test_rate_figures_draw_the_engine_numbers(client_for, org, field, manager):
    response = client_for(manager).get(_url("team-dashboard", org, code="T1"))
    assert response.status_code == 200
    months = _months(org)
    deployment = _traces(response.context["deployment_figure"])
    transformation = _traces(response.context["transformation_figure"])
    assert list(deployment) == ["Lille 1", "Lille", "Organization"]
    assert deployment["Lille 1"]["x"] == [m.first_day.isoformat() for m in months]

    # By hand. This month T1: 2 of 6 coached, no animation, w = 0.5 → 1/6; Σ(level − 1) = 3 + 1
    # over 6 × 4 pairs → 4 / 3 / 24. Last month: Léa alone, at 2 → 1 / 3 / 24, coverage 1/6.
    assert deployment["Lille 1"]["y"][-1] == 16.67 and deployment["Lille 1"]["y"][-2] == 8.33
    assert transformation["Lille 1"]["y"][-1] == 5.56 and transformation["Lille 1"]["y"][-2] == 1.39
    # Business unit Lille (T1 + T2, 12 members): 2/12 · 0.5 and 4 / 3 / 48;
    # the organization (18 members): 2/18 · 0.5 and 4 / 3 / 72.
    assert deployment["Lille"]["y"][-1] == 8.33 and transformation["Lille"]["y"][-1] == 2.78
    assert deployment["Organization"]["y"][-1] == 5.56 and transformation["Organization"]["y"][-1] == 1.85
    # Months before any observation: 0 %, not missing (members were active, nobody coached).
    assert transformation["Lille 1"]["y"][0] == 0.0

    # And exactly the engine's numbers, month by month (the business unit and the organization read protected).
    for name, unit, protect in (
        ("Lille 1", field["T1"], False),
        ("Lille", field["B"], True),
        ("Organization", None, True),
    ):
        rows = rates_read(
            org=org,
            targets=[Target(unit)],
            periods=months,
            reader=Reader.protected() if protect else Reader.unrestricted(),
        )
        assert deployment[name]["y"] == [round(100 * r["deployment_rate"], 2) for r in rows]
        assert transformation[name]["y"] == [round(100 * r["transformation_rate"], 2) for r in rows]


def test_titles_and_axes_are_in_the_user_language(client_for, org, field, manager):
    client = client_for(manager)
    figure = client.get(_url("team-dashboard", org, code="T1")).context["transformation_figure"]
    assert figure["layout"]["title"]["text"] == "Transformation rate"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Month"
    assert figure["layout"]["yaxis"]["title"]["text"] == "Transformation rate (%)"
    assert figure["layout"]["separators"] == ".,"
    # Months are dates: Plotly names them in the page's locale (French month names in French).
    assert figure["layout"]["xaxis"]["type"] == "date"

    page = client.get(_url("team-dashboard", org, code="T1"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.context["transformation_figure"]["layout"]["separators"][0] == ","
    assert "dashboards/plotly-locale-fr.js" in page.content.decode()


def test_kpi_figure_and_tiles_show_n_and_the_low_sample(client_for, org, field, manager):
    response = client_for(manager).get(_url("team-dashboard", org, code="T1"))
    figures = dict(response.context["kpi_figures"])
    nps, csat, ces = (figures[key]["data"][0] for key in ("nps", "csat", "ces"))
    assert nps["y"][-1] == 30.0 and nps["y"][0] is None
    assert csat["y"][-1] == 40.0 and ces["y"][-1] == 5.0
    assert figures["nps"]["layout"]["title"]["text"] == "NPS of the team"
    assert figures["ces"]["layout"]["yaxis"]["title"]["text"] == "CES (1 to 7)"
    # 10 responses, fewer than the organization's 30: drawn hollow and grey, n in the tooltip.
    assert nps["marker"]["symbol"][-1] == "circle-open" and nps["marker"]["color"][-1] == "#9e9e9e"
    assert nps["customdata"][-1] == "n = 10 (low sample)"
    # NPS margin: 1.96 × 100 × √((0.5 + 0.2 − 0.3²) / 10) = 48.41.
    assert nps["error_y"]["array"][-1] == pytest.approx(48.41, abs=0.01)
    latest = response.context["latest_kpis"]
    assert (latest["nps"], latest["nps_n"], latest["nps_low_sample"]) == (30.0, 10, True)
    assert "low sample" in response.content.decode()


def test_dimensions_lowest_first(client_for, org, field, manager):
    response = client_for(manager).get(_url("team-dashboard", org, code="T1"))
    traces = _traces(response.context["dimension_figure"])
    # Conseil: Hugo at 2 on one of 12 pairs → 1 / 3 / 12; Accueil: Léa at 4 → 3 / 3 / 12.
    assert traces["Transformation rate"]["y"] == ["Conseil", "Accueil"]
    assert traces["Transformation rate"]["x"] == [2.78, 8.33]
    assert traces["Known share"]["x"] == [8.33, 8.33]
    assert traces["Mastered share"]["x"] == [0.0, 8.33]
    assert response.context["dashboard"].dimensions_month == month_current(org=org)


def _csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_holds_each_chart_data(client_for, org, field, manager):
    client = client_for(manager)
    current = str(month_current(org=org))
    rows = _csv(client.get(_url("team-dashboard-csv", org, code="T1", chart="transformation")))
    assert len(rows) == 36  # 3 lines × 12 months
    this_month = {r["line"]: r for r in rows if r["month"] == current}
    assert this_month["team"]["unit_code"] == "T1" and this_month["team"]["transformation_rate"] == "0.0556"
    assert this_month["business_unit"]["transformation_rate"] == "0.0278"
    assert this_month["organization"]["unit_code"] == "" and this_month["organization"]["suppressed"] == "0"

    rows = _csv(client.get(_url("team-dashboard-csv", org, code="T1", chart="deployment")))
    team_now = next(r for r in rows if r["month"] == current and r["line"] == "team")
    assert (team_now["active_members"], team_now["coached_members"], team_now["deployment_rate"]) == (
        "6",
        "2",
        "0.1667",
    )

    kpis = {r["month"]: r for r in _csv(client.get(_url("team-dashboard-csv", org, code="T1", chart="kpis")))}
    assert (kpis[current]["nps"], kpis[current]["nps_n"], kpis[current]["nps_low_sample"]) == ("30.0", "10", "1")
    dims = _csv(client.get(_url("team-dashboard-csv", org, code="T1", chart="dimensions")))
    assert [(d["dimension_code"], d["transformation_rate"]) for d in dims] == [
        ("conseil", "0.0278"),
        ("accueil", "0.0833"),
    ]
    assert client.get(_url("team-dashboard-csv", org, code="T1", chart="members")).status_code == 404


HEADER = [
    "month",
    "line",
    "unit_code",
    "unit_name",
    "active_members",
    "transformation_rate",
    "assessed_share",
    "known_share",
    "mastered_share",
    "suppressed",
]


def test_csv_follows_the_reader_language_as_the_dashboards_chart_csvs(client_for, org, field, manager):
    # French: semicolons and decimal commas, what a French Excel reads (dashboards:transformation's
    # ?csv= does the same); English: commas and points.
    client = client_for(manager)
    url = _url("team-dashboard-csv", org, code="T1", chart="transformation")
    current = str(month_current(org=org))
    for language, delimiter, rate in (("fr", ";", "0,0556"), ("en", ",", "0.0556")):
        text = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode("utf-8-sig")
        assert text.splitlines()[0] == delimiter.join(HEADER)
        rows = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        team_now = next(r for r in rows if r["month"] == current and r["line"] == "team")
        assert team_now["transformation_rate"] == rate


def test_business_unit_line_is_hidden_when_it_would_reveal_a_small_sibling(client_for, org, tree, members, manager):
    # T1 (6, the manager's) and T2 (3) make Lille (9). An executive sees Lille (T1 and T2 hidden),
    # but the manager knows T1: Lille − T1 would be T2's 3 people. Lille is hidden from them.
    grow_teams(org, tree, {"T1": 6, "T2": 3, "T3": 6})
    months = _months(org)
    snapshots_recompute(org=org, months=months[-2:])
    assert not rates_read(org=org, targets=[Target(tree["B"])], periods=months[-1:], reader=Reader.protected())[0][
        "suppressed"
    ]

    response = client_for(manager).get(_url("team-dashboard", org, code="T1"))
    lines = {line.key: line for line in response.context["dashboard"].lines}
    assert lines["business_unit"].rows[-1]["suppressed"]
    assert _traces(response.context["transformation_figure"])["Lille"]["y"][-1] is None
    # The organization (15) minus T1 is 9 people: shown. T1 itself is the manager's to see.
    assert not lines["organization"].rows[-1]["suppressed"] and not lines["team"].rows[-1]["suppressed"]
    assert "Some months of the wider lines are left out" in response.content.decode()
    rows = _csv(client_for(manager).get(_url("team-dashboard-csv", org, code="T1", chart="transformation")))
    bu_now = next(r for r in rows if r["line"] == "business_unit" and r["month"] == str(months[-1]))
    assert (bu_now["transformation_rate"], bu_now["suppressed"], bu_now["active_members"]) == ("", "1", "9")

    # An admin sees everybody: nothing hidden.
    admin = make_user("ada@example.com")
    make_membership(admin, org, Role.ADMIN)
    lines = {
        line.key: line
        for line in client_for(admin).get(_url("team-dashboard", org, code="T1")).context["dashboard"].lines
    }
    assert not any(r["suppressed"] for line in lines.values() for r in line.rows)


def test_other_team_manager_executive_and_steering_get_404(client_for, org, field, executive, steering):
    other = make_user("dora@example.com")
    make_membership(other, org, Role.MANAGER, units=[field["T2"]])
    for user in (other, executive, steering):
        client = client_for(user)
        assert client.get(_url("team-dashboard", org, code="T1")).status_code == 404
        assert client.get(_url("team-dashboard-csv", org, code="T1", chart="deployment")).status_code == 404
    assert client_for(other).get(_url("team-dashboard", org, code="T2")).status_code == 200
    # A business unit is not a team.
    assert client_for(other).get(_url("team-dashboard", org, code="B")).status_code == 404


def test_empty_states_without_figures(client_for, org, members, manager):
    response = client_for(manager).get(_url("team-dashboard", org, code="T1"))
    assert response.status_code == 200
    context = response.context
    assert context["deployment_figure"] is None and context["kpi_figures"] == [] and context["dimension_figure"] is None
    body = response.content.decode()
    assert "No figures yet for this team" in body
    assert "No survey response for this team" in body
    assert "plotly.min.js" not in body
    rows = _csv(client_for(manager).get(_url("team-dashboard-csv", org, code="T1", chart="dimensions")))
    assert rows == []


def test_the_manager_home_and_the_team_page_link_to_the_dashboard(client_for, org, members, manager, executive):
    url = _url("team-dashboard", org, code="T1")
    assert url in client_for(manager).get(reverse("org-home", kwargs={"org": org.slug})).content.decode()
    assert url in client_for(manager).get(_url("team-detail", org, code="T1")).content.decode()
    assert url not in client_for(executive).get(_url("team-detail", org, code="T1")).content.decode()
