"""Writes of the steering features: stakeholders and action plans.

Every refusal is a Django ``ValidationError`` keyed by field, so that a form shows it next to the
field and the API answers it as ``{"field": ["message"]}``. Neither stakeholders nor plans change
any snapshot: nothing is marked for recomputation.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cxtracker.months import MAX_YEAR, MIN_YEAR
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, code_validator
from experience.models import Dimension
from steering.models import ACTION_PLAN_NOTES_MAX, ActionPlan, ActionPlanStatus, ReportFrequency, Stakeholder

from . import kpi_codes


def kpi_code_message(exc: kpi_codes.KpiCodeError) -> str:
    """The user's-language wording of a refused KPI code."""
    messages = {
        "unknown_kpi": _(
            "Unknown KPI: %(code)s. Use nps, csat, ces, deployment_rate, transformation_rate or a metric code."
        ),
        "breakdown": _("Unknown breakdown in %(code)s: use journey, segment, channel or trigger."),
        "breakdown_not_survey": _(
            "Only NPS, CSAT and CES break down by journey, segment, channel or trigger: %(code)s."
        ),
        "trigger": _("The trigger is event (hot) or periodic (cold): %(code)s."),
        "too_long": _("This KPI code is too long: %(code)s."),
    }
    template = messages.get(
        exc.reason, _("Not a KPI code: %(code)s. Write e.g. nps, csat.trigger=event or nps.journey=purchase.")
    )
    return template % {"code": exc.code}


def _kpi(org_metrics, code: str, field: str, errors: dict) -> str:
    try:
        return str(kpi_codes.parse(code, metric_codes=org_metrics))
    except kpi_codes.KpiCodeError as exc:
        errors.setdefault(field, []).append(kpi_code_message(exc))
        return code


def _kpi_list(org_metrics, codes, field: str, errors: dict) -> list[str]:
    if not isinstance(codes, list | tuple):
        errors.setdefault(field, []).append(_("Expected a list of KPI codes."))
        return []
    cleaned: list[str] = []
    for code in codes:
        value = _kpi(org_metrics, code, field, errors) if isinstance(code, str) else None
        if value is None:
            errors.setdefault(field, []).append(_("Expected a list of KPI codes."))
        elif value not in cleaned:
            cleaned.append(value)
    return cleaned


def _users_of(org: Organization, users) -> tuple[list, bool]:
    users = list(users)
    ids = {u.pk for u in users}
    members = set(Membership.objects.for_org(org).filter(user_id__in=ids).values_list("user_id", flat=True))
    return users, members == ids


def _units_of(org: Organization, units) -> tuple[list, bool]:
    units = list(units)
    return units, all(u.organization_id == org.pk for u in units)


# --- stakeholders ------------------------------------------------------------------------------

STAKEHOLDER_FIELDS = (
    "code",
    "name",
    "users",
    "units",
    "kpis_for_action",
    "kpis_for_information",
    "frequency",
    "flagship_kpi",
)


# A stakeholder's reports live at steering/<code>/: these codes are the steering's own pages.
RESERVED_CODES = frozenset({"stakeholders", "action-plans"})


def _stakeholder_clean(org: Organization, values: dict, instance: Stakeholder | None) -> dict:
    errors: dict = {}
    metrics = kpi_codes.metric_codes(org=org)
    cleaned = dict(values)
    if "code" in values:
        code = (values["code"] or "").strip()
        try:
            code_validator(code)
        except ValidationError as exc:
            errors["code"] = exc.messages
        if not code or len(code) > 64:
            errors["code"] = [_("Give a code of at most 64 characters.")]
        elif code.lower() in RESERVED_CODES:
            errors["code"] = [_("“%(code)s” names a page of the steering: choose another code.") % {"code": code}]
        others = Stakeholder.objects.for_org(org).filter(code=code)
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if "code" not in errors and others.exists():
            errors["code"] = [_("A stakeholder with this code already exists.")]
        cleaned["code"] = code
    if "name" in values:
        cleaned["name"] = (values["name"] or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 200:
            errors["name"] = [_("Give a name of at most 200 characters.")]
    if "users" in values:
        cleaned["users"], ok = _users_of(org, values["users"])
        if not ok:
            errors["users"] = [_("Choose users of the organization.")]
    if "units" in values:
        cleaned["units"], ok = _units_of(org, values["units"])
        if not ok:
            errors["units"] = [_("Choose units of the organization.")]
    for field in ("kpis_for_action", "kpis_for_information"):
        if field in values:
            cleaned[field] = _kpi_list(metrics, values[field], field, errors)
    if "frequency" in values and values["frequency"] not in ReportFrequency.values:
        errors["frequency"] = [_("Choose weekly, monthly or quarterly.")]
    if "flagship_kpi" in values:
        cleaned["flagship_kpi"] = _kpi(metrics, values["flagship_kpi"] or "", "flagship_kpi", errors)
    action = cleaned.get("kpis_for_action", instance.kpis_for_action if instance else [])
    information = cleaned.get("kpis_for_information", instance.kpis_for_information if instance else [])
    both = [c for c in action if c in information]
    if both and "kpis_for_information" not in errors:
        errors["kpis_for_information"] = [
            _("A KPI is either for action or for information, not both: %(codes)s.") % {"codes": ", ".join(both)}
        ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _stakeholder_save(stakeholder: Stakeholder, cleaned: dict, *, created: bool) -> Stakeholder:
    users, units = cleaned.pop("users", None), cleaned.pop("units", None)
    for name, value in cleaned.items():
        setattr(stakeholder, name, value)
    try:
        with transaction.atomic():
            if created:
                stakeholder.save()
            elif cleaned:
                stakeholder.save(update_fields=list(cleaned))
            if users is not None:
                stakeholder.users.set(users)
            if units is not None:
                stakeholder.units.set(units)
    except IntegrityError:
        raise ValidationError({"code": _("A stakeholder with this code already exists.")}) from None
    return stakeholder


def stakeholder_create(
    *,
    org: Organization,
    code: str,
    name: str,
    users=(),
    units=(),
    kpis_for_action=(),
    kpis_for_information=(),
    frequency: str = ReportFrequency.MONTHLY,
    flagship_kpi: str = "nps",
) -> Stakeholder:
    """A steering audience. KPI lists are steering.kpi_codes codes (canonical spelling kept, duplicates
    dropped); a KPI is for action or for information, not both; ``units`` empty is the whole
    organization."""
    cleaned = _stakeholder_clean(
        org,
        {
            "code": code,
            "name": name,
            "users": users,
            "units": units,
            "kpis_for_action": list(kpis_for_action),
            "kpis_for_information": list(kpis_for_information),
            "frequency": frequency,
            "flagship_kpi": flagship_kpi,
        },
        None,
    )
    return _stakeholder_save(Stakeholder(organization=org), cleaned, created=True)


def _known(fields: dict, names) -> None:
    """A programming error, not the user's: an update names a field the service does not write."""
    unknown = set(fields) - set(names)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def stakeholder_update(*, stakeholder: Stakeholder, **fields) -> Stakeholder:
    """Change some of ``STAKEHOLDER_FIELDS``."""
    _known(fields, STAKEHOLDER_FIELDS)
    cleaned = _stakeholder_clean(stakeholder.organization, fields, stakeholder)
    return _stakeholder_save(stakeholder, cleaned, created=False)


def stakeholder_delete(*, stakeholder: Stakeholder) -> None:
    stakeholder.delete()


# --- action plans ------------------------------------------------------------------------------

PLAN_FIELDS = (
    "external_id",
    "title",
    "unit",
    "owner",
    "target_kpi",
    "target_dimension",
    "status",
    "start_on",
    "due_on",
    "done_on",
    "notes",
)


def dimension_codes(*, org: Organization) -> set[str]:
    """The dimension codes of the organization's experience models (every version: a code carries
    across versions)."""
    return set(Dimension.objects.for_org(org).values_list("code", flat=True))


def _date_ok(value) -> bool:
    return isinstance(value, datetime.date) and MIN_YEAR <= value.year <= MAX_YEAR


def _plan_clean(org: Organization, values: dict, instance: ActionPlan | None) -> dict:
    """Check the fields given (merged over ``instance``'s for the rules between fields)."""
    errors: dict = {}
    cleaned = dict(values)
    current = {name: getattr(instance, name) for name in PLAN_FIELDS} if instance else {}
    for text, limit in (("title", 200), ("external_id", 128), ("target_kpi", 150), ("target_dimension", 64)):
        if text in values:
            cleaned[text] = (values[text] or "").strip()
            if len(cleaned[text]) > limit:
                errors[text] = [_("At most %(n)d characters.") % {"n": limit}]
    if "title" in values and not cleaned["title"]:
        errors["title"] = [_("Give the plan a title.")]
    if "external_id" in values and cleaned["external_id"] and "external_id" not in errors:
        others = ActionPlan.objects.for_org(org).filter(external_id=cleaned["external_id"])
        if instance is not None:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            errors["external_id"] = [_("An action plan with this external id already exists.")]
    if "notes" in values:
        cleaned["notes"] = values["notes"] or ""
        if len(cleaned["notes"]) > ACTION_PLAN_NOTES_MAX:
            errors["notes"] = [_("At most %(n)d characters.") % {"n": ACTION_PLAN_NOTES_MAX}]
    if "unit" in values and (not isinstance(values["unit"], OrgUnit) or values["unit"].organization_id != org.pk):
        errors["unit"] = [_("Choose a unit of the organization.")]
    owner = values.get("owner")
    if owner is not None and not Membership.objects.for_org(org).filter(user_id=owner.pk).exists():
        errors["owner"] = [_("The owner must be a user of the organization.")]
    if cleaned.get("target_kpi") and "target_kpi" not in errors:
        cleaned["target_kpi"] = _kpi(kpi_codes.metric_codes(org=org), cleaned["target_kpi"], "target_kpi", errors)
    dimension = cleaned.get("target_dimension")
    if dimension and "target_dimension" not in errors and dimension not in dimension_codes(org=org):
        errors["target_dimension"] = [_("Unknown dimension code: %(code)s.") % {"code": dimension}]
    if "status" in values and values["status"] not in ActionPlanStatus.values:
        errors["status"] = [_("Choose planned, in_progress, done or dropped.")]
    for day in ("start_on", "due_on", "done_on"):
        if day in values and not (values[day] is None and day == "done_on") and not _date_ok(values[day]):
            errors[day] = [_("Give a date between 1970 and 2999.")]
    merged = {**current, **cleaned}
    start, due, done, status = merged.get("start_on"), merged.get("due_on"), merged.get("done_on"), merged.get("status")
    if "due_on" not in errors and "start_on" not in errors and start and due and due < start:
        errors["due_on"] = [_("The due date is before the start date.")]
    if "done_on" not in errors and "status" not in errors:
        if done is not None and status != ActionPlanStatus.DONE:
            errors["done_on"] = [_("A completion date goes with the status “done” only.")]
        elif done is None and status == ActionPlanStatus.DONE:
            errors["done_on"] = [_("Give the completion date of a done plan.")]
        elif done is not None and start and "start_on" not in errors and done < start:
            errors["done_on"] = [_("The completion date is before the start date.")]
        elif done is not None and done > org.today():
            errors["done_on"] = [_("The completion date is in the future.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _plan_save(plan: ActionPlan, cleaned: dict, *, created: bool) -> ActionPlan:
    for name, value in cleaned.items():
        setattr(plan, name, value)
    try:
        with transaction.atomic():
            if created:
                plan.save()
            elif cleaned:
                plan.save(update_fields=[*cleaned, "updated_at"])
    except IntegrityError:
        # A concurrent write took the external id between the check and the insert.
        raise ValidationError({"external_id": _("An action plan with this external id already exists.")}) from None
    return plan


def action_plan_create(
    *,
    org: Organization,
    title: str,
    unit: OrgUnit,
    start_on: datetime.date,
    due_on: datetime.date,
    owner=None,
    target_kpi: str = "",
    target_dimension: str = "",
    status: str = ActionPlanStatus.PLANNED,
    done_on: datetime.date | None = None,
    notes: str = "",
    external_id: str = "",
) -> ActionPlan:
    """A plan of ``unit``: ``due_on`` not before ``start_on``; ``done_on`` exactly when the status
    is done, between the start and today; the target a steering.kpi_codes code and/or a dimension code.
    Marks nothing dirty (a plan changes no snapshot)."""
    values = {
        "external_id": external_id,
        "title": title,
        "unit": unit,
        "owner": owner,
        "target_kpi": target_kpi,
        "target_dimension": target_dimension,
        "status": status,
        "start_on": start_on,
        "due_on": due_on,
        "done_on": done_on,
        "notes": notes,
    }
    cleaned = _plan_clean(org, values, None)
    return _plan_save(ActionPlan(organization=org), cleaned, created=True)


def action_plan_update(*, plan: ActionPlan, **fields) -> ActionPlan:
    """Change some of ``PLAN_FIELDS``; the rules between fields hold on the result."""
    _known(fields, PLAN_FIELDS)
    cleaned = _plan_clean(plan.organization, fields, plan)
    return _plan_save(plan, cleaned, created=False)


def action_plan_delete(*, plan: ActionPlan) -> None:
    plan.delete()


def action_plans_write(*, org: Organization, items: list[dict]) -> list[tuple[ActionPlan | None, str, dict | None]]:
    """The bulk write of the API: each item holds every field of ``action_plan_create`` (codes
    already resolved to rows) with an ``external_id``. An external id the organization already has
    is a duplicate and changes nothing; the others are created, each in its own savepoint so that a
    refused item leaves no trace. Returns ``(plan, status, errors)`` per item, status ``created``,
    ``duplicate`` or ``rejected``."""
    ids = [item.get("external_id") for item in items if item.get("external_id")]
    existing = {p.external_id: p for p in ActionPlan.objects.for_org(org).filter(external_id__in=ids)}
    results: list[tuple[ActionPlan | None, str, dict | None]] = []
    for item in items:
        external_id = (item.get("external_id") or "").strip()
        if not external_id:
            results.append((None, "rejected", {"external_id": [_("This field is required.")]}))
            continue
        if external_id in existing:
            results.append((existing[external_id], "duplicate", None))
            continue
        try:
            with transaction.atomic():
                plan = action_plan_create(org=org, **{**item, "external_id": external_id})
        except ValidationError as exc:
            if external_id not in existing:
                taken = ActionPlan.objects.for_org(org).filter(external_id=external_id).first()
                if taken is not None:
                    existing[external_id] = taken
                    results.append((taken, "duplicate", None))
                    continue
            results.append((None, "rejected", exc.message_dict))
            continue
        existing[external_id] = plan
        results.append((plan, "created", None))
    return results
