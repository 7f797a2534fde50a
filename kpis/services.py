"""Writes of the kpis app: metric definitions, API keys, recomputation bookkeeping, uploads."""

import datetime
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import ApiKey, ApiKeyScope, Organization

from .models import ComputedPeriod, DirtyPeriod, Metric, MetricCategory, UploadJob


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


def api_key_create(*, org: Organization, name: str, scopes: Iterable[str], created_by=None) -> tuple[ApiKey, str]:
    """Create a key and return it with the full key, which is not stored and cannot be shown again."""
    scopes = sorted(set(scopes))
    if not scopes or not set(scopes) <= set(ApiKeyScope.values):
        raise ServiceError(
            _("Choose at least one scope among: %(scopes)s.") % {"scopes": ", ".join(ApiKeyScope.values)}
        )
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the key a name."))
    prefix, raw_key = ApiKey.generate()
    key = ApiKey(
        organization=org,
        name=name,
        prefix=prefix,
        hashed_key=ApiKey.hash(raw_key),
        scopes=scopes,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        raise ServiceError(_("An API key with this name already exists.")) from None
    return key, raw_key


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke for good: the key stops authenticating at once. Revoking twice changes nothing."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def periods_recompute(
    *,
    org: Organization,
    periods: Iterable[datetime.date],
    seen_marks: Mapping[datetime.date, datetime.datetime] | None = None,
) -> None:
    """Recompute the organization's snapshots of the given months, one transaction per month.

    This is the single hook of the rate and KPI engine (a later issue): it will replace the
    month's snapshots inside the transaction below, so readers never see half a computation.
    Today it does the bookkeeping only: it records when the month was recomputed and clears its
    dirty mark. A mark is cleared only if it is still the one in ``seen_marks`` (the caller read
    it before recomputing), else only if made before this call, so that data written during the
    recomputation keeps its month dirty for the next run.
    """
    started = timezone.now()
    for period_start in sorted(set(periods)):
        with transaction.atomic():
            ComputedPeriod.objects.update_or_create(
                organization=org, period_start=period_start, defaults={"recomputed_at": timezone.now()}
            )
            marks = DirtyPeriod.objects.for_org(org).filter(period_start=period_start)
            if seen_marks is not None and period_start in seen_marks:
                marks = marks.filter(marked_at=seen_marks[period_start])
            else:
                marks = marks.filter(marked_at__lte=started)
            marks.delete()


def upload_create(*, org: Organization, kind: str, file, created_by=None, language: str = "") -> UploadJob:
    """Store the file and queue its ingestion once the job row is committed."""
    from .uploads import upload_queue

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
