"""A year of field history for the demo organization: observations with ratings, team animations.

Teams differ the way real ones do: some managers coach often and their staff progress over the
year, some rarely, some start late. Deterministic (``random.Random(42)``), written with
bulk_create, and skipped when the organization already has observations.
"""

import datetime
import math
import random

from django.db import transaction
from django.utils import timezone

from cxtracker.months import Month
from cxtracker.tenancy.models import Member, Membership, Organization, OrgUnit, Role, UnitKind
from experience.models import Behavior, Dimension, ExperienceModel
from experience.selectors import active_model
from kpis.recompute import periods_mark_dirty

from .models import Animation, AnimationKind, Observation, ObservationKind, Rating
from .selectors import month_current

# profile: observations per member per month, animations per team per month, progress per
# observation (in levels), month (0-11) from which the team really starts
PROFILES = {
    "engaged": (2.2, 4.5, 0.22, 0),
    "steady": (1.2, 2.8, 0.12, 0),
    "late_starter": (1.8, 3.5, 0.2, 6),
    "rare": (0.35, 0.8, 0.06, 0),
}
PROFILE_WEIGHTS = {"engaged": 3, "steady": 4, "late_starter": 2, "rare": 2}

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
    rng = random.Random(42)  # demo data: not security-sensitive
    behaviors = list(Behavior.objects.for_org(org).filter(model=model).select_related("dimension"))
    dimensions = list(Dimension.objects.for_org(org).filter(model=model))
    teams = list(OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM).order_by("path"))
    observers = _observers_by_team(org, teams)
    members_by_team: dict[int, list[Member]] = {}
    for m in Member.objects.for_org(org).filter(team__in=teams).order_by("code"):
        members_by_team.setdefault(m.team_id, []).append(m)
    months = _last_twelve_months(org)
    now = timezone.now()

    observations, pending_ratings, animations, attendee_lists, dimension_lists = [], [], [], [], []
    for team in teams:
        profile = rng.choices(list(PROFILE_WEIGHTS), weights=list(PROFILE_WEIGHTS.values()))[0]
        obs_rate, anim_rate, progress, start_month = PROFILES[profile]
        observer = observers.get(team.pk)
        members = members_by_team.get(team.pk, [])
        # Each member's latent skill per behavior: a level in [1, 4] that coaching raises.
        skill = {m.pk: {b.pk: rng.uniform(1.0, 2.4) for b in behaviors} for m in members}
        for index, month in enumerate(months):
            factor = 1.0 if index >= start_month else 0.25
            start, end = month.bounds(org.tzinfo)
            end = min(end, now)
            for member in members:
                for _ in range(_poisson(rng, obs_rate * factor)):
                    when = _moment(rng, start, end)
                    if when is None or not member.is_active_on(timezone.localtime(when, org.tzinfo).date()):
                        continue
                    observed = rng.sample(behaviors, k=min(len(behaviors), rng.randint(3, 8)))
                    levels = []
                    for b in observed:
                        current = skill[member.pk][b.pk]
                        levels.append((b, max(1, min(4, round(current + rng.gauss(0, 0.35))))))
                        skill[member.pk][b.pk] = min(4.0, current + progress * rng.uniform(0.5, 1.5))
                    observations.append(_observation(rng, org, model, member, observer, when, now))
                    pending_ratings.append(levels)
            for _ in range(_poisson(rng, anim_rate * factor)):
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
        periods_mark_dirty(org=org, days=[month.first_day for month in months])


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


def _last_twelve_months(org) -> list[Month]:
    months = [month_current(org=org)]
    while len(months) < 12:
        months.append(months[-1].previous())
    return months[::-1]


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
