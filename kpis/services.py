"""Writes of the kpis app: metric definitions, API keys, the snapshots of the rate and KPI engine,
uploads."""

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Organization
from cxtracker.tenancy.signals import organization_created

from .models import (
    Metric,
    MetricCategory,
    UploadJob,
)
from .uploads import upload_queue


class ServiceError(Exception):
    """A write refused for a reason the user can act on; the message is shown as is."""


# SPEC §3. (code, name, category, unit of measure, higher is better)
DEFAULT_METRICS = [
    ("revenue", "Chiffre d'affaires", MetricCategory.BUSINESS, "€", True),
    ("gross_margin", "Marge brute", MetricCategory.BUSINESS, "€", True),
    ("average_basket", "Panier moyen", MetricCategory.BUSINESS, "€", True),
    ("retention_rate", "Taux de rétention", MetricCategory.BUSINESS, "%", True),
    # More contacts is not a goal in itself, but it is the volume the teams serve: read as activity.
    ("contacts", "Nombre de contacts", MetricCategory.OPERATIONAL, "count", True),
    ("handling_time", "Durée moyenne de traitement", MetricCategory.OPERATIONAL, "min", False),
]


def metrics_seed_defaults(*, org: Organization) -> list[Metric]:
    """Create the seeded metrics the organization does not have yet (by code); idempotent, and
    never overwrites a metric the organization has edited."""
    Metric.objects.bulk_create(
        [
            Metric(
                organization=org,
                code=code,
                name=name,
                category=category,
                unit_of_measure=unit,
                higher_is_better=higher,
            )
            for code, name, category, unit, higher in DEFAULT_METRICS
        ],
        ignore_conflicts=True,
    )
    return list(Metric.objects.for_org(org).filter(code__in=[m[0] for m in DEFAULT_METRICS]))


@receiver(organization_created, dispatch_uid="kpis.metrics_seed_defaults")
def _organization_created(sender, *, org: Organization, **kwargs) -> None:
    metrics_seed_defaults(org=org)


def metric_create(*, org: Organization, **fields) -> Metric:
    metric = Metric(organization=org, **fields)
    try:
        with transaction.atomic():
            metric.save()
    except IntegrityError:
        raise ServiceError(_("A metric with this code already exists.")) from None
    return metric


def metric_update(*, metric: Metric, **fields) -> Metric:
    for name, value in fields.items():
        setattr(metric, name, value)
    try:
        with transaction.atomic():
            metric.save(update_fields=list(fields))
    except IntegrityError:
        raise ServiceError(_("A metric with this code already exists.")) from None
    return metric


def metric_delete(*, metric: Metric) -> None:
    """Delete a metric that has no value: values are business history, never dropped silently."""
    with transaction.atomic():
        metric = Metric.objects.select_for_update().get(pk=metric.pk)
        if metric.values.exists():
            raise ServiceError(
                _("“%(name)s” has values: it cannot be deleted. Delete or re-upload its values first.")
                % {"name": metric.name}
            )
        metric.delete()


def upload_create(*, org: Organization, kind: str, file, created_by=None, language: str = "") -> UploadJob:
    """Store the file and queue its ingestion once the job row is committed."""
    with transaction.atomic():
        job = UploadJob.objects.create(
            organization=org,
            kind=kind,
            file=file,
            filename=file.name[:255],
            created_by=created_by,
            language=language,
        )
        job_id = job.pk
        transaction.on_commit(lambda: upload_queue(upload_id=job_id))
    return job
