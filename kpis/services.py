"""Writes of the kpis app: metric definitions, API keys, the snapshots of the rate and KPI engine,
uploads."""

from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxtracker.months import Month
from cxtracker.tenancy.models import ApiKey, ApiKeyScope, Organization

from . import engine, formulas
from .models import (
    ComputedPeriod,
    Metric,
    MetricCategory,
    TeamDimensionSnapshot,
    TeamKpiSnapshot,
    TeamMonthSnapshot,
    UploadJob,
)
from .recompute import dirty_marks, marks_clear, periods_mark_missing
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


TEAM_MONTH_FIELDS = (
    "active_members",
    "coached_members",
    "animations",
    "cadence_weight",
    "pairs",
    "score_points",
    "assessed",
    "known",
    "mastered",
)
PAIR_FIELDS = ("pairs", "score_points", "assessed", "known", "mastered")


def _rows_write(model, columns: tuple[str, ...], rows) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``): COPY on PostgreSQL (240,000 snapshot
    rows a year for the SPEC §7 tenant: the ORM's per-value conversion would dominate the job),
    bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
        # wrap_database_errors: a refused row raises Django's IntegrityError, as the ORM would.
        sql = f"COPY {table} ({names}) FROM STDIN"
        with connection.wrap_database_errors, connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    attnames = [model._meta.get_field(c).attname for c in columns]  # organization → organization_id
    model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=2000)


def snapshots_recompute(*, org: Organization, months: Iterable[Month], teams=None) -> int:
    """Replace the snapshots of ``months`` (of the teams ``teams``, or of every team) in one
    transaction: readers see the previous figures until it commits, and a failure midway leaves
    them as they were. Running it twice gives the same rows. Returns the number of team-months."""
    months = sorted(set(months))
    if not months:
        return 0
    team_ids = None if teams is None else sorted({t.pk if hasattr(t, "pk") else int(t) for t in teams})
    computed = engine.team_months_compute(org=org, months=months, team_ids=team_ids)
    starts = [m.first_day for m in months]
    now = timezone.now()
    org_id = org.pk
    with transaction.atomic():
        for model in (TeamMonthSnapshot, TeamDimensionSnapshot, TeamKpiSnapshot):
            old = model.objects.for_org(org).filter(period_start__in=starts)
            if team_ids is not None:
                old = old.filter(team_id__in=team_ids)
            old._raw_delete(old.db)  # snapshots have no dependants: no cascade to collect
        _rows_write(
            TeamMonthSnapshot,
            ("organization", "team", "period_start", *TEAM_MONTH_FIELDS),
            (
                (org_id, team_id, start, *(getattr(tm, f) for f in TEAM_MONTH_FIELDS))
                for (team_id, start), tm in computed.teams.items()
            ),
        )
        _rows_write(
            TeamDimensionSnapshot,
            (
                "organization",
                "team",
                "period_start",
                "dimension_code",
                "dimension_name",
                "dimension_position",
                *PAIR_FIELDS,
            ),
            (
                (org_id, team_id, start, code, dm.name, dm.position, *(getattr(dm, f) for f in PAIR_FIELDS))
                for (team_id, start, code), dm in computed.dimensions.items()
            ),
        )
        _rows_write(
            TeamKpiSnapshot,
            ("organization", "team", "period_start", "breakdown", "value", *formulas.KPI_SUMS),
            (
                (
                    org_id,
                    row["team_id"],
                    row["period_start"],
                    row["breakdown"],
                    row["value"],
                    *(row[k] for k in formulas.KPI_SUMS),
                )
                for row in computed.kpis
            ),
        )
        if team_ids is None:
            ComputedPeriod.objects.bulk_create(
                [ComputedPeriod(organization=org, period_start=start, recomputed_at=now) for start in starts],
                update_conflicts=True,
                unique_fields=["organization", "period_start"],
                update_fields=["recomputed_at"],
            )
    return len(computed.teams)


def snapshots_recompute_marks(*, org: Organization, marks) -> None:
    """Recompute what the dirty marks name (whole months, or some teams of a month) and clear the
    marks in the same transaction, unless re-marked meanwhile."""
    whole = sorted({start for _pk, start, team, _at in marks if team is None})
    by_month: dict = {}
    for _pk, start, team, _at in marks:
        if team is not None and start not in whole:
            by_month.setdefault(start, set()).add(team)
    with transaction.atomic():
        if whole:
            snapshots_recompute(org=org, months=[Month.of(d) for d in whole])
        if by_month:
            teams = set().union(*by_month.values())
            snapshots_recompute(org=org, months=[Month.of(d) for d in by_month], teams=teams)
        marks_clear(org=org, marks=marks)


def recompute_org(*, org: Organization) -> int:
    """Recompute every dirty month of the organization (SPEC §6). Returns the months recomputed."""
    marks = dirty_marks(org=org)
    if marks:
        snapshots_recompute_marks(org=org, marks=marks)
    return len({start for _pk, start, _team, _at in marks})


def recompute_catch_up(*, org: Organization) -> int:
    """The nightly pass of one organization: months never computed (a new month has begun), then
    every dirty mark left behind."""
    periods_mark_missing(org=org)
    return recompute_org(org=org)


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
