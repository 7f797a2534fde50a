"""The protection of the people observed (SPEC §4), checked on everything a reader can get rather
than page by page: every URL under ``o/<slug:org>/`` (tests/test_tenancy.py's walk, with the
query strings that pick the small team or its parent), each chart's CSV, the steering reports'
page, PDF, XLSX and CSV, their e-mails (HTML, text and the PDF attached) and the JSON API with the
browser session.

The organization (tests/protection_org.py) has one team of three people, T-PETIT, whose figures
are distinctive numbers. Read by an executive, a steering member or the manager of another team
(who knows their own team's figures exactly), no answer may show them (in any
of the forms the pages use: "0.7037" in JSON and CSV, "70.37" in the charts, "70,4 %" in French,
"67 %" on the month pages, "coachés : 2 sur 3"), nor give them away by subtraction: putting
together every group figure the reader got, T-PETIT's must not be a combination of them (Lille
minus Lille 2 and Lille 3, Lille minus a report on Lille 2 and 3 together, Nord minus Arras
minus…). Member pages do not exist for them, and no name of a member outside their team shows.

The positive control: read by an admin, the same walk shows T-PETIT's figures wherever they belong,
and T-PETIT could be worked out from its parent and siblings, so that the searches are the right
ones and the test can fail.
"""

import csv
import html
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pytest
from django.core import mail
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook
from pypdf import PdfReader

from cxtracker.months import Month
from dashboards.teams.figures import CHARTS as TEAM_CHARTS
from dashboards.transformation.forms import CHARTS
from kpis.engine.readers import MEMBER_DERIVED
from steering.kpi_codes import RATE_KPIS
from steering.reports.emails import report_emails_send
from tests import protection_org
from tests.protection_org import SHARE_FIGURES, SMALL
from tests.test_api_tenancy import API_URL_KWARGS, api_routes
from tests.test_tenancy import _url, org_url_patterns

pytestmark = pytest.mark.django_db

SIBLINGS = ("T-LILLE-2", "T-LILLE-3")
# Who may not see the small team's figures, and the team each one manages (its pages, members and
# observations are theirs to see).
READERS = {"executive": None, "steering": None, "sibling_manager": "T-LILLE-3"}
# Pages about individual members: for the roles above the managers, and for a manager of another
# team, they do not exist.
MEMBER_PAGES = {
    "deployment:member-detail",
    "deployment:observation-create",
    "deployment:observation-update",
    "deployment:observation-delete",
    "deployment:observation-next-step-done",
    "dashboards:team-dashboard",
    "dashboards:team-dashboard-csv",
}
MEMBER_APIS = {"api-observations", "api-observation"}
# The only answers that name members: the member directory of the API (codes, names, teams and
# dates; no level, no observation).
NAMING_APIS = {"api-members", "api-member"}
# Pages that show whole percentages of one month ("67 %"): the home and the team pages.
INTEGER_PAGES = {"org-home", "dashboards:team-list", "dashboards:team-detail"}
# Figures that are shares in [0, 1], shown as percentages.
SHARES = {"coverage", "deployment_rate", "cadence", "ces_easy_share", *SHARE_FIGURES}


# --- what an answer holds -------------------------------------------------------------------------


@dataclass
class Answer:
    """One answer read as a reader would: its text, its numbers (decimal marks made "."), and on
    the month pages its whole percentages."""

    what: str
    status: int
    text: str = ""
    numbers: set[str] = field(default_factory=set)
    percents: set[int] = field(default_factory=set)
    rows: list[dict] = field(default_factory=list)  # the rows of an /api/v1/rates/ answer


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PERCENT = re.compile(r"(?<![\d.,])(\d{1,3}) ?%")


def _plain(text: str) -> str:
    return re.sub("[\u00a0\u202f]", " ", text)


def _numbers(text: str) -> set[str]:
    """The numbers of a text, "70,4" read as 70.4; "1,234.5" (grouped) left out: no figure searched
    for has a thousands separator."""
    return {t.replace(",", ".") for t in _NUMBER.findall(text) if len(re.findall("[.,]", t)) <= 1}


def _html_text(body: str) -> str:
    """What a page shows: its text and its charts' data (the JSON of each Plotly figure), not its
    markup, styles, scripts or inline SVG (whose coordinates are numbers of their own)."""
    body = re.sub(r"<svg\b.*?</svg>", " ", body, flags=re.S)
    body = re.sub(r"<style\b.*?</style>", " ", body, flags=re.S)
    body = re.sub(r"<script\b(?![^>]*application/json)[^>]*>.*?</script>", " ", body, flags=re.S)
    return _plain(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _json_values(data, out: list) -> list:
    if isinstance(data, dict):
        for value in data.values():
            _json_values(value, out)
    elif isinstance(data, list):
        for value in data:
            _json_values(value, out)
    elif data is not None:
        out.append(data)
    return out


def _cells_answer(what, status, cells) -> Answer:
    """An answer of cells (CSV, XLSX, JSON values): each number as itself, each text cell read."""
    numbers, texts = set(), []
    for cell in cells:
        if isinstance(cell, bool):
            continue
        if isinstance(cell, int | float):
            numbers.add(repr(cell))
        else:
            text = _plain(str(cell))
            texts.append(text)
            numbers |= _numbers(text)
    return Answer(what, status, "\n".join(texts), numbers)


def _pdf_text(content: bytes) -> str:
    return _plain("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def read_answer(what: str, response, *, integer_page: bool = False) -> Answer:
    status = response.status_code
    kind = response.get("Content-Type", "").split(";")[0]
    if status in (301, 302) or not response.content:
        return Answer(what, status)
    if kind == "application/pdf":
        text = _pdf_text(response.content)
        return Answer(what, status, text, _numbers(text))
    if kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        book = load_workbook(io.BytesIO(response.content))
        cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        return _cells_answer(what, status, cells)
    if kind == "text/csv":
        text = response.content.decode("utf-8-sig")
        # French spreadsheets split on semicolons, but not every CSV of the app follows the reader's
        # language: the header row (no decimals in it) says which.
        delimiter = ";" if ";" in text.splitlines()[0] else ","
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
        return _cells_answer(what, status, cells)
    if kind == "application/json":
        data = json.loads(response.content)
        answer = _cells_answer(what, status, _json_values(data, []))
        if isinstance(data, dict) and "/api/v1/rates/" in what:
            answer.rows = data.get("results", [])
        return answer
    text = _html_text(response.content.decode())
    percents = {int(p) for p in _PERCENT.findall(text)} if integer_page else set()
    return Answer(what, status, text, _numbers(text), percents)


def email_answers(user) -> list[Answer]:
    """The report e-mails sent to ``user``: subject and text, the HTML part, the PDF attached."""
    answers = []
    for message in mail.outbox:
        if user.email not in message.to:
            continue
        what = f"e-mail “{message.subject}” to {user.email}"
        text = _plain(f"{message.subject}\n{message.body}")
        answers.append(Answer(f"{what} (text)", 200, text, _numbers(text)))
        (body, _kind), *_more = message.alternatives
        text = _html_text(body)
        answers.append(Answer(f"{what} (HTML)", 200, text, _numbers(text)))
        for name, content, _mimetype in message.attachments:
            text = _pdf_text(content)
            answers.append(Answer(f"{what} ({name})", 200, text, _numbers(text)))
    return answers


# --- what the walk asks for -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    url: str
    name: str
    language: str = "fr"
    shows_small: bool = False  # an admin must find the small team's figures here


def _query(**params) -> str:
    params = {k: v for k, v in params.items() if v is not None}
    return "?" + urlencode(params) if params else ""


def _board_asks(w) -> list[Ask]:
    """The transformation dashboard at the organization, the small team's region, business unit,
    the small team and its siblings, over the default span, the report's month and a quarter's
    span; each page before its charts' CSVs (the CSV reads the page's cached figures)."""
    base = reverse("dashboards:transformation", kwargs={"org": w["org"].slug})
    months = w["months"]
    spans = {
        "default": {},
        "month": {"from": months[-2], "to": months[-2]},
        "three": {"from": months[-4], "to": months[-2]},
    }
    asks = []
    for unit in (None, "R-NORD", "B-LILLE", SMALL, *SIBLINGS):
        for span, bounds in spans.items():
            if span != "default" and unit not in ("B-LILLE", SMALL):
                continue
            about_small = unit in ("B-LILLE", SMALL)
            query = {"unit": unit, **{k: str(v) for k, v in bounds.items()}}
            asks.append(Ask(base + _query(**query), "dashboards:transformation", shows_small=about_small))
            # The small team is a row of its business unit's children, heatmap and scatter; its own
            # page also draws its trend. The lag chart shows no group's figure.
            small_charts = {"children", "heatmap", "scatter"} | ({"trend"} if unit == SMALL else set())
            for chart in CHARTS:
                shows = about_small and chart in small_charts
                asks.append(Ask(base + _query(**query, csv=chart), "dashboards:transformation", shows_small=shows))
    asks.append(
        Ask(
            base + _query(unit="B-LILLE", mastery="known", csv="heatmap"), "dashboards:transformation", shows_small=True
        )
    )
    for unit in ("B-LILLE", SMALL):
        asks.append(Ask(base + _query(unit=unit), "dashboards:transformation", "en", shows_small=True))
        for chart in ("trend", "children"):
            asks.append(
                Ask(
                    base + _query(unit=unit, csv=chart),
                    "dashboards:transformation",
                    "en",
                    shows_small=chart == "children",
                )
            )
    return asks


def org_asks(w) -> list[Ask]:
    """Every URL under o/<slug:org>/ (filled as tests/test_tenancy.py fills them: its world's keys
    are the small team's here), then the variants that pick the small team or its neighbours."""
    slug = w["org"].slug

    def url(name, query="", **kwargs):
        return reverse(name, kwargs={"org": slug, **kwargs}) + query

    small_pages = {"dashboards:team-list", "dashboards:team-detail", "dashboards:team-dashboard"}
    small_pages |= {"dashboards:team-dashboard-csv", "steering:action-plan-detail"}
    asks = [
        Ask(_url(w, name, converters), name, shows_small=name in small_pages)
        for _route, name, _callback, converters in org_url_patterns()
    ]
    previous, first = w["report_period"], str(w["months"][0])
    asks += [
        Ask(url("org-home", f"?month={previous}"), "org-home"),
        Ask(url("org-home", f"?month={first}"), "org-home"),
        Ask(url("dashboards:team-list", f"?month={previous}"), "dashboards:team-list", shows_small=True),
        *(Ask(url("dashboards:team-detail", code=code), "dashboards:team-detail") for code in SIBLINGS),
        *(Ask(url("dashboards:team-dashboard", code=code), "dashboards:team-dashboard") for code in SIBLINGS),
        *(
            Ask(url("dashboards:team-dashboard-csv", code=code, chart=chart), "dashboards:team-dashboard-csv")
            for code in SIBLINGS
            for chart in TEAM_CHARTS
        ),
        *(
            Ask(
                url("dashboards:team-dashboard-csv", code=SMALL, chart=chart),
                "dashboards:team-dashboard-csv",
                shows_small=chart != "kpis",
            )
            for chart in TEAM_CHARTS
        ),
        *_board_asks(w),
        Ask(url("dashboards:kpis", f"?unit={SMALL}"), "dashboards:kpis"),
        Ask(url("dashboards:kpis", "?unit=B-LILLE&by=trigger"), "dashboards:kpis"),
        Ask(url("dashboards:kpi-comments", f"?unit={SMALL}"), "dashboards:kpi-comments"),
        Ask(url("steering:action-plan-list", f"?unit={SMALL}"), "steering:action-plan-list"),
        *(
            Ask(
                url("steering:action-plan-detail", pk=plan.pk),
                "steering:action-plan-detail",
                shows_small=plan.unit.code == SMALL,
            )
            for plan in w["action_plans"]
        ),
    ]
    for stakeholder in w["stakeholders"]:
        for name in ("report", "report-pdf", "report-xlsx", "report-csv"):
            asks.append(
                Ask(
                    url(f"steering:{name}", code=stakeholder.code, period=previous),
                    f"steering:{name}",
                    shows_small=stakeholder.code == "sh-petit",
                )
            )
    sh_petit = url("steering:report-csv", code="sh-petit", period=previous)
    asks.append(Ask(sh_petit, "steering:report-csv", "en", shows_small=True))
    return list(dict.fromkeys(asks))


def api_asks(w) -> list[Ask]:
    """Every route under api/v1/ (filled as tests/test_api_tenancy.py fills them), then the reads
    of rates, KPIs, the lag analysis and the reports that name the small team or its neighbours."""
    asks = [
        Ask(reverse(name, kwargs={key: API_URL_KWARGS[name][key](w) for key in converters}), name)
        for _route, name, _callback, converters in api_routes()
    ]
    first, last = str(w["months"][0]), str(w["current"])
    rates = reverse("api-rates")
    for query in (
        {},
        {"level": "team"},
        {"level": "business_unit"},
        {"level": "region"},
        {"unit": "B-LILLE"},
        {"unit": "R-NORD", "level": "team"},
        {"level": "team", "from": first, "to": last},
        {"level": "business_unit", "from": first, "to": last},
        {"level": "team", "period": "quarter"},
        {"unit": "B-LILLE", "period": "quarter"},
    ):
        asks.append(Ask(rates + _query(**query, page_size=1000), "api-rates", shows_small=query.get("level") == "team"))
    asks.append(Ask(rates + _query(unit=SMALL, page_size=1000), "api-rates", shows_small=True))
    asks += [
        Ask(reverse("api-kpis") + _query(unit=SMALL), "api-kpis"),
        Ask(reverse("api-kpis") + _query(level="team", page_size=1000), "api-kpis"),
        Ask(reverse("api-analysis-lag") + _query(unit="B-LILLE"), "api-analysis-lag"),
        Ask(reverse("api-analysis-lag") + _query(unit=SMALL), "api-analysis-lag"),
        Ask(reverse("api-analysis-lag") + _query(outcome="revenue"), "api-analysis-lag"),
        Ask(reverse("api-observations") + _query(unit=SMALL), "api-observations"),
        Ask(reverse("api-animations") + _query(unit=SMALL), "api-animations"),
    ]
    for stakeholder in w["stakeholders"]:
        url = reverse("api-report", kwargs={"code": stakeholder.code, "period": w["report_period"]})
        asks.append(Ask(url, "api-report", shows_small=stakeholder.code == "sh-petit"))
    return list(dict.fromkeys(asks))


def walk(client, w, user) -> list[tuple[Ask, Answer]]:
    client.force_login(user)
    result = []
    for ask in [*org_asks(w), *api_asks(w)]:
        response = client.get(ask.url, HTTP_ACCEPT_LANGUAGE=ask.language)
        what = f"GET {ask.url}" + (" (en)" if ask.language != "fr" else "")
        result.append((ask, read_answer(what, response, integer_page=ask.name in INTEGER_PAGES)))
    return result


# --- which group a figure is ------------------------------------------------------------------------


def _forms(figure) -> set[str]:
    """The decimal forms a figure takes: a share as the engine's fraction ("0.7037") and a chart's
    percentage ("70.37"); the rates also as the tables, tiles, reports and plans print them ("70.4");
    another figure as itself. Forms of fewer than three digits say nothing (a CSS "1.5" would match)."""
    v = figure.value
    name = figure.name.split(":")[-1]
    if name not in SHARES:
        forms = {repr(round(v, 4)), repr(round(v, 2)), f"{v:.1f}", f"{v:.2f}"}
    else:
        forms = {repr(round(v, 4)), repr(round(100 * v, 2))}
        if name in RATE_KPIS:
            forms.add(f"{100 * v:.1f}")
    return {f for f in forms if len(f.replace(".", "").lstrip("0")) >= 3}


class Figures:
    """Every group's figures (tests/protection_org.py), indexed by the forms that name one group
    only: a form two groups share, or shared with a public figure (a cadence, a survey figure),
    tells nothing; nor does a share of 0 or 1."""

    def __init__(self, w):
        self.w = w
        self.all = protection_org.figures(w)
        groups = defaultdict(set)
        whole = defaultdict(set)
        for f in self.all:
            for form in _forms(f):
                groups[form].add(f.group)
            if f.integer_page:
                whole[round(100 * f.value)].add(f.group)
        self.by_form = defaultdict(list)
        self.by_percent = defaultdict(list)
        self._found: dict = {}  # answer → found(answer)
        for f in self.all:
            if f.group == "public" or not 0 < f.value < 1:
                continue
            for form in _forms(f):
                if groups[form] == {f.group}:
                    self.by_form[form].append(f)
            if f.integer_page and whole[round(100 * f.value)] == {f.group}:
                self.by_percent[round(100 * f.value)].append(f)

    def found(self, answer: Answer) -> list:
        """(figure, the form it was found as) of every group figure the answer shows: those whose
        forms it holds, and each member-derived figure of its /api/v1/rates/ rows."""
        if answer.what not in self._found:
            self._found[answer.what] = self._find(answer)
        return self._found[answer.what]

    def _find(self, answer: Answer) -> list:
        hits = [(f, form) for form in answer.numbers for f in self.by_form.get(form, ())]
        hits += [(f, f"{p} %") for p in answer.percents for f in self.by_percent.get(p, ())]
        for row in answer.rows:
            period = protection_org.period_parse(row["period"])
            values = [(k, row[k]) for k in MEMBER_DERIVED]
            values += [(f"{d['code']}:{k}", d[k]) for d in row["dimensions"] for k in SHARE_FIGURES]
            for name, value in values:
                if value is not None:
                    terms = protection_org.figure_terms(self.w, row["unit"], name, period)
                    figure = protection_org.Figure(row["unit"], name, row["period"], value, terms=terms)
                    hits.append((figure, "its row"))
        return hits


def _periods(periods) -> str:
    periods = sorted(set(periods))
    return ", ".join(periods) if len(periods) <= 3 else f"{len(periods)} periods, {periods[0]} … {periods[-1]}"


def small_team_leaks(figures: Figures, answer: Answer) -> list[str]:
    """What the answer shows of the small team itself: its figures (one line per figure and form,
    whatever the periods it stands for), its coached members, its API rows."""
    periods = defaultdict(list)
    for f, form in figures.found(answer):
        if f.group == SMALL:
            periods[(f.name, f.value, form)].append(f.period)
    leaks = [
        f"shows {SMALL}'s {name} ({value:.4f}; {_periods(ps)}) as {form!r}"
        for (name, value, form), ps in periods.items()
    ]
    for phrase in ("coached: 2 of 3", "coachés : 2 sur 3"):
        if phrase in answer.text:
            leaks.append(f"shows {SMALL}'s coached members: {phrase!r}")
    return leaks


def worked_out(figures: Figures, shown: dict, *, explain: int = 20) -> list[str]:
    """The small team's figures that follow from the group figures ``shown`` (figure → where):
    each figure is a sum of team-month sums (``Figure.terms``; sizes are public, so a share is as
    good as its sum), and a figure follows from others when its sum is a combination of theirs,
    "Lille − Lille 2 − Lille 3", "Nord − Arras − Lille 2 − Lille 3" or a span minus its months.
    The first ``explain`` say how."""
    # One figure per sum: the same sum shown twice (two forms, two answers) adds nothing.
    known = list({f.terms: f for f in shown if f.group != SMALL and f.terms}.values())
    if not known:
        return []
    variables = sorted({t for f in [*known, *figures.all] for t in f.terms})
    column = {v: i for i, v in enumerate(variables)}

    def vector(f):
        row = np.zeros(len(variables))
        row[[column[t] for t in f.terms]] = 1
        return row

    matrix = np.array([vector(f) for f in known])
    _u, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    basis = vt[singular > 1e-9 * singular[0]]
    found = []
    for secret in {f.terms: f for f in figures.all if f.group == SMALL and f.terms}.values():
        target = vector(secret)
        if np.linalg.norm(target - basis.T @ (basis @ target)) > 1e-6:
            continue
        line = f"{SMALL}'s {secret.name} of {secret.period}"
        if len(found) < explain:
            line += " = " + _how(secret, known, vector, shown)
        found.append(line)
    return found


def _in_span(target, rows) -> bool:
    if not rows:
        return False
    matrix = np.array(rows)
    weights = np.linalg.lstsq(matrix.T, target, rcond=None)[0]
    return np.linalg.norm(matrix.T @ weights - target) < 1e-6


def _how(secret, known, vector, shown) -> str:
    """A short combination of shown figures that gives ``secret``: among those about its
    measures and months, each dropped unless it is needed ("+1 × B-LILLE … −1 × T-LILLE-2 …")."""
    scope = {(m, month, d) for m, _team, month, d in secret.terms}
    kept = [f for f in known if any((m, month, d) in scope for m, _team, month, d in f.terms)]
    target = vector(secret)
    for f in list(kept):
        rest = [g for g in kept if g is not f]
        if _in_span(target, [vector(g) for g in rest]):
            kept = rest
    if not _in_span(target, [vector(f) for f in kept]):
        kept = known  # it takes figures of other months (a span minus its months)
    weights = np.linalg.lstsq(np.array([vector(f) for f in kept]).T, target, rcond=None)[0]
    return " ".join(
        f"{w:+.3g} × {f.group or 'the organization'} {f.name} {f.period} ({shown[f]})"
        for w, f in zip(weights, kept, strict=True)
        if abs(w) > 1e-6
    )


@pytest.fixture
def w():
    return protection_org.build()


@pytest.fixture
def figures(w):
    return Figures(w)


@pytest.mark.parametrize("role", list(READERS))
def test_no_reader_outside_the_small_team_gets_its_figures_or_what_gives_them_away(client, w, figures, role):
    user, own = w[role], READERS[role]
    walked = walk(client, w, user)
    theirs = [s for s in w["stakeholders"] if user in s.users.all()]
    for stakeholder in theirs:
        report_emails_send(org=w["org"], stakeholder=stakeholder, period=Month.parse(w["report_period"]))
    emails = email_answers(user)
    assert len(emails) == 3 * len(theirs)  # text, HTML and PDF of each
    answers = [answer for _ask, answer in walked] + emails

    problems = []
    for ask, answer in walked:
        assert answer.status < 500, answer.what
        if own is not None and f"/teams/{own}/" in ask.url:
            continue
        # A manager's observation form exists for them (its member chooser holds their team's).
        if ask.name in MEMBER_PAGES - ({"deployment:observation-create"} if own else set()) and answer.status != 404:
            problems.append(f"{answer.what}: a member page answers {answer.status}, not 404")
        if ask.name in MEMBER_APIS and own is None and answer.status != 403:
            problems.append(f"{answer.what}: observations answer {answer.status}, not 403")
    naming = {answer.what for ask, answer in walked if ask.name in NAMING_APIS}
    names = [m.name for team, members in w["members"].items() if team != own for m in members]
    shown = {}
    for answer in answers:
        problems += [f"{answer.what} {leak}" for leak in small_team_leaks(figures, answer)]
        if answer.what not in naming:
            problems += [f"{answer.what} names {name!r}" for name in names if name in answer.text]
        for f, _form in figures.found(answer):
            shown.setdefault(f, answer.what)
    problems += worked_out(figures, shown)
    assert not problems, f"{role} ({user.email}) gets:\n" + "\n".join(problems)


def test_an_admin_sees_the_small_team_wherever_it_belongs(client, w, figures):
    """The positive control: the searches find what they look for."""
    walked = walk(client, w, w["admin"])
    missing = [
        f"{answer.what} ({answer.status})"
        for ask, answer in walked
        if ask.shows_small and not small_team_leaks(figures, answer)
    ]
    assert not missing, "no figure of the small team in:\n" + "\n".join(missing)
    answers = [answer for _ask, answer in walked]
    names = {f.name for a in answers for f, _form in figures.found(a) if f.group == SMALL}
    assert names >= {"coverage", "deployment_rate", *SHARE_FIGURES, "accueil:transformation_rate"}
    # Even without the small team's own figures, the others' give them away to an admin: the check
    # of what follows from what can fail.
    shown = {}
    for answer in answers:
        for f, _form in figures.found(answer):
            if f.group != SMALL:
                shown.setdefault(f, answer.what)
    assert worked_out(figures, shown, explain=0)
    # The e-mails are read right: the region's report shows the region's figures (every e-mail is
    # protected, an admin's too).
    report_emails_send(org=w["org"], stakeholder=w["stakeholder"], period=Month.parse(w["report_period"]))
    emails = email_answers(w["steering"])
    assert len(emails) == 3
    for answer in emails:
        assert any(f.group == "R-NORD" for f, _form in figures.found(answer)), answer.what
