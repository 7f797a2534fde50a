"""The KPI explorer and the customers' comments: every chart's figures are the engine's
(``kpis_read``), low samples are drawn hollow and never left out, filters live in the URL, bad
filters are form errors, a manager reads only their teams.

The organization (minimum sample 30), survey responses of August–October 2026:

    R  Nord
      B  Lille
        T1  Lille 1      September: 30 "achat" (fidele, magasin, hot): NPS 20×10, 5×8, 5×3 = 50,
                         CSAT 24×5 + 6×2 = 80 %, CES 15×6 + 15×4 = 5;
                         10 "sav" (nouveau, telephone, cold): NPS 2×9, 3×7, 5×0 = −30 (low sample)
        T2  Lille 2      October: 40 "achat" (fidele, web, hot): NPS 10×10, 30×7 = 25, CSAT 40×4
    R2 Sud
      B2 Marseille
        T3  Marseille 1  August: 12 "retrait" (no segment, magasin, no trigger): NPS 12×9 = 100

Comments: 3 on T1's achat, 2 on T1's sav detractors, 12 on T3.
"""

import csv
import datetime
import io
import json
import re

import pytest
from django.urls import reverse

from cxtracker.months import Month, MonthSpan, Quarter, Week, periods_between
from cxtracker.tenancy.models import Role, UnitKind
from dashboards.explorer.forms import CHARTS
from experience.services import journey_create
from kpis.engine import formulas as survey_math
from kpis.engine.recompute import snapshots_recompute
from kpis.engine.surveys import kpis_read
from kpis.engine.targets import Target
from kpis.models import SurveyResponse
from tests.factories import make_membership, make_org, make_unit, make_user

pytestmark = pytest.mark.django_db

SPAN = MonthSpan(Month(2026, 8), Month(2026, 10))
FILTERS = {"from": "2026-08", "to": "2026-10"}
PARIS = datetime.timezone(datetime.timedelta(hours=2))  # summer time, the months looked at


def _at(month: Month, i: int) -> datetime.datetime:
    """The i-th response of a month: a distinct minute, one day after another."""
    return datetime.datetime(month.year, month.month, 2 + i % 25, 9 + i // 25, i % 60, tzinfo=PARIS)


def _responses(org, team, month, rows, *, prefix, **fields):
    """``rows``: (nps, csat, ces, comment) tuples."""
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            organization=org,
            external_id=f"{prefix}-{i}",
            unit=team,
            responded_at=_at(month, i),
            nps=nps,
            csat=csat,
            ces=ces,
            comment=comment,
            **fields,
        )
        for i, (nps, csat, ces, comment) in enumerate(rows)
    )


def _achat_t1():
    nps = [10] * 20 + [8] * 5 + [3] * 5
    csat = [5] * 24 + [2] * 6
    ces = [6, 4] * 15
    comments = ["Très bon ACCUEIL", "accueil souriant", "Conseil précis"] + [""] * 27
    return list(zip(nps, csat, ces, comments, strict=True))


def _sav_t1():
    nps = [9] * 2 + [7] * 3 + [0] * 5
    comments = [""] * 8 + ["Attente trop longue", "Personne pour répondre"]
    return list(zip(nps, [4] * 5 + [1] * 5, [2] * 10, comments, strict=True))


@pytest.fixture
def world(org):
    r = make_unit(org, UnitKind.REGION, code="R", name="Nord")
    b = make_unit(org, UnitKind.BUSINESS_UNIT, r, code="B", name="Lille")
    r2 = make_unit(org, UnitKind.REGION, code="R2", name="Sud")
    b2 = make_unit(org, UnitKind.BUSINESS_UNIT, r2, code="B2", name="Marseille")
    t1 = make_unit(org, UnitKind.TEAM, b, code="T1", name="Lille 1")
    t2 = make_unit(org, UnitKind.TEAM, b, code="T2", name="Lille 2")
    t3 = make_unit(org, UnitKind.TEAM, b2, code="T3", name="Marseille 1")
    journey_create(org=org, code="achat", name="Achat en magasin")
    hot = {"journey": "achat", "segment": "fidele", "trigger": "event"}
    _responses(org, t1, Month(2026, 9), _achat_t1(), prefix="t1a", channel="magasin", **hot)
    _responses(
        org,
        t1,
        Month(2026, 9),
        _sav_t1(),
        prefix="t1s",
        journey="sav",
        segment="nouveau",
        channel="telephone",
        trigger="periodic",
    )
    _responses(
        org, t2, Month(2026, 10), [(10, 4, None, "")] * 10 + [(7, 4, None, "")] * 30, prefix="t2", channel="web", **hot
    )
    rows = [(9, None, 7, f"Retrait rapide numéro {i}") for i in range(12)]
    _responses(org, t3, Month(2026, 8), rows, prefix="t3", journey="retrait", channel="magasin")
    snapshots_recompute(org=org, months=SPAN.months())
    return {"org": org, "R": r, "B": b, "R2": r2, "B2": b2, "T1": t1, "T2": t2, "T3": t3}


@pytest.fixture
def t1_manager(org, world):
    user = make_user("t1-manager@example.com")
    make_membership(user, org, Role.MANAGER, units=[world["T1"]])
    return user


def _url(org, name="dashboards:kpis", **params):
    url = reverse(name, kwargs={"org": org.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def _get(client, user, org, name="dashboards:kpis", lang="en", **params):
    client.force_login(user)
    return client.get(_url(org, name, **params), HTTP_ACCEPT_LANGUAGE=lang)


def _figure(response, name) -> dict:
    match = re.search(
        rf'<script id="figure-{name}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, f"no {name} figure on the page"

    def strict(constant):
        raise AssertionError(f"{constant} in the {name} figure: the browser's JSON.parse refuses it")

    return json.loads(match.group(1), parse_constant=strict)


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    delimiter = ";" if response["Content-Language"] == "fr" else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _read(org, unit=None, periods=(SPAN,), **filters) -> list[dict]:
    return kpis_read(org=org, targets=[Target(unit)], periods=list(periods), filters=filters)


# --- the margins the explorer adds, by hand ----------------------------------------------------


@pytest.mark.parametrize(
    ("top2", "n", "margin"),
    [
        # 24 of 30 satisfied: 196 × √(0.8 × 0.2 / 30) = 196 × 0.0730297 = 14.3138.
        (24, 30, 14.3138),
        # 40 of 40: no spread, no margin.
        (40, 40, 0.0),
        (0, 0, None),
    ],
)
def test_csat_margin_by_hand(top2, n, margin):
    result = survey_math.csat_margin_of_error(top2, n)
    assert (round(result, 4) if result is not None else None) == margin


def test_ces_margin_by_hand():
    # 15 × 6 and 15 × 4: mean 5, s² = (780 − 150² / 30) / 29 = 30 / 29; 1.96 × √(30 / 29 / 30) = 0.3640.
    assert round(survey_math.ces_margin_of_error(150, 780, 30), 4) == 0.364
    assert survey_math.ces_margin_of_error(6, 36, 1) is None


# --- who sees it -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "executive", "steering"])
def test_read_all_roles_see_the_whole_organization(client, world, request, role, org):
    response = _get(client, request.getfixturevalue(role), org, **FILTERS)
    assert response.status_code == 200
    assert response.context["scope_label"] == org.name
    tiles = {t["key"]: t for t in response.context["tiles"]}
    assert tiles["nps"]["n"] == 92


def test_outsider_gets_404(client, world, outsider, org):
    for name in ("dashboards:kpis", "dashboards:kpi-comments"):
        assert _get(client, outsider, org, name).status_code == 404


def test_the_nav_links_to_the_explorer(client, world, executive, org):
    client.force_login(executive)
    body = client.get(reverse("org-home", kwargs={"org": org.slug}), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("dashboards:kpis", kwargs={"org": org.slug}) in body


# --- the figures are the engine's --------------------------------------------------------------


def test_tiles_are_kpis_read_over_the_span(client, world, executive, org):
    response = _get(client, executive, org, **FILTERS)
    tiles = {t["key"]: t for t in response.context["tiles"]}
    [engine] = _read(org)
    # 92 responses, 44 promoters (20 + 2 + 10 + 12), 10 detractors: 100 × 34 / 92 = 36.9565.
    assert engine["nps"] == 36.9565
    assert tiles["nps"]["value"] == engine["nps"]
    assert tiles["nps"]["margin"] == engine["nps_margin_of_error"] == 13.7136
    for kpi in ("nps", "csat", "ces"):
        assert tiles[kpi]["value"] == engine[kpi]
        assert tiles[kpi]["n"] == engine[f"{kpi}_n"]
        assert tiles[kpi]["low"] == engine[f"{kpi}_low_sample"]
    body = response.content.decode()
    assert "37.0" in body and "±&nbsp;13.7" in body


@pytest.mark.parametrize(
    ("period", "periods"),
    [
        ("month", SPAN.months()),
        ("quarter", [Quarter(2026, 3), Quarter(2026, 4)]),
        ("week", periods_between("week", datetime.date(2026, 8, 1), datetime.date(2026, 10, 31))),
    ],
)
def test_trend_charts_are_kpis_read_by_period(client, world, executive, org, period, periods):
    response = _get(client, executive, org, period=period, **FILTERS)
    assert response.status_code == 200
    engine = _read(org, periods=periods)
    for kpi in ("nps", "csat", "ces"):
        fig = _figure(response, f"trend-{kpi}")
        [trace] = fig["data"]
        assert trace["y"] == [row[kpi] for row in engine]
        if kpi == "nps":
            assert trace["error_y"]["array"] == [
                r["nps_margin_of_error"] if r["nps"] is not None else None for r in engine
            ]
        # Every point with a figure says its n in its tooltip.
        assert [t for t in trace["text"] if t] == [
            t
            for t, r in zip(trace["text"], engine, strict=True)
            if r[kpi] is not None and f"(n = {r[f'{kpi}_n']})" in t
        ]
        assert fig["layout"]["yaxis"]["title"]["text"]
        assert (
            fig["layout"]["xaxis"]["title"]["text"] == {"month": "Month", "week": "Week", "quarter": "Quarter"}[period]
        )
    nps = _figure(response, "trend-nps")
    assert nps["layout"]["title"]["text"] == f"NPS by {period}"
    if period == "month":
        assert nps["data"][0]["x"] == ["2026-08-01", "2026-09-01", "2026-10-01"]
        # August: T3's 12 responses, a low sample: hollow and grey, with n in the tooltip.
        assert nps["data"][0]["marker"]["symbol"] == ["circle-open", "circle", "circle"]
        assert nps["data"][0]["marker"]["color"][0] == "#9e9e9e"
        assert "(n = 12) low sample" in nps["data"][0]["text"][0]
        assert nps["data"][0]["y"] == [100.0, 30.0, 25.0]
    if period == "week":
        assert len(nps["data"][0]["x"]) == len(periods) == 14
        assert periods[0] == Week(2026, 31)


def test_breakdown_charts_are_kpis_read_per_value(client, world, executive, org):
    response = _get(client, executive, org, **FILTERS)
    expected_labels = {
        "journey": ["Achat en magasin", "retrait", "sav"],
        "segment": ["fidele", "nouveau", "Not given"],
        "channel": ["magasin", "web", "telephone"],
        "trigger": ["Hot (after an event)", "Cold (periodic)", "Not given"],
    }
    codes = {"Achat en magasin": "achat", "Hot (after an event)": "event", "Cold (periodic)": "periodic"}
    for breakdown, labels in expected_labels.items():
        fig = _figure(response, breakdown)
        [bars] = fig["data"]
        assert bars["y"] == labels, breakdown
        for label, value, margin, text in zip(
            bars["y"], bars["x"], bars["error_x"]["array"], bars["text"], strict=True
        ):
            if label == "Not given":
                continue  # all responses minus the others: kpis_read cannot ask for "no value"
            [engine] = _read(org, **{breakdown: codes.get(label, label)})
            assert value == engine["nps"], (breakdown, label)
            assert margin == engine["nps_margin_of_error"]
            assert f"(n = {engine['nps_n']})" in text
        assert fig["layout"]["yaxis"]["title"]["text"]
        assert fig["layout"]["xaxis"]["title"]["text"] == "NPS (−100 to +100)"
    journey = _figure(response, "journey")["data"][0]
    # achat: T1 30 (20 P, 5 D) and T2 40 (10 P): 100 × 25 / 70; its margin 196 × √(0.372449 / 70).
    assert journey["x"] == [35.7143, 100.0, -30.0]
    assert journey["error_x"]["array"][0] == 14.2969
    # "retrait" (12) and "sav" (10) are low samples: hollow bars outlined in grey, never left out.
    assert journey["marker"]["color"] == ["#ef6c00", "rgba(255,255,255,0)", "rgba(255,255,255,0)"]
    assert journey["marker"]["line"]["color"] == ["#ef6c00", "#9e9e9e", "#9e9e9e"]
    # sav: p = 0.2, d = 0.5: 196 × √((0.7 − 0.09) / 10) = 48.4084.
    assert journey["text"][2] == "± 48.4 (n = 10) low sample"
    channel = _figure(response, "channel")["data"][0]
    # magasin: T1's 30 (20 P, 5 D) and T3's 12 (12 P): 100 × 27 / 42.
    assert channel["x"][0] == 64.2857


def test_the_tables_beside_the_charts_hold_the_same_figures(client, world, executive, org):
    response = _get(client, executive, org, **FILTERS)
    [journeys] = [b for b in response.context["breakdowns"] if b["key"] == "journey"]
    rows = {r["value"]: r["f"] for r in journeys["rows"]}
    [achat] = _read(org, journey="achat")
    for key in ("nps", "nps_n", "nps_margin_of_error", "csat", "csat_n", "ces", "ces_n"):
        assert rows["achat"][key] == achat[key]
    # CSAT of achat: T1 24 of 30 and T2 40 of 40 satisfied = 64 / 70; margin 196 × √(p(1 − p) / 70).
    assert rows["achat"]["csat"] == 91.4286
    assert rows["achat"]["csat_margin_of_error"] == 6.558
    trend = response.context["trend_rows"]
    assert [r["f"]["nps"] for r in trend] == [row["nps"] for row in _read(org, periods=SPAN.months())]


@pytest.mark.parametrize("kpi", ["csat", "ces"])
def test_the_breakdowns_show_the_chosen_figure(client, world, executive, org, kpi):
    response = _get(client, executive, org, kpi=kpi, **FILTERS)
    bars = _figure(response, "segment")["data"][0]
    [fidele] = _read(org, segment="fidele")
    assert bars["x"][bars["y"].index("fidele")] == fidele[kpi]
    assert _figure(response, "segment")["layout"]["title"]["text"] == f"{kpi.upper()} by customer segment"


def test_a_filter_restricts_every_chart_and_crosses_the_breakdowns(client, world, executive, org):
    response = _get(client, executive, org, trigger="event", **{"from": "2026-09", "to": "2026-10"})
    assert response.status_code == 200
    months = [Month(2026, 9), Month(2026, 10)]
    tiles = {t["key"]: t for t in response.context["tiles"]}
    [hot] = kpis_read(org=org, targets=[Target(None)], periods=[MonthSpan(*months)], filters={"trigger": "event"})
    assert tiles["nps"]["value"] == hot["nps"]
    assert tiles["nps"]["n"] == 70
    nps = _figure(response, "trend-nps")["data"][0]
    assert nps["y"] == [r["nps"] for r in _read(org, periods=months, trigger="event")] == [50.0, 25.0]
    # Channel × hot: counted from the responses (crossed filters), here one month at a time.
    channel = _figure(response, "channel")["data"][0]
    assert channel["y"] == ["web", "magasin"]
    [web_oct] = _read(org, periods=[Month(2026, 10)], channel="web", trigger="event")
    [magasin_sep] = _read(org, periods=[Month(2026, 9)], channel="magasin", trigger="event")
    assert channel["x"] == [web_oct["nps"], magasin_sep["nps"]] == [25.0, 50.0]
    # The trigger breakdown filtered on "event" holds only it.
    assert _figure(response, "trigger")["data"][0]["y"] == ["Hot (after an event)"]
    body = response.content.decode()
    assert "Trigger: <strong>Hot (after an event)</strong>" in body


def test_two_filters_are_counted_from_the_responses(client, world, executive, org):
    september = {"from": "2026-09", "to": "2026-09"}
    response = _get(client, executive, org, journey="achat", trigger="event", **september)
    [engine] = _read(org, periods=[Month(2026, 9)], journey="achat", trigger="event")
    tiles = {t["key"]: t for t in response.context["tiles"]}
    # T1's 30 hot "achat" responses: NPS 50, CSAT 80 %, CES 5.
    assert (engine["nps"], engine["nps_n"], engine["csat"], engine["ces"]) == (50.0, 30, 80.0, 5.0)
    for kpi in ("nps", "csat", "ces"):
        assert (tiles[kpi]["value"], tiles[kpi]["n"]) == (engine[kpi], engine[f"{kpi}_n"])
    assert tiles["nps"]["margin"] == engine["nps_margin_of_error"] == 27.3309
    assert tiles["csat"]["margin"] == 14.3138 and tiles["ces"]["margin"] == 0.364
    assert _figure(response, "trend-nps")["data"][0]["y"] == [50.0]
    assert _figure(response, "channel")["data"][0]["y"] == ["magasin"]
    # Nothing is both "sav" and hot: an empty state, not a page of zeros.
    nothing = _get(client, executive, org, journey="sav", trigger="event", **september)
    assert nothing.status_code == 200
    assert "No survey response over these months." in nothing.content.decode()


def test_the_trends_form_changes_period_and_lines_and_keeps_the_other_filters(client, world, executive, org):
    body = _get(client, executive, org, unit="B", journey="achat", kpi="csat", period="quarter", **FILTERS)
    form = re.search(r'<form[^>]*class="inline-option">(.*?)</form>', body.content.decode(), re.S).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
    assert hidden == {"unit": "B", "from": "2026-08", "to": "2026-10", "journey": "achat", "kpi": "csat"}
    assert re.findall(r'<select name="(\w+)"', form) == ["period", "by"]


def test_trend_split_by_trigger_draws_a_line_per_value(client, world, executive, org):
    response = _get(client, executive, org, by="trigger", **FILTERS)
    fig = _figure(response, "trend-nps")
    lines = {t["name"]: t for t in fig["data"]}
    assert list(lines) == ["Hot (after an event)", "Cold (periodic)", "Not given"]
    months = SPAN.months()
    assert lines["Hot (after an event)"]["y"] == [r["nps"] for r in _read(org, periods=months, trigger="event")]
    assert lines["Cold (periodic)"]["y"] == [r["nps"] for r in _read(org, periods=months, trigger="periodic")]
    # A split keeps each line's colour; the low sample is hollow.
    assert lines["Cold (periodic)"]["marker"]["symbol"][1] == "circle-open"
    assert fig["layout"]["title"]["text"] == "NPS by month, by trigger"


def test_the_unit_filter_reads_its_subtree(client, world, executive, org):
    response = _get(client, executive, org, unit="B", **FILTERS)
    tiles = {t["key"]: t for t in response.context["tiles"]}
    [lille] = _read(org, world["B"])
    assert tiles["nps"]["value"] == lille["nps"]
    assert tiles["nps"]["n"] == 80
    assert _figure(response, "journey")["data"][0]["y"] == ["Achat en magasin", "sav"]


# --- CSV, language, empty state ----------------------------------------------------------------


@pytest.mark.parametrize("chart", CHARTS)
def test_each_chart_downloads_its_data(client, world, executive, org, chart):
    response = _get(client, executive, org, csv=chart, **FILTERS)
    assert response.status_code == 200
    assert f"{chart}-{org.slug}-2026-08-2026-10.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert len(rows) > 1
    if chart == "journey":
        assert rows[0][:5] == ["Journey", "Code", "NPS", "NPS margin of error (95%)", "NPS responses (n)"]
        assert rows[1][:5] == ["Achat en magasin", "achat", "35.7143", "14.2969", "70"]
        assert rows[3][:6] == ["sav", "sav", "-30.0", "48.4084", "10", "yes"]
    if chart == "trend-nps":
        assert rows[0] == ["Period", "Month", "NPS", "NPS margin of error (95%)", "NPS responses (n)", "NPS low sample"]
        assert [r[0] for r in rows[1:]] == ["2026-08", "2026-09", "2026-10"]
        assert [r[2] for r in rows[1:]] == ["100.0", "30.0", "25.0"]


def test_in_french_decimal_commas_and_semicolons(client, world, executive, org):
    response = _get(client, executive, org, lang="fr", **FILTERS)
    fig = _figure(response, "trend-nps")
    assert fig["layout"]["separators"] == ",\u00a0"
    assert fig["layout"]["xaxis"]["tickformat"] == "%b %Y"
    # French typography in the tooltip: a narrow no-break space before the colon.
    assert "NPS\u202f: %{y:.1f}" in fig["data"][0]["hovertemplate"]
    body = response.content.decode()
    assert "37,0" in body and "août 2026" in body
    rows = _csv(_get(client, executive, org, lang="fr", csv="journey", **FILTERS))
    assert rows[1][2:4] == ["35,7143", "14,2969"]


def test_months_without_responses_are_an_empty_state(client, world, executive, org):
    response = _get(client, executive, org, **{"from": "2025-01", "to": "2025-03"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "No survey response over these months." in body
    assert 'id="figure-' not in body


def test_breakdown_values_come_from_the_organizations_responses(client, world, executive, org):
    other = make_org("rival", "Rival")
    rival_team = make_unit(other, UnitKind.TEAM, code="RT", name="Rival team")
    _responses(other, rival_team, Month(2026, 9), [(9, None, None, "")], prefix="rv", journey="rival-journey")
    snapshots_recompute(org=other, months=[Month(2026, 9)])
    response = _get(client, executive, org, **FILTERS)
    form = response.context["form"]
    assert [v for v, _label in form.fields["journey"].choices] == ["", "achat", "retrait", "sav"]
    assert dict(form.fields["journey"].choices)["achat"] == "Achat en magasin"
    assert [v for v, _label in form.fields["trigger"].choices] == ["", "event", "periodic"]
    assert [v for v, _label in form.fields["channel"].choices] == ["", "magasin", "telephone", "web"]
    assert "rival-journey" not in response.content.decode()
    # Another organization's value is no value here: a form error.
    assert _get(client, executive, org, journey="rival-journey").status_code == 400


# --- bad input is a form error -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13"},
        {"to": "soon"},
        {"from": "2026-10", "to": "2026-08"},
        {"to": "2999-01"},
        {"from": "2020-01", "to": "2026-10"},
        {"period": "day"},
        {"period": "week", "from": "2025-01", "to": "2026-10"},
        {"kpi": "revenue"},
        {"by": "team"},
        {"unit": "NOPE"},
        {"journey": "nowhere"},
        {"trigger": "sometimes"},
        {"csv": "everything"},
    ],
)
def test_bad_filters_are_a_400_form_error(client, world, executive, org, params):
    response = _get(client, executive, org, **params)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert "These filters are not valid" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [{"page": "abc"}, {"page": "0"}, {"band": "fans"}, {"q": "x" * 201}, {"from": "2026-99"}, {"unit": "NOPE"}],
)
def test_bad_comment_filters_are_a_400_form_error(client, world, executive, org, params):
    response = _get(client, executive, org, "dashboards:kpi-comments", **params)
    assert response.status_code == 400
    assert response.context["form"].errors


# --- comments ----------------------------------------------------------------------------------


def _comments(response) -> list[str]:
    return ["".join(piece for piece, _match in c["pieces"]) for c in response.context["comments"]]


def test_comments_newest_first_with_date_team_journey_channel_and_scores(client, world, executive, org):
    response = _get(client, executive, org, "dashboards:kpi-comments", **FILTERS)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 17
    comments = response.context["comments"]
    assert [c["team"] for c in comments[:5]] == ["Lille 1"] * 5
    assert _comments(response)[:2] == ["Personne pour répondre", "Attente trop longue"]
    first = comments[0]
    assert (first["journey"], first["channel"], first["nps"], first["csat"], first["ces"]) == (
        "sav",
        "telephone",
        0,
        1,
        2,
    )
    assert first["band"] == "detractor"
    # The response's moment in the organization's timezone (Paris, +2 in September).
    assert first["date"] == "11 September 2026, 09:09"
    body = response.content.decode()
    assert "Personne pour répondre" in body and "Marseille 1" in body and "Achat en magasin" in body
    assert "NPS 0/10" in body and "CSAT 1/5" in body and "CES 2/7" in body


def test_no_internal_id_is_shown(client, world, executive, org):
    response = _get(client, executive, org, "dashboards:kpi-comments", **FILTERS)
    body = response.content.decode()
    for row in SurveyResponse.objects.for_org(org).exclude(comment=""):
        assert row.external_id not in body
        assert f'"{row.pk}"' not in body and f"/{row.pk}/" not in body and f"#{row.pk}" not in body


def test_comments_are_paginated_25_a_page(client, world, executive, org):
    _responses(
        org,
        world["T2"],
        Month(2026, 10),
        [(8, None, None, f"Page test {i:02d}") for i in range(20)],
        prefix="more",
        journey="achat",
    )
    first = _get(client, executive, org, "dashboards:kpi-comments", **FILTERS)
    assert first.context["page"].paginator.count == 37
    assert len(first.context["comments"]) == 25
    # Newest first: the last of T2's October comments leads.
    assert _comments(first)[0] == "Page test 19"
    assert first.context["next_url"].endswith("page=2")
    second = _get(client, executive, org, "dashboards:kpi-comments", page=2, **FILTERS)
    assert len(second.context["comments"]) == 12
    assert set(_comments(first)).isdisjoint(_comments(second))
    assert second.context["next_url"] is None and second.context["previous_url"]
    # A page past the end shows the last one.
    assert _comments(_get(client, executive, org, "dashboards:kpi-comments", page=9, **FILTERS)) == _comments(second)


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("promoters", 15),  # T3's twelve 9s and the three 10s of T1's achat
        ("passives", 0),
        ("detractors", 2),  # the two 0s of T1's sav
    ],
)
def test_comments_filter_by_score_band(client, world, executive, org, band, expected):
    response = _get(client, executive, org, "dashboards:kpi-comments", band=band, **FILTERS)
    assert response.context["page"].paginator.count == expected
    low, high = {"promoters": (9, 10), "passives": (7, 8), "detractors": (0, 6)}[band]
    assert all(low <= c["nps"] <= high for c in response.context["comments"])
    if expected == 0:
        assert "No comment matches these filters." in response.content.decode()


def test_comments_filter_by_text_case_insensitive_and_marked(client, world, executive, org):
    response = _get(client, executive, org, "dashboards:kpi-comments", q="Accueil", **FILTERS)
    assert sorted(_comments(response)) == ["Très bon ACCUEIL", "accueil souriant"]
    assert "<mark>ACCUEIL</mark>" in response.content.decode()


def test_comment_text_is_escaped(client, world, executive, org):
    _responses(org, world["T1"], Month(2026, 10), [(9, None, None, "<script>alert(1)</script> bon")], prefix="xss")
    body = _get(client, executive, org, "dashboards:kpi-comments", q="bon", **FILTERS).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_comment_empty_states(client, world, executive, org):
    nothing = _get(client, executive, org, "dashboards:kpi-comments", **{"from": "2025-01", "to": "2025-02"})
    assert nothing.status_code == 200
    assert "No customer comment over these months." in nothing.content.decode()
    no_match = _get(client, executive, org, "dashboards:kpi-comments", q="introuvable", **FILTERS)
    body = no_match.content.decode()
    assert "No comment matches these filters." in body
    assert no_match.context["clear_url"].endswith("?from=2026-08&to=2026-10")


def test_comments_follow_the_unit_and_breakdown_filters(client, world, executive, org):
    response = _get(client, executive, org, "dashboards:kpi-comments", unit="B2", **FILTERS)
    assert response.context["page"].paginator.count == 12
    response = _get(client, executive, org, "dashboards:kpi-comments", journey="sav", **FILTERS)
    assert sorted(_comments(response)) == ["Attente trop longue", "Personne pour répondre"]


# --- a manager reads their teams only ----------------------------------------------------------


def test_a_manager_sees_only_their_teams_comments(client, world, t1_manager, org):
    response = _get(client, t1_manager, org, "dashboards:kpi-comments", **FILTERS)
    assert response.status_code == 200
    assert response.context["scope_label"] == "All my teams"
    assert {c["team"] for c in response.context["comments"]} == {"Lille 1"}
    assert response.context["page"].paginator.count == 5
    body = response.content.decode()
    assert "Retrait rapide" not in body and "Marseille 1" not in body
    # Another team's unit is not a choice: a form error, not its comments.
    other = _get(client, t1_manager, org, "dashboards:kpi-comments", unit="T3", **FILTERS)
    assert other.status_code == 400
    assert "Retrait rapide" not in other.content.decode()


def test_a_manager_explores_their_teams_figures(client, world, t1_manager, org):
    response = _get(client, t1_manager, org, **FILTERS)
    assert response.status_code == 200
    tiles = {t["key"]: t for t in response.context["tiles"]}
    [t1] = _read(org, world["T1"])
    # T1: 40 responses, 22 promoters, 10 detractors: 100 × 12 / 40 = 30.
    assert tiles["nps"]["value"] == t1["nps"] == 30.0
    units = [v for v, _label in response.context["form"].fields["unit"].choices]
    assert units == ["", "T1"]
    assert _get(client, t1_manager, org, unit="B", **FILTERS).status_code == 400
    assert "Marseille" not in response.content.decode()


def test_a_manager_without_units_sees_empty_states(client, world, org):
    user = make_user("nobody@example.com")
    make_membership(user, org, Role.MANAGER)
    assert "No survey response over these months." in _get(client, user, org, **FILTERS).content.decode()
    comments = _get(client, user, org, "dashboards:kpi-comments", **FILTERS)
    assert comments.status_code == 200 and comments.context["page"].paginator.count == 0
