"""The demo organization's customers and business: survey responses and monthly metric values
per team for the demo year and ``BASELINE_MONTHS`` before it (customers were surveyed before the
coaching programme began), following each team's transformation rate with a delay the lag
analysis can find.

The story (``seed_demo`` seeds the field history first, ``deployment.demo``):

- NPS: the expected NPS of a team-month is the team's base NPS plus ``NPS_SLOPE`` points per +10
  points of the team's transformation rate ``NPS_LAG`` months earlier, plus a normal month noise
  of ``NPS_MONTH_SIGMA``; the answers are stratified draws around it. The base NPS rises with the
  team's size (``NPS_PER_MEMBER``) and with how much its manager coaches
  (``NPS_PER_COACHING_SD``), and so does its mastery (``deployment.demo``): the well-run large
  stores have both, so that a pooled comparison across teams overstates (about twice) the effect
  each team shows against itself. The lagging region starts ``LAGGING_REGION_NPS`` lower.
- CSAT and CES follow each answer's NPS score loosely; channel follows the journey; segments
  shift the NPS a little; some answers carry a short French comment matching the score.
- Average basket (so revenue and gross margin): ``BASKET_SLOPE`` (+2 %) per +10 points of
  transformation ``BASKET_LAG`` months earlier, on a base that also rises with the team's size.
  Retention rate rises and handling time falls with the same lagged rate, weakly.

The transformation rate of a team-month is the engine's (``transformation_rates``, counted by
``kpis.engine.compute`` from the field history just seeded, before any snapshot exists): SPEC §4's
mean of (level − 1) / 3 over the team's active members × the month's behaviors. It is 0 before the
programme.

Deterministic (fixed random seeds), written with bulk_create in batches; survey responses are
skipped when the organization has some already, metric values likewise.
"""

import datetime
import math
import random
import statistics
from collections import Counter

from django.db import transaction
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.models import Member, Organization, OrgUnit, UnitKind
from deployment.demo import lagging_team_ids, last_twelve_months
from deployment.models import Observation
from experience.demo import JOURNEYS

from .engine import compute, formulas
from .models import Metric, MetricValue, SurveyResponse, SurveyTrigger
from .services import metrics_seed_defaults

RANDOM_SEED = 7

# The lags and slopes the seed builds in (the lag analysis should find them).
NPS_LAG = 2  # months
NPS_SLOPE = 3.0  # NPS points per +10 points of transformation
BASKET_LAG = 3  # months
BASKET_SLOPE = 0.02  # +2 % of average basket per +10 points of transformation
# Between teams: the confounder (store size) and the rest.
NPS_BASE, NPS_PER_MEMBER, NPS_TEAM_SIGMA = 10.0, 3.0, 3.0
# Well-run stores coach more and please their customers anyway: NPS points per standard deviation
# of a team's coaching (observations per member and month), a second confounder.
NPS_PER_COACHING_SD = 8.0
# The NPS of a team-month: its expected level plus a normal noise of NPS_MONTH_SIGMA points. The
# answers are stratified draws around it, not independent ones: independent answers would add the
# sampling noise of a real survey (± 11 points at n = 50), under which a +3-point effect of 40
# teams over a year hides in the lag analysis's 9 coefficients. The demo keeps a smaller noise.
NPS_MONTH_SIGMA = 5.0
# The lagging region's stores start lower too (tourist areas, seasonal staff): another reason
# for a pooled comparison across teams to overstate the effect.
LAGGING_REGION_NPS = -6.0
PASSIVES = 0.3  # share of 7–8 answers
# Responses per team-month: RESPONSES_BASE + RESPONSES_PER_MEMBER × team size, ± 15 %.
RESPONSES_BASE, RESPONSES_PER_MEMBER = 30, 2.4
AUGUST_RESPONSES = 0.8  # holidays: fewer customers answer

CHANNELS_BY_JOURNEY = {
    "achat-magasin": (("magasin", 1.0),),
    "contact-sav": (("telephone", 0.5), ("magasin", 0.3), ("web", 0.2)),
    "retrait-commande": (("magasin", 0.8), ("web", 0.2)),
}
JOURNEY_WEIGHTS = {"achat-magasin": 0.6, "contact-sav": 0.22, "retrait-commande": 0.18}
# segment: share of responses, NPS shift (centred: the weighted shift is about 0)
SEGMENTS = {"fidele": (0.45, 6.0), "occasionnel": (0.35, -3.0), "nouveau": (0.2, -8.0)}
COMMENT_SHARE = 0.3
COMMENTS = {
    "promoter": [
        "Très bon accueil, vendeur à l'écoute.",
        "Conseils précis, je reviendrai.",
        "On m'a proposé deux solutions adaptées, parfait.",
        "Accueil souriant et rapide.",
        "Le vendeur a pris le temps de bien comprendre mon besoin.",
        "Service impeccable du début à la fin.",
    ],
    "passive": [
        "Correct, sans plus.",
        "Bon conseil mais un peu d'attente.",
        "Personnel aimable, rayon mal indiqué.",
        "Bien dans l'ensemble.",
    ],
    "detractor": [
        "Personne pour me renseigner.",
        "Attente trop longue en caisse.",
        "Vendeur pressé, pas de conseil.",
        "On ne m'a pas dit bonjour.",
        "Produit introuvable et aucune aide.",
        "Réponse vague sur la garantie.",
    ],
}

# Metric values: per member and month, before seasonality.
TRANSACTIONS_PER_MEMBER = 380
CONTACTS_PER_TRANSACTION = 0.12
TRAFFIC_SEASON = {
    1: 1.0,
    2: 0.88,
    3: 0.95,
    4: 0.97,
    5: 0.98,
    6: 1.0,
    7: 1.02,
    8: 0.8,
    9: 0.95,
    10: 1.0,
    11: 1.12,
    12: 1.4,
}
BASKET_SEASON = {1: 0.97, 7: 0.97, 11: 1.03, 12: 1.08}

BATCH_SIZE = 2000
# Months of survey responses and metric values before the demo year's first observation.
BASELINE_MONTHS = 6


def seed(org: Organization) -> None:
    """Seed survey responses and metric values for the baseline and the demo year, unless the
    organization has some already (each kind on its own)."""
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    if not teams:
        return
    # Customers were surveyed before the coaching programme began: a baseline the lag analysis
    # compares with (the rate of those months is 0, no behavior rated yet).
    year = last_twelve_months(org)
    months = Month.range(year[0].shift(-BASELINE_MONTHS), year[-1])
    seed_responses = not SurveyResponse.objects.for_org(org).exists()
    seed_metrics = not MetricValue.objects.for_org(org).exists()
    if not (seed_responses or seed_metrics):
        return
    lag = max(NPS_LAG, BASKET_LAG)
    history = Month.range(months[0].shift(-lag), months[-1])
    rates = transformation_rates(org=org, teams=teams, months=history)
    active = _active_counts(org, teams, months)
    sizes = {team.pk: max(active[team.pk].values(), default=0) for team in teams}
    coaching = _coaching_scores(org, teams, active)
    with transaction.atomic():
        if seed_responses:
            SurveyResponse.objects.bulk_create(
                _responses(org, teams, months, rates, sizes, coaching, random.Random(RANDOM_SEED)),
                batch_size=BATCH_SIZE,
            )
        if seed_metrics:
            metrics = {m.code: m for m in metrics_seed_defaults(org=org)}
            MetricValue.objects.bulk_create(
                _metric_values(org, teams, months, rates, active, metrics, random.Random(RANDOM_SEED + 1)),
                batch_size=BATCH_SIZE,
            )


# ---------------------------------------------------------------------------------------------
# SPEC §4's transformation rate, from the ratings in the database.


def transformation_rates(
    *, org: Organization, teams: list[OrgUnit], months: list[Month]
) -> dict[tuple[int, Month], float | None]:
    """The transformation rate of each (team, month) at the end of the month, counted now by the
    engine (``kpis.engine.compute``) from the field history just seeded: None when the team has no
    active member that month (or the organization no model)."""
    computed = compute.team_months_compute(org=org, months=months, team_ids=[t.pk for t in teams])
    return {
        (team_id, Month.of(start)): formulas.transformation_rate(tm.score_points, tm.pairs)
        for (team_id, start), tm in computed.teams.items()
    }


def _coaching_scores(org, teams, active) -> dict[int, float]:
    """Each team's observations per active member and month over the year, as a z-score across
    the teams: how much its manager coaches, the hidden trait of a well-run store."""
    observations = Counter(
        Observation.objects.for_org(org).filter(member__team__in=teams).values_list("member__team_id", flat=True)
    )
    per_member = {team.pk: observations[team.pk] / max(1, sum(active[team.pk].values())) for team in teams}
    mean = statistics.fmean(per_member.values())
    sd = statistics.pstdev(per_member.values()) or 1.0
    return {team_id: (value - mean) / sd for team_id, value in per_member.items()}


def _active_counts(org, teams, months) -> dict[int, dict[Month, int]]:
    counts: dict[int, dict[Month, int]] = {team.pk: {} for team in teams}
    members = list(
        Member.objects.for_org(org).filter(team__in=teams).values_list("team_id", "active_from", "active_to")
    )
    for month in months:
        for team in teams:
            counts[team.pk][month] = 0
        for team_id, active_from, active_to in members:
            if active_from <= month.last_day and (active_to is None or active_to >= month.first_day):
                counts[team_id][month] += 1
    return counts


def _rate_points(rates, team_id, month: Month, lag: int) -> float:
    """The team's transformation rate ``lag`` months before ``month``, in points (0–100)."""
    rate = rates.get((team_id, month.shift(-lag)))
    return 100 * (rate or 0.0)


# ---------------------------------------------------------------------------------------------
# Survey responses.


def _responses(org, teams, months, rates, sizes, coaching, rng):
    now = timezone.now()
    lagging = lagging_team_ids(org, teams)
    tz = org.tzinfo
    journeys = [code for code, *_rest in JOURNEYS if code in JOURNEY_WEIGHTS]
    journey_weights = [JOURNEY_WEIGHTS[code] for code in journeys]
    segments = list(SEGMENTS)
    segment_weights = [SEGMENTS[s][0] for s in segments]
    for team in teams:
        size = sizes[team.pk]
        base = NPS_BASE + NPS_PER_MEMBER * (size - 10) + NPS_PER_COACHING_SD * coaching[team.pk]
        base += rng.gauss(0, NPS_TEAM_SIGMA)
        if team.pk in lagging:
            base += LAGGING_REGION_NPS
        volume = rng.uniform(0.85, 1.15) * (RESPONSES_BASE + RESPONSES_PER_MEMBER * size)
        for month in months:
            start, end = month.bounds(tz)
            if start >= now:
                continue
            share = min(1.0, (now - start) / (end - start))
            count = volume * rng.uniform(0.9, 1.1) * (AUGUST_RESPONSES if month.month == 8 else 1.0)
            count = max(3, round(count * share))
            expected = base + NPS_SLOPE * _rate_points(rates, team.pk, month, NPS_LAG) / 10
            expected += rng.gauss(0, NPS_MONTH_SIGMA)
            # Stratified draws: the month's answers match its expected NPS closely (see NPS_MONTH_SIGMA).
            draws = [(i + rng.random()) / count for i in range(count)]
            rng.shuffle(draws)
            for i, draw in enumerate(draws):
                journey = rng.choices(journeys, journey_weights)[0]
                segment = rng.choices(segments, segment_weights)[0]
                yield _response(
                    rng,
                    org,
                    team,
                    external_id=f"demo-{team.code}-{month}-{i:03d}",
                    responded_at=_moment(rng, start, min(end, now)),
                    nps=_nps_score(rng, expected + SEGMENTS[segment][1], draw),
                    journey=journey,
                    segment=segment,
                )


def _response(rng, org, team, *, external_id, responded_at, nps, journey, segment) -> SurveyResponse:
    csat = _clamp(round(1.2 + 0.38 * nps + rng.gauss(0, 0.6)), 1, 5)
    ease = -0.6 if journey == "contact-sav" else 0.0
    ces = _clamp(round(2.0 + 0.45 * nps + ease + rng.gauss(0, 1.0)), 1, 7)
    trigger = SurveyTrigger.EVENT if rng.random() < 0.75 else SurveyTrigger.PERIODIC
    has_nps, has_csat = rng.random() < 0.95, rng.random() < 0.8
    has_ces = rng.random() < (0.7 if trigger == SurveyTrigger.EVENT else 0.3)
    if not (has_nps or has_csat or has_ces):
        has_nps = True
    comment = ""
    if rng.random() < COMMENT_SHARE:
        kind = "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
        comment = rng.choice(COMMENTS[kind])
    aspects = {}
    if journey == "achat-magasin" and rng.random() < 0.25:
        aspects = {code: _clamp(csat + rng.choice((-1, 0, 0, 1)), 1, 5) for code in ("accueil", "conseil")}
    return SurveyResponse(
        organization=org,
        external_id=external_id,
        unit=team,
        responded_at=responded_at,
        nps=nps if has_nps else None,
        csat=csat if has_csat else None,
        ces=ces if has_ces else None,
        channel=_weighted(rng, CHANNELS_BY_JOURNEY[journey]),
        journey=journey,
        trigger=trigger,
        segment=segment,
        comment=comment,
        aspects=aspects,
    )


def _nps_score(rng, expected: float, draw: float) -> int:
    """The 0–10 answer of the uniform ``draw`` in [0, 1) for an expected NPS of ``expected``:
    passives are a fixed ``PASSIVES`` share, promoters − detractors = expected / 100."""
    others = 1 - PASSIVES
    expected = _clamp(expected, -100 * others, 100 * others)
    promoters = (others + expected / 100) / 2
    detractors = (others - expected / 100) / 2
    if draw < promoters:
        return 10 if rng.random() < 0.55 else 9
    if draw < promoters + detractors:
        return rng.choices(range(7), weights=(1, 1, 1, 2, 3, 5, 7))[0]
    return 8 if rng.random() < 0.55 else 7


def _moment(rng, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    """A moment between start and end, in the afternoon or evening when the day allows it."""
    for _ in range(5):
        day = start + datetime.timedelta(days=rng.randrange(max(1, (end - start).days)))
        moment = day.replace(hour=rng.randint(10, 21), minute=rng.randrange(60), second=rng.randrange(60))
        if start <= moment < end:
            return moment
    return start + (end - start) * rng.random()


# ---------------------------------------------------------------------------------------------
# Metric values.


def _metric_values(org, teams, months, rates, active, metrics, rng):
    for team in teams:
        size = max(active[team.pk].values(), default=0)
        basket_base = 38 + 0.9 * (size - 10) + rng.gauss(0, 3)
        margin_rate = rng.uniform(0.36, 0.42)
        retention_base = 60 + 0.4 * (size - 10) + rng.gauss(0, 3)
        handling_base = rng.uniform(8.0, 11.0)
        for month in months:
            if not active[team.pk][month]:
                continue
            points = _rate_points(rates, team.pk, month, BASKET_LAG)
            basket = (
                basket_base
                * BASKET_SEASON.get(month.month, 1.0)
                * (1 + BASKET_SLOPE) ** (points / 10)
                * math.exp(rng.gauss(0, 0.012))
            )
            # Footfall follows the store's size, not this month's headcount.
            footfall = TRAFFIC_SEASON[month.month] * math.exp(rng.gauss(0, 0.04))
            transactions = size * TRANSACTIONS_PER_MEMBER * footfall
            revenue = transactions * basket
            values = {
                "revenue": round(revenue),
                "gross_margin": round(revenue * margin_rate * math.exp(rng.gauss(0, 0.01))),
                "average_basket": round(basket, 2),
                "retention_rate": round(_clamp(retention_base + 0.06 * points + rng.gauss(0, 1.2), 30.0, 95.0), 1),
                "contacts": round(transactions * CONTACTS_PER_TRANSACTION * math.exp(rng.gauss(0, 0.06))),
                "handling_time": round(max(3.0, handling_base - 0.025 * points + rng.gauss(0, 0.4)), 1),
            }
            for code, value in values.items():
                metric: Metric | None = metrics.get(code)
                if metric is not None:
                    yield MetricValue(
                        organization=org, metric=metric, unit=team, period_start=month.first_day, value=value
                    )


def _weighted(rng, choices) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _clamp(value, low, high):
    return max(low, min(high, value))
