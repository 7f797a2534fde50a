"""Reads of the experience model."""

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from cxtracker.tenancy.models import Organization
from deployment.models import Observation

from .models import Behavior, Dimension, ExperienceModel, Journey


def active_model(*, org: Organization) -> ExperienceModel | None:
    """The organization's active version, the one rates and new observations use."""
    return ExperienceModel.objects.for_org(org).active().first()


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


def model_versions(*, org: Organization):
    """Every version, newest first, with its numbers of dimensions, behaviors and observations."""
    # One subquery per count: joining the three would multiply rows (observations × behaviors).
    return (
        ExperienceModel.objects.for_org(org)
        .annotate(
            dimension_count=_count(Dimension.objects.filter(model=OuterRef("pk"))),
            behavior_count=_count(Behavior.objects.filter(model=OuterRef("pk"))),
            observation_count=_count(Observation.objects.filter(model=OuterRef("pk"))),
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
