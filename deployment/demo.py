"""A year of field history for the demo organization: observations with ratings, team animations.

Teams differ the way real ones do, and how much a team is coached decides how fast its ratings
rise (each rating moves the latent skill of the rated behavior up):

- the programme rolls out in waves: each team starts in a month of its own (0 to ``LAST_WAVE``;
  late starters from month 7; the lagging region ``LAGGING_REGION_DELAY`` months later), and
  nothing is observed before;
- coaching comes in pushes: the start month, then a share of the months (the profile's, times the
  team's coaching intensity), where the manager observes each member ``PUSH_RATE`` times on most
  of the model; ordinary months see a few short visits (``ORDINARY_RATE`` × intensity, coaching
  less) and, without a push, practices erode by ``EROSION`` levels. So each team's transformation
  rate climbs by steps of its own, not along one common curve: what lets the lag analysis tell
  the lags apart;
- coaching intensity = size factor × region factor. Size factor ``0.3 + 0.1 × (members − 4)``
  (0.3 for 4 members, 1.6 for 17), and large teams are more often "engaged" (``profile_weights``):
  large stores have a floor manager, so they reach mastery sooner (the confounder of the demo:
  ``kpis.demo`` gives them a higher base NPS too). Region factor ``LAGGING_REGION_FACTOR`` in
  ``cxtracker.tenancy.demo.LAGGING_REGION``, 1 elsewhere. August is at half.

Deterministic (``random.Random(RANDOM_SEED)``), written with bulk_create, and skipped when the
organization already has observations. ``seed_demo`` marks the months dirty once, after every app
has seeded.
"""

import datetime
import math
import random

from django.db import transaction
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.demo import LAGGING_REGION
from cxtracker.tenancy.models import Member, Membership, Organization, OrgUnit, Role, UnitKind
from experience.models import Behavior, Dimension, ExperienceModel
from experience.selectors import active_model

from .models import Animation, AnimationKind, Observation, ObservationKind, Rating

RANDOM_SEED = 42

# profile: share of months that are coaching pushes (before the intensity), animations per team per
# month, progress per rating in a push (in levels), month (0-11) from which the team starts at the
# earliest
PROFILES = {
    "engaged": (0.5, 4.5, 0.4, 0),
    "steady": (0.3, 2.8, 0.35, 0),
    "late_starter": (0.5, 3.5, 0.4, 7),
    "rare": (0.12, 0.8, 0.2, 0),
}
# Observations per member in a push month (a manager's month on the floor with the team) and in an
# ordinary month (before the intensity).
PUSH_RATE, ORDINARY_RATE = 2.0, 0.5
NOISE_SIGMA = 0.25  # log-normal spread of a month's coaching around its plan
# Coaching intensity: large teams more, the lagging region's managers less than half as much.
SIZE_FACTOR_BASE, SIZE_FACTOR_PER_MEMBER = 0.3, 0.1
LAGGING_REGION_FACTOR = 0.45
AUGUST_FACTOR = 0.5
LAST_WAVE = 5  # month (0-11) of the last wave of the roll-out
LAGGING_REGION_DELAY = 2  # months: the lagging region starts later
EROSION = 0.12  # levels lost per behavior in a month without a push
ORDINARY_PROGRESS = 0.2  # an ordinary visit coaches less than a push (share of the progress)

STRENGTHS = [
    "Accueil chaleureux, le client se sent attendu.",
    "Très bonne écoute, reformule les besoins.",
    "Connaît parfaitement les produits phares.",
    "Garde le sourire même en période d'affluence.",
    "Propose spontanément un service complémentaire.",
    "Prend congé avec soin et invite à revenir.",
]
DEVELOPMENT_POINTS = [
    "Poser davantage de questions ouvertes avant de proposer.",
    "Saluer le client dans les 30 secondes, même occupé.",
    "Présenter le prix avec ses bénéfices.",
    "Conclure en vérifiant que le client est satisfait.",
    "Penser à proposer la carte de fidélité.",
    "Raccompagner le client vers la sortie quand c'est possible.",
]
NEXT_STEPS = [
    "S'entraîner à la découverte en binôme avec un collègue.",
    "Observer un collègue expérimenté pendant une heure.",
    "Reprendre la fiche produit des nouveautés.",
    "Tester la reformulation sur cinq clients cette semaine.",
    "Préparer trois questions ouvertes pour le prochain rush.",
]
TOPICS = {
    AnimationKind.BRIEFING: ["Brief du matin : objectifs du jour", "Brief : retour sur les verbatims clients"],
    AnimationKind.CHALLENGE: ["Challenge accueil en 30 secondes", "Challenge cartes de fidélité"],
    AnimationKind.TRAINING: ["Formation : l'art de la découverte", "Formation : conclure sans forcer"],
    AnimationKind.RITUAL: ["Rituel du vendredi : la réussite de la semaine", "Rituel : le client de la semaine"],
}


def seed(org: Organization, model: ExperienceModel | None = None) -> None:
    """Create the demo history unless the organization already has observations."""
    if Observation.objects.for_org(org).exists():
        return
    model = model or active_model(org=org)
    if model is None:
        return
    rng = random.Random(RANDOM_SEED)  # demo data: not security-sensitive
    behaviors = list(Behavior.objects.for_org(org).filter(model=model).select_related("dimension"))
    dimensions = list(Dimension.objects.for_org(org).filter(model=model))
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    observers = _observers_by_team(org, teams)
    members_by_team: dict[int, list[Member]] = {}
    for m in Member.objects.for_org(org).filter(team__in=teams).order_by("code"):
        members_by_team.setdefault(m.team_id, []).append(m)
    months = last_twelve_months(org)
    now = timezone.now()

    observations, pending_ratings, animations, attendee_lists, dimension_lists = [], [], [], [], []
    lagging = lagging_team_ids(org, teams)
    for team in teams:
        members = members_by_team.get(team.pk, [])
        profile = rng.choices(list(PROFILES), weights=profile_weights(len(members)))[0]
        push_share, anim_rate, progress, start_month = PROFILES[profile]
        # The programme rolls out in waves: each team starts in its own month, with a push; the
        # lagging region's teams in the later waves.
        first_wave = LAGGING_REGION_DELAY if team.pk in lagging else 0
        start_month = max(start_month, rng.randint(first_wave, LAST_WAVE + first_wave))
        observer = observers.get(team.pk)
        intensity = coaching_intensity(size=len(members), lagging=team.pk in lagging)
        # Each member's latent skill per behavior: a level in [1, 4] that coaching raises.
        skill = {m.pk: {b.pk: rng.uniform(1.0, 2.4) for b in behaviors} for m in members}
        for index, month in enumerate(months):
            started = index >= start_month
            # Large teams and coached regions push more often; a push is a push wherever it happens.
            push = index == start_month or (started and rng.random() < min(0.9, push_share * intensity))
            factor = (1.0 if started else 0.0) * rng.lognormvariate(0, NOISE_SIGMA)
            if month.month == 8:
                factor *= AUGUST_FACTOR
            obs_rate = (PUSH_RATE if push else ORDINARY_RATE * intensity) * factor
            if started and not push:
                # Without follow-up, practices erode a little.
                for levels in skill.values():
                    for b in levels:
                        levels[b] = max(1.0, levels[b] - EROSION)
            start, end = month.bounds(org.tzinfo)
            end = min(end, now)
            for member in members:
                for _ in range(_poisson(rng, obs_rate)):
                    when = _moment(rng, start, end)
                    if when is None or not member.is_active_on(timezone.localtime(when, org.tzinfo).date()):
                        continue
                    # A push observes the whole model or most of it; an ordinary visit a few behaviors.
                    wanted = rng.randint(len(behaviors) // 2, len(behaviors)) if push else rng.randint(4, 10)
                    observed = rng.sample(behaviors, k=min(len(behaviors), wanted))
                    levels = []
                    for b in observed:
                        current = skill[member.pk][b.pk]
                        levels.append((b, max(1, min(4, round(current + rng.gauss(0, 0.35))))))
                        gain = progress * (1.0 if push else ORDINARY_PROGRESS) * rng.uniform(0.5, 1.5)
                        skill[member.pk][b.pk] = min(4.0, current + gain)
                    observations.append(_observation(rng, org, model, member, observer, when, now))
                    pending_ratings.append(levels)
            region_factor = LAGGING_REGION_FACTOR if team.pk in lagging else 1.0
            anim_factor = (1.5 if push else 1.0) * (1.0 if started else 0.25)
            for _ in range(_poisson(rng, anim_rate * region_factor * anim_factor)):
                when = _moment(rng, start, end)
                if when is None:
                    continue
                kind = rng.choice(list(AnimationKind))
                day = timezone.localtime(when, org.tzinfo).date()
                present = [m for m in members if m.is_active_on(day) and rng.random() < 0.85]
                animations.append(
                    Animation(
                        organization=org,
                        team=team,
                        held_by=observer,
                        held_at=when,
                        kind=kind,
                        topic=rng.choice(TOPICS[kind]),
                    )
                )
                attendee_lists.append(present)
                dimension_lists.append(rng.sample(dimensions, k=min(len(dimensions), rng.randint(1, 2))))

    with transaction.atomic():
        Observation.objects.bulk_create(observations, batch_size=2000)
        Rating.objects.bulk_create(
            (
                Rating(
                    organization=org,
                    observation=obs,
                    behavior=b,
                    level=level,
                    member_id=obs.member_id,
                    observed_at=obs.observed_at,
                )
                for obs, levels in zip(observations, pending_ratings, strict=True)
                for b, level in levels
            ),
            batch_size=5000,
        )
        Animation.objects.bulk_create(animations, batch_size=2000)
        Animation.attendees.through.objects.bulk_create(
            (
                Animation.attendees.through(animation_id=a.pk, member_id=m.pk)
                for a, present in zip(animations, attendee_lists, strict=True)
                for m in present
            ),
            batch_size=5000,
        )
        Animation.dimensions.through.objects.bulk_create(
            (
                Animation.dimensions.through(animation_id=a.pk, dimension_id=d.pk)
                for a, dims in zip(animations, dimension_lists, strict=True)
                for d in dims
            ),
            batch_size=5000,
        )


def profile_weights(size: int) -> list[float]:
    """The odds of each profile (in PROFILES order) for a team of ``size`` members: large stores
    have a floor manager and are more often engaged, small ones more often rarely coached."""
    return [max(0.5, size - 4.0), 4.0, 2.0, max(0.5, 12.0 - size)]


def coaching_intensity(*, size: int, lagging: bool) -> float:
    """How much more (or less) than its profile a team is coached: large teams more, the lagging
    region less."""
    size_factor = SIZE_FACTOR_BASE + SIZE_FACTOR_PER_MEMBER * max(0, size - 4)
    return size_factor * (LAGGING_REGION_FACTOR if lagging else 1.0)


def lagging_team_ids(org, teams) -> set[int]:
    """The ids of ``teams`` under the lagging region (none when the organization has no such region)."""
    region = OrgUnit.objects.for_org(org).filter(code=LAGGING_REGION, kind=UnitKind.REGION).first()
    if region is None:
        return set()
    return {team.pk for team in teams if team.path.startswith(region.path)}


def _observation(rng, org, model, member, observer, when, now) -> Observation:
    notes = rng.random() < 0.7
    next_step = rng.choice(NEXT_STEPS) if rng.random() < 0.5 else ""
    next_step_on = (when + datetime.timedelta(days=rng.choice((7, 14, 21)))).date() if next_step else None
    return Observation(
        organization=org,
        member=member,
        observer=observer,
        observed_at=when,
        kind=ObservationKind.COACHING if rng.random() < 0.4 else ObservationKind.OBSERVATION,
        model=model,
        strengths=rng.choice(STRENGTHS) if notes else "",
        development_points=rng.choice(DEVELOPMENT_POINTS) if notes else "",
        next_step=next_step,
        next_step_on=next_step_on,
        # Old steps are mostly done; recent ones still open.
        next_step_done=bool(next_step) and (now - when).days > 30 and rng.random() < 0.8,
    )


def _observers_by_team(org, teams) -> dict[int, object]:
    """Each team's observer: the manager whose scope is the closest to it (deepest unit)."""
    best: dict[int, tuple[int, object]] = {}
    memberships = Membership.objects.for_org(org).filter(role=Role.MANAGER).select_related("user")
    for membership in memberships.prefetch_related("units"):
        for unit in membership.units.all():
            for team in teams:
                if team.path.startswith(unit.path) and unit.depth >= best.get(team.pk, (-1, None))[0]:
                    best[team.pk] = (unit.depth, membership.user)
    return {team_id: user for team_id, (_depth, user) in best.items()}


def last_twelve_months(org) -> list[Month]:
    """The demo year: the current month of the organization and the eleven before it."""
    current = Month.of(org.today())
    return Month.range(current.shift(-11), current)


def _moment(rng, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime | None:
    """A moment during opening hours (9:00-19:00 local) between start and end, if any."""
    days = (end - start).days + 1
    for _ in range(5):
        day = start + datetime.timedelta(days=rng.randrange(days))
        local = day.replace(hour=rng.randint(9, 18), minute=rng.choice((0, 15, 30, 45)))
        if start <= local < end:
            return local
    return None


def _poisson(rng, mean: float) -> int:
    """A Poisson draw (Knuth), enough for small means."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
