"""seed_demo tells a story the engine can find: survey responses and metric values for every team
and month, a lagging region, large teams with more mastery and a higher NPS; idempotent."""

import datetime
import io
import statistics
import zoneinfo
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.core.management import call_command

from cxtracker.months import Month
from cxtracker.tenancy.demo import DEMO_SLUG, LAGGING_REGION
from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
from deployment.demo import last_twelve_months
from deployment.models import Animation, Observation, Rating
from kpis import demo
from kpis.models import Metric, MetricValue, SurveyResponse
from kpis.services import DEFAULT_METRICS
from tests.deployment.conftest import make_experience_model
from tests.factories import make_member, make_unit

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _counts(org) -> dict[str, int]:
    return {
        "units": OrgUnit.objects.for_org(org).count(),
        "members": Member.objects.for_org(org).count(),
        "users": get_user_model().objects.count(),
        "observations": Observation.objects.for_org(org).count(),
        "ratings": Rating.objects.for_org(org).count(),
        "animations": Animation.objects.for_org(org).count(),
        "responses": SurveyResponse.objects.for_org(org).count(),
        "metric_values": MetricValue.objects.for_org(org).count(),
        "nps_sum": sum(SurveyResponse.objects.for_org(org).exclude(nps=None).values_list("nps", flat=True)),
        "value_sum": round(sum(MetricValue.objects.for_org(org).values_list("value", flat=True)), 2),
    }


def test_seed_demo_tells_the_story_once(db):
    call_command("seed_demo", "--teams-per-unit", "2", stdout=io.StringIO())
    org = Organization.objects.get(slug=DEMO_SLUG)
    tz = org.tzinfo
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    assert len(teams) == 16  # 8 business units × 2
    year = last_twelve_months(org)
    assert len(year) == 12

    # Survey responses for every team and month of the year, most team-months at the minimum sample.
    responses, nps_n = Counter(), Counter()  # by (team id, month)
    promoters, detractors, year_n = Counter(), Counter(), Counter()  # by team id, over the year
    for unit_id, responded_at, nps in SurveyResponse.objects.for_org(org).values_list("unit_id", "responded_at", "nps"):
        month = Month.of(responded_at, tz)
        responses[(unit_id, month)] += 1
        if nps is None:
            continue
        nps_n[(unit_id, month)] += 1
        if month >= year[0]:
            year_n[unit_id] += 1
            promoters[unit_id] += nps >= 9
            detractors[unit_id] += nps <= 6
    team_months = [(team.pk, month) for team in teams for month in year]
    assert all(responses[tm] > 0 for tm in team_months)
    at_sample = sum(nps_n[tm] >= org.min_sample_size for tm in team_months)
    assert at_sample >= 0.75 * len(team_months)
    # ... and a baseline before the coaching programme began.
    assert all(responses[(team.pk, year[0].shift(-demo.BASELINE_MONTHS))] >= 10 for team in teams)
    assert not any(responses[(team.pk, year[0].shift(-demo.BASELINE_MONTHS - 1))] for team in teams)
    assert not SurveyResponse.objects.for_org(org).filter(responded_at__gt=datetime.datetime.now(tz)).exists()
    journeys = set(SurveyResponse.objects.for_org(org).values_list("journey", flat=True))
    assert journeys == {"achat-magasin", "contact-sav", "retrait-commande"}
    assert set(SurveyResponse.objects.for_org(org).values_list("trigger", flat=True)) == {"event", "periodic"}
    assert SurveyResponse.objects.for_org(org).exclude(comment="").exists()

    # A value of every seeded metric for every team and month, in plausible ranges.
    values = defaultdict(dict)
    for code, unit_id, period_start, value in MetricValue.objects.for_org(org).values_list(
        "metric__code", "unit_id", "period_start", "value"
    ):
        values[code][(unit_id, Month.of(period_start))] = value
    assert set(values) == {code for code, *_rest in DEFAULT_METRICS}
    for code in values:
        assert all(tm in values[code] for tm in team_months), code
    assert all(15 < v < 120 for v in values["average_basket"].values())
    assert all(30 <= v <= 95 for v in values["retention_rate"].values())
    assert all(3 <= v <= 15 for v in values["handling_time"].values())
    assert all(v["gross_margin"] < v["revenue"] for v in _by_team_month(values).values())

    # The lagging region's teams are behind at the end of the year.
    rates = demo.transformation_rates(org=org, teams=teams, months=[year[-1]])
    by_region = defaultdict(list)
    regions = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.REGION))
    for team in teams:
        region = next(r for r in regions if team.path.startswith(r.path))
        by_region[region.code].append(rates[(team.pk, year[-1])])
    lagging = statistics.mean(by_region.pop(LAGGING_REGION))
    assert by_region and all(lagging < statistics.mean(others) for others in by_region.values())
    # No mastery before the coaching programme: the baseline months have a rate of 0.
    before = demo.transformation_rates(org=org, teams=teams, months=[year[0].previous()])
    assert {rate for rate in before.values() if rate is not None} == {0.0}

    # Large teams have a higher NPS over the year (and more mastery: the confounder).
    sizes = Counter(Member.objects.for_org(org).values_list("team_id", flat=True))
    by_size = sorted(teams, key=lambda t: sizes[t.pk])
    small, large = by_size[: len(teams) // 2], by_size[len(teams) // 2 :]

    def nps(group):
        p, d = sum(promoters[t.pk] for t in group), sum(detractors[t.pk] for t in group)
        return 100 * (p - d) / sum(year_n[t.pk] for t in group)

    assert nps(large) > nps(small) + 5
    assert statistics.mean(rates[(t.pk, year[-1])] for t in large) > statistics.mean(
        rates[(t.pk, year[-1])] for t in small
    )

    # Again: nothing new, nothing changed.
    before_counts = _counts(org)
    call_command("seed_demo", "--teams-per-unit", "2", stdout=io.StringIO())
    assert _counts(org) == before_counts
    assert Metric.objects.for_org(org).count() == len(DEFAULT_METRICS)


def _by_team_month(values):
    rows = defaultdict(dict)
    for code, by_tm in values.items():
        for tm, value in by_tm.items():
            rows[tm][code] = value
    return rows


def _rate(org, team, member, behavior, model, when, level):
    observation = Observation.objects.create(
        organization=org, member=member, observed_at=when, kind="observation", model=model
    )
    Rating.objects.create(
        organization=org, observation=observation, behavior=behavior, level=level, member=member, observed_at=when
    )


def test_transformation_rates_follow_spec_4(org):
    """The seed's own rate (SPEC §4), worked out by hand: active members × behaviors, the latest
    rating at the end of the month in Paris (ties: the last created), unrated = level 1."""
    region = make_unit(org, UnitKind.REGION, code="R")
    bu = make_unit(org, UnitKind.BUSINESS_UNIT, region, code="B")
    team = make_unit(org, UnitKind.TEAM, bu, code="T")
    empty = make_unit(org, UnitKind.TEAM, bu, code="U")
    model = make_experience_model(org, dimensions=(("accueil", 2),))
    b1, b2 = (model.behaviors.get(code=c) for c in ("accueil-1", "accueil-2"))
    a = make_member(org, team, code="A", active_from=datetime.date(2025, 1, 1))
    b = make_member(org, team, code="B", active_from=datetime.date(2026, 2, 10))
    c = make_member(org, team, code="C", active_from=datetime.date(2025, 1, 1), active_to=datetime.date(2026, 1, 15))
    make_member(org, empty, code="D", active_from=datetime.date(2026, 6, 1))
    utc = datetime.UTC
    _rate(org, team, a, b1, model, datetime.datetime(2026, 1, 10, 12, tzinfo=utc), 2)
    # 23:30 UTC on 31 January is 1 February in Paris: it counts from February on.
    _rate(org, team, a, b1, model, datetime.datetime(2026, 1, 31, 23, 30, tzinfo=utc), 3)
    # A tie on observed_at: the last created wins.
    tie = datetime.datetime(2026, 2, 15, 10, tzinfo=PARIS)
    _rate(org, team, a, b2, model, tie, 4)
    _rate(org, team, a, b2, model, tie, 2)
    _rate(org, team, c, b1, model, datetime.datetime(2026, 1, 5, 10, tzinfo=PARIS), 4)
    _rate(org, team, b, b2, model, datetime.datetime(2026, 3, 3, 10, tzinfo=PARIS), 4)

    months = Month.range(Month(2025, 12), Month(2026, 3))
    rates = demo.transformation_rates(org=org, teams=[team, empty], months=months)

    # December: A and C active, nothing rated.
    assert rates[(team.pk, Month(2025, 12))] == 0.0
    # January: A and C (B starts in February): A1 = 2, C1 = 4 → (1 + 3) / 3 / 4 pairs.
    assert round(rates[(team.pk, Month(2026, 1))], 4) == 0.3333
    # February: A and B (C left in January): A1 = 3, A2 = 2 (the tie) → (2 + 1) / 3 / 4.
    assert rates[(team.pk, Month(2026, 2))] == 0.25
    # March: A1 = 3, A2 = 2, B2 = 4 → (2 + 1 + 3) / 3 / 4.
    assert rates[(team.pk, Month(2026, 3))] == 0.5
    # No active member: no rate.
    assert all(rates[(empty.pk, m)] is None for m in months)
