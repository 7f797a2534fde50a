"""Reads of the experience model."""

import bisect
import datetime
from collections.abc import Iterable
from itertools import groupby
from operator import attrgetter

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from cxtracker.tenancy.models import Organization

from .models import Behavior, Dimension, ExperienceModel, ExperienceModelActivation, Journey


def active_model(*, org: Organization) -> ExperienceModel | None:
    """The organization's active version, the one new observations and this month's rates use."""
    return ExperienceModel.objects.for_org(org).active().first()


def models_active_at(
    *, org: Organization, moments: Iterable[datetime.datetime]
) -> dict[datetime.datetime, ExperienceModel | None]:
    """The version active at each moment (aware datetimes): the version of the last activation at
    or before it. A past month's rates use the version active at its end.

    A moment before the first activation gets the first activated version: the organization's
    data starts with it (observations can be dated before the model was switched on). Without
    any activation recorded (an active version written without the service), the active version
    holds everywhere; None for an organization with no active version. One query whatever the
    number of moments, two in that last case.

    The version decides which behaviors a month counts, not which ratings: a rating carries over
    to every version by behavior code (a rating of ``salue-30s`` made with v1 counts for
    ``salue-30s`` of v2), and a behavior new in a version starts at level 1 for everyone.
    """
    moments = list(moments)
    activations = list(
        ExperienceModelActivation.objects.for_org(org).select_related("model").order_by("activated_at", "id")
    )
    if not activations:
        return dict.fromkeys(moments, active_model(org=org))
    times = [activation.activated_at for activation in activations]
    result = {}
    for moment in moments:
        index = bisect.bisect_right(times, moment)
        result[moment] = activations[max(index - 1, 0)].model
    return result


def model_structure(*, model: ExperienceModel, with_journeys: bool = False) -> list[Dimension]:
    """The dimensions of ``model`` in order, each with ``behaviors.all()`` in order: two queries
    whatever the size of the model (three with each dimension's ``journeys.all()``)."""
    prefetches = [Prefetch("behaviors", queryset=Behavior.objects.order_by("position", "id"))]
    if with_journeys:
        prefetches.append(Prefetch("journeys", queryset=Journey.objects.order_by("name")))
    return list(
        Dimension.objects.filter(organization_id=model.organization_id, model=model)
        .order_by("position", "id")
        .prefetch_related(*prefetches)
    )


def model_behaviors(*, model: ExperienceModel | None) -> list[Behavior]:
    """The behaviors of ``model`` in order, each with its dimension; none without a model (an
    organization that has not activated one yet)."""
    if model is None:
        return []
    return list(Behavior.objects.filter(organization_id=model.organization_id, model=model).select_related("dimension"))


def model_dimensions(*, model: ExperienceModel | None) -> list[Dimension]:
    if model is None:
        return []
    return list(Dimension.objects.filter(organization_id=model.organization_id, model=model))


def behaviors_by_dimension(behaviors) -> list[tuple[Dimension, list[Behavior]]]:
    """The behaviors (of one model, in order) as (dimension, its behaviors) runs: the columns of a
    levels grid, the sections of a member's levels."""
    return [(dimension, list(run)) for dimension, run in groupby(behaviors, key=attrgetter("dimension"))]


def model_versions(*, org: Organization):
    """Every version, newest first, with its numbers of dimensions, behaviors and observations."""
    # One subquery per count of the model's own rows, the observations (another app's, through
    # their reverse relation) the only join: joining the three would multiply rows.
    return (
        ExperienceModel.objects.for_org(org)
        .annotate(
            dimension_count=_count(Dimension.objects.filter(model=OuterRef("pk"))),
            behavior_count=_count(Behavior.objects.filter(model=OuterRef("pk"))),
            observation_count=Count("observations"),
        )
        .order_by("-version")
    )


def _count(queryset):
    counted = queryset.order_by().values("model").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def journeys_with_stages(*, org: Organization):
    return (
        Journey.objects.for_org(org)
        .prefetch_related("stages")
        .annotate(dimension_count=Count("dimensions", distinct=True))
        .order_by("name", "pk")
    )
