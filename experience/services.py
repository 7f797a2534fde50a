"""Writes to the experience model: versions, their dimensions and behaviors, journeys.

A version that is active, or that observations were made with, is *locked*: only its wording may
change and behaviors may be added, because rates and past observations depend on its structure.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from cxtracker.tenancy.models import Organization, code_validator
from cxtracker.tenancy.signals import figures_change, figures_change_all

from .models import Behavior, Dimension, ExperienceModel, ExperienceModelActivation, Journey, JourneyStage, Level
from .selectors import model_structure

# The JSON shape of SPEC §8; the guidance of a behavior is keyed by level ("1".."4").
MODEL_KEYS = {"name", "description", "dimensions"}
DIMENSION_KEYS = {"code", "name", "description", "journeys", "behaviors"}
BEHAVIOR_KEYS = {"code", "name", "guidance"}
GUIDANCE_FIELDS = {
    str(Level.UNKNOWN.value): "guidance_unknown",
    str(Level.KNOWN.value): "guidance_known",
    str(Level.APPLIED.value): "guidance_applied",
    str(Level.MASTERED.value): "guidance_mastered",
}


def _lock_org(org: Organization) -> None:
    """Serialize version numbering and activation within one organization (inside a transaction)."""
    Organization.objects.select_for_update().filter(pk=org.pk).first()


def _next_version(org: Organization) -> int:
    current = ExperienceModel.objects.for_org(org).aggregate(v=Max("version"))["v"]
    return (current or 0) + 1


def _check_same_org(org: Organization, *objects) -> None:
    for obj in objects:
        if obj.organization_id != org.pk:
            raise ValueError(f"{obj!r} does not belong to {org!r}")


def model_is_locked(model: ExperienceModel) -> bool:
    return model.is_active or model.observations.exists()


def _version_figures_changed(org: Organization, model_id: int) -> None:
    """Mark the months that use a version whose structure changed (a behavior added, removed or
    recoded, a dimension renamed): every month from its first activation on, and the whole history
    for the organization's first version, which the months before any activation use too. A
    version never activated is used by no month."""
    activations = list(
        ExperienceModelActivation.objects.for_org(org)
        .order_by("activated_at", "id")
        .values_list("model_id", "activated_at")
    )
    first = next((activated_at for version, activated_at in activations if version == model_id), None)
    if first is None:
        return
    if activations[0][0] == model_id:
        figures_change_all(org=org)
    else:
        figures_change(org=org, days=[first], cascade=True)


# --- JSON import / export ------------------------------------------------------------------------


class _Errors:
    def __init__(self):
        self.messages: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.messages.setdefault(path, []).append(message)


def _check_keys(errors: _Errors, path: str, value: dict, allowed: set[str]) -> None:
    for key in sorted(set(value) - allowed):
        errors.add(f"{path}.{key}" if path else key, _("Unknown key."))


def _check_text(errors, path, value, *, required, max_length) -> str:
    if value is None:
        if required:
            errors.add(path, _("This field is required."))
        return ""
    if not isinstance(value, str):
        errors.add(path, _("Must be a string."))
        return ""
    value = value.strip()
    if required and not value:
        errors.add(path, _("This field is required."))
    elif len(value) > max_length:
        errors.add(path, _("At most %(n)d characters.") % {"n": max_length})
    return value


def _check_code(errors, path, value, seen: set[str], duplicate_message: str) -> str:
    code = _check_text(errors, path, value, required=True, max_length=64)
    if not code:
        return code
    try:
        code_validator(code)
    except ValidationError as exc:
        errors.add(path, exc.messages[0])
        return code
    if code in seen:
        errors.add(path, duplicate_message % {"code": code})
    seen.add(code)
    return code


def _parse_model_data(org: Organization, data) -> tuple[dict, _Errors]:
    """Validate ``data`` (SPEC §8 shape) and return a clean copy plus the errors found."""
    errors = _Errors()
    if not isinstance(data, dict):
        errors.add("__all__", _("The model must be a JSON object."))
        return {}, errors
    _check_keys(errors, "", data, MODEL_KEYS)
    clean = {
        "name": _check_text(errors, "name", data.get("name"), required=True, max_length=200),
        "description": _check_text(errors, "description", data.get("description"), required=False, max_length=10000),
        "dimensions": [],
    }
    dimensions = data.get("dimensions")
    if not isinstance(dimensions, list) or not dimensions:
        errors.add("dimensions", _("A model needs at least one dimension (a non-empty list)."))
        return clean, errors

    journeys = dict(Journey.objects.for_org(org).values_list("code", "pk"))
    dimension_codes: set[str] = set()
    behavior_codes: set[str] = set()
    behavior_count = 0
    for i, dim in enumerate(dimensions):
        path = f"dimensions[{i}]"
        if not isinstance(dim, dict):
            errors.add(path, _("Must be a JSON object."))
            continue
        _check_keys(errors, path, dim, DIMENSION_KEYS)
        clean_dim = {
            "code": _check_code(
                errors, f"{path}.code", dim.get("code"), dimension_codes, _("Dimension code “%(code)s” is used twice.")
            ),
            "name": _check_text(errors, f"{path}.name", dim.get("name"), required=True, max_length=200),
            "description": _check_text(
                errors, f"{path}.description", dim.get("description"), required=False, max_length=10000
            ),
            "journey_ids": [],
            "behaviors": [],
        }
        journey_codes = dim.get("journeys", [])
        if not isinstance(journey_codes, list):
            errors.add(f"{path}.journeys", _("Must be a list of journey codes."))
        else:
            for j, code in enumerate(journey_codes):
                if not isinstance(code, str) or code not in journeys:
                    errors.add(
                        f"{path}.journeys[{j}]",
                        _("Unknown journey “%(code)s”: create it first, in the journeys of the experience model.")
                        % {"code": code},
                    )
                elif journeys[code] not in clean_dim["journey_ids"]:
                    clean_dim["journey_ids"].append(journeys[code])
        behaviors = dim.get("behaviors", [])
        if not isinstance(behaviors, list):
            errors.add(f"{path}.behaviors", _("Must be a list of behaviors."))
            behaviors = []
        for k, beh in enumerate(behaviors):
            bpath = f"{path}.behaviors[{k}]"
            if not isinstance(beh, dict):
                errors.add(bpath, _("Must be a JSON object."))
                continue
            behavior_count += 1
            _check_keys(errors, bpath, beh, BEHAVIOR_KEYS)
            clean_beh = {
                "code": _check_code(
                    errors,
                    f"{bpath}.code",
                    beh.get("code"),
                    behavior_codes,
                    _("Behavior code “%(code)s” is used twice in the model."),
                ),
                "name": _check_text(errors, f"{bpath}.name", beh.get("name"), required=True, max_length=300),
            }
            guidance = beh.get("guidance") or {}
            if not isinstance(guidance, dict):
                errors.add(f"{bpath}.guidance", _("Must be an object keyed by level (1 to 4)."))
                guidance = {}
            for level, text in guidance.items():
                field = GUIDANCE_FIELDS.get(str(level))
                if field is None:
                    errors.add(f"{bpath}.guidance.{level}", _("Levels are 1 to 4."))
                    continue
                clean_beh[field] = _check_text(
                    errors, f"{bpath}.guidance.{level}", text, required=False, max_length=10000
                )
            clean_dim["behaviors"].append(clean_beh)
        clean["dimensions"].append(clean_dim)
    if behavior_count == 0 and "dimensions" not in errors.messages:
        errors.add("dimensions", _("A model needs at least one behavior."))
    return clean, errors


@transaction.atomic
def experience_model_create_from_json(*, org: Organization, data: dict, activate: bool = False) -> ExperienceModel:
    """Create a new version from the SPEC §8 JSON shape; raises ``ValidationError`` (a dict of
    messages keyed by field path, e.g. ``dimensions[1].behaviors[0].code``) and writes nothing
    when the data is invalid."""
    clean, errors = _parse_model_data(org, data)
    if errors.messages:
        raise ValidationError(errors.messages)
    _lock_org(org)
    model = ExperienceModel.objects.create(
        organization=org, name=clean["name"], description=clean["description"], version=_next_version(org)
    )
    for d_pos, dim in enumerate(clean["dimensions"]):
        dimension = Dimension.objects.create(
            organization=org,
            model=model,
            code=dim["code"],
            name=dim["name"],
            description=dim["description"],
            position=d_pos,
        )
        dimension.journeys.set(dim["journey_ids"])
        Behavior.objects.bulk_create(
            Behavior(organization=org, model=model, dimension=dimension, position=b_pos, **beh)
            for b_pos, beh in enumerate(dim["behaviors"])
        )
    if activate:
        experience_model_activate(org=org, model=model)
    return model


def experience_model_export(*, model: ExperienceModel) -> dict:
    """The model in the SPEC §8 shape, ready for ``experience_model_create_from_json``."""
    dimensions = []
    for dim in model_structure(model=model, with_journeys=True):
        behaviors = []
        for beh in dim.behaviors.all():
            entry = {"code": beh.code, "name": beh.name}
            guidance = {level: getattr(beh, field) for level, field in GUIDANCE_FIELDS.items() if getattr(beh, field)}
            if guidance:
                entry["guidance"] = guidance
            behaviors.append(entry)
        entry = {"code": dim.code, "name": dim.name}
        if dim.description:
            entry["description"] = dim.description
        journeys = sorted(j.code for j in dim.journeys.all())
        if journeys:
            entry["journeys"] = journeys
        entry["behaviors"] = behaviors
        dimensions.append(entry)
    data = {"name": model.name}
    if model.description:
        data["description"] = model.description
    data["dimensions"] = dimensions
    return data


# --- versions ------------------------------------------------------------------------------------


@transaction.atomic
def experience_model_create(*, org: Organization, name: str, description: str = "") -> ExperienceModel:
    """A new, empty draft version."""
    _lock_org(org)
    return ExperienceModel.objects.create(
        organization=org, name=name, description=description, version=_next_version(org)
    )


@transaction.atomic
def experience_model_update(*, org: Organization, model: ExperienceModel, name: str, description: str) -> None:
    _check_same_org(org, model)
    model.name, model.description = name, description
    model.save(update_fields=["name", "description"])


@transaction.atomic
def experience_model_activate(*, org: Organization, model: ExperienceModel) -> ExperienceModel:
    """Make ``model`` the organization's one active version, from now on.

    Observations keep the version they were made with. A month's rates use the version active at
    the end of that month (the activation history, ``selectors.models_active_at``): this month
    and the next ones switch to ``model``, past months keep theirs.

    Ratings carry across versions by behavior code: a member's level on a behavior of ``model``
    is their latest rating of a behavior with the same code, whichever version it was made with
    (``salue-30s`` rated 3 with v1 counts as 3 for ``salue-30s`` of v2). Only a behavior new in
    ``model`` starts at level 1 for everyone.
    """
    _check_same_org(org, model)
    _lock_org(org)
    model.refresh_from_db(fields=["is_active", "activated_at"])
    if not model.behaviors.exists():
        raise ValidationError(_("A model needs at least one behavior before it can be activated."))
    # The database allows one active version per organization: deactivate before activating.
    ExperienceModel.objects.for_org(org).filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    if not model.is_active:
        now = timezone.now()
        model.is_active = True
        model.activated_at = now
        model.save(update_fields=["is_active", "activated_at"])
        ExperienceModelActivation.objects.create(organization=org, model=model, activated_at=now)
        # The version of this month changes, for every team; the cascade reaches the months
        # after it, should the organization's clock already be there.
        figures_change(org=org, days=[now], cascade=True)
    return model


@transaction.atomic
def experience_model_copy(*, org: Organization, model: ExperienceModel) -> ExperienceModel:
    """A new draft version with the same dimensions, behaviors, guidance and journey links."""
    _check_same_org(org, model)
    _lock_org(org)
    copy = ExperienceModel.objects.create(
        organization=org, name=model.name, description=model.description, version=_next_version(org)
    )
    for dim in model.dimensions.prefetch_related("journeys", "behaviors").order_by("position", "id"):
        new_dim = Dimension.objects.create(
            organization=org,
            model=copy,
            code=dim.code,
            name=dim.name,
            description=dim.description,
            position=dim.position,
        )
        new_dim.journeys.set(dim.journeys.all())
        Behavior.objects.bulk_create(
            Behavior(
                organization=org,
                model=copy,
                dimension=new_dim,
                code=beh.code,
                name=beh.name,
                position=beh.position,
                **{field: getattr(beh, field) for field in GUIDANCE_FIELDS.values()},
            )
            for beh in sorted(dim.behaviors.all(), key=lambda b: (b.position, b.pk))
        )
    return copy


def experience_model_delete_problem(*, model: ExperienceModel) -> str | None:
    """Why this version cannot be deleted, or None."""
    if model.is_active:
        return _("The active version cannot be deleted: activate another version first.")
    if model.observations.exists():
        return _("This version cannot be deleted: observations were made with it and keep pointing at it.")
    if model.activations.exists():
        return _("This version was active in the past: the rates of those months use it, so it cannot be deleted.")
    if model.dimensions.filter(animations__isnull=False).exists():
        return _("This version cannot be deleted: team animations are about its dimensions.")
    return None


@transaction.atomic
def experience_model_delete(*, org: Organization, model: ExperienceModel) -> None:
    _check_same_org(org, model)
    _lock_org(org)
    problem = experience_model_delete_problem(model=model)
    if problem:
        raise ValidationError(problem)
    _delete_protected(model)


def _delete_protected(obj) -> None:
    """Delete, turning a rating or observation written since the check into a clear refusal."""
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError:
        raise ValidationError(
            _("“%(name)s” cannot be deleted: observations now refer to it.") % {"name": obj}
        ) from None


# --- dimensions and behaviors --------------------------------------------------------------------


def _next_position(queryset) -> int:
    current = queryset.aggregate(p=Max("position"))["p"]
    return 0 if current is None else current + 1


def _renumber(queryset) -> list:
    """Positions 0..n-1 in the current order, so that a move is a swap of neighbours."""
    items = list(queryset)
    changed = [item for pos, item in enumerate(items) if item.position != pos]
    for pos, item in enumerate(items):
        item.position = pos
    if changed:
        type(items[0]).objects.bulk_update(changed, ["position"])
    return items


def _move(org: Organization, obj, direction: str, **siblings) -> None:
    """Swap ``obj`` with its neighbour (``direction``: up or down) among the rows of its kind that
    match ``siblings`` (the dimensions of its version, the behaviors of its dimension...)."""
    _check_same_org(org, obj)
    rows = type(obj).objects.for_org(org).filter(**siblings).order_by("position", "id")
    items = _renumber(rows.select_for_update())
    index = next(i for i, item in enumerate(items) if item.pk == obj.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return
    a, b = items[index], items[other]
    a.position, b.position = b.position, a.position
    type(a).objects.bulk_update([a, b], ["position"])


def _locked_error(model: ExperienceModel, what: str) -> ValidationError:
    return ValidationError(
        _(
            "Version %(version)s is active or has observations: only its wording can change (%(what)s is refused). "
            "Copy it into a new draft to change its structure."
        )
        % {"version": model.version, "what": what}
    )


@transaction.atomic
def dimension_create(
    *, org: Organization, model: ExperienceModel, code: str, name: str, description: str = "", journeys=()
) -> Dimension:
    _check_same_org(org, model, *journeys)
    if model_is_locked(model):
        raise _locked_error(model, _("adding a dimension"))
    position = _next_position(model.dimensions.all())
    dimension = Dimension.objects.create(
        organization=org, model=model, code=code, name=name, description=description, position=position
    )
    dimension.journeys.set(journeys)
    _version_figures_changed(org, model.pk)
    return dimension


@transaction.atomic
def dimension_update(
    *, org: Organization, dimension: Dimension, code: str, name: str, description: str, journeys
) -> Dimension:
    _check_same_org(org, dimension, *journeys)
    # Compare with the stored row: a bound ModelForm has already copied its values onto the instance.
    stored = Dimension.objects.select_for_update().get(pk=dimension.pk)
    if code != stored.code and model_is_locked(dimension.model):
        raise _locked_error(dimension.model, _("changing a code"))
    dimension.code, dimension.name, dimension.description = code, name, description
    dimension.save(update_fields=["code", "name", "description"])
    dimension.journeys.set(journeys)
    if (code, name) != (stored.code, stored.name):
        # The dimension snapshots carry its code and name.
        _version_figures_changed(org, dimension.model_id)
    return dimension


def dimension_delete_problem(*, dimension: Dimension) -> str | None:
    if dimension.behaviors.filter(ratings__isnull=False).exists():
        return _("“%(name)s” cannot be deleted: some of its behaviors have ratings.") % {"name": dimension.name}
    if dimension.animations.exists():
        return _("“%(name)s” cannot be deleted: team animations are about it.") % {"name": dimension.name}
    if model_is_locked(dimension.model):
        return str(_locked_error(dimension.model, _("deleting a dimension")).messages[0])
    return None


def _version_row_delete(org: Organization, row, problem: str | None) -> None:
    """Delete a dimension or behavior unless ``problem`` says why it cannot go; the months that use
    its version change."""
    if problem:
        raise ValidationError(problem)
    _delete_protected(row)
    _version_figures_changed(org, row.model_id)


@transaction.atomic
def dimension_delete(*, org: Organization, dimension: Dimension) -> None:
    _check_same_org(org, dimension)
    _version_row_delete(org, dimension, dimension_delete_problem(dimension=dimension))


@transaction.atomic
def dimension_move(*, org: Organization, dimension: Dimension, direction: str) -> None:
    _move(org, dimension, direction, model_id=dimension.model_id)


@transaction.atomic
def behavior_create(*, org: Organization, dimension: Dimension, code: str, name: str, **guidance) -> Behavior:
    """Adding a behavior is allowed even on a locked version: no rating changes. The rates of the
    months using the version do (the new behavior counts at level 1 for everyone until rated)."""
    _check_same_org(org, dimension)
    position = _next_position(dimension.behaviors.all())
    behavior = Behavior.objects.create(
        organization=org,
        model_id=dimension.model_id,
        dimension=dimension,
        code=code,
        name=name,
        position=position,
        **_guidance_fields(guidance),
    )
    _version_figures_changed(org, dimension.model_id)
    return behavior


@transaction.atomic
def behavior_update(
    *, org: Organization, behavior: Behavior, code: str, name: str, dimension: Dimension, **guidance
) -> Behavior:
    _check_same_org(org, behavior, dimension)
    if dimension.model_id != behavior.model_id:
        raise ValueError("A behavior stays within its model version.")
    # Compare with the stored row: a bound ModelForm has already copied its values onto the instance.
    stored = Behavior.objects.select_for_update().get(pk=behavior.pk)
    locked = model_is_locked(behavior.model)
    if locked and code != stored.code:
        raise _locked_error(behavior.model, _("changing a code"))
    if locked and dimension.pk != stored.dimension_id:
        raise _locked_error(behavior.model, _("moving a behavior to another dimension"))
    fields = ["code", "name", *_guidance_fields(guidance)]
    if dimension.pk != stored.dimension_id:
        behavior.position = _next_position(dimension.behaviors.all())
        fields += ["dimension", "position"]
    behavior.code, behavior.name, behavior.dimension = code, name, dimension
    for field, value in _guidance_fields(guidance).items():
        setattr(behavior, field, value)
    behavior.save(update_fields=fields)
    if (code, dimension.pk) != (stored.code, stored.dimension_id):
        _version_figures_changed(org, behavior.model_id)
    return behavior


def _guidance_fields(guidance: dict) -> dict:
    allowed = set(GUIDANCE_FIELDS.values())
    unknown = set(guidance) - allowed
    if unknown:
        raise TypeError(f"unexpected guidance fields: {sorted(unknown)}")
    return guidance


def behavior_delete_problem(*, behavior: Behavior) -> str | None:
    if behavior.ratings.exists():
        return _("“%(name)s” cannot be deleted: observations rated it.") % {"name": behavior.name}
    if model_is_locked(behavior.model):
        return str(_locked_error(behavior.model, _("deleting a behavior")).messages[0])
    return None


@transaction.atomic
def behavior_delete(*, org: Organization, behavior: Behavior) -> None:
    _check_same_org(org, behavior)
    _version_row_delete(org, behavior, behavior_delete_problem(behavior=behavior))


@transaction.atomic
def behavior_move(*, org: Organization, behavior: Behavior, direction: str) -> None:
    _move(org, behavior, direction, dimension_id=behavior.dimension_id)


# --- journeys ------------------------------------------------------------------------------------


@transaction.atomic
def journey_create(*, org: Organization, code: str, name: str, description: str = "") -> Journey:
    return Journey.objects.create(organization=org, code=code, name=name, description=description)


@transaction.atomic
def journey_update(*, org: Organization, journey: Journey, code: str, name: str, description: str) -> Journey:
    _check_same_org(org, journey)
    journey.code, journey.name, journey.description = code, name, description
    journey.save(update_fields=["code", "name", "description"])
    return journey


@transaction.atomic
def journey_delete(*, org: Organization, journey: Journey) -> None:
    """Dimensions simply lose the link; observations do not depend on journeys."""
    _check_same_org(org, journey)
    journey.delete()


@transaction.atomic
def journey_stage_create(*, org: Organization, journey: Journey, name: str, is_moment_of_truth: bool) -> JourneyStage:
    _check_same_org(org, journey)
    position = _next_position(journey.stages.all())
    return JourneyStage.objects.create(
        organization=org, journey=journey, name=name, is_moment_of_truth=is_moment_of_truth, position=position
    )


@transaction.atomic
def journey_stage_update(*, org: Organization, stage: JourneyStage, name: str, is_moment_of_truth: bool) -> None:
    _check_same_org(org, stage)
    stage.name, stage.is_moment_of_truth = name, is_moment_of_truth
    stage.save(update_fields=["name", "is_moment_of_truth"])


@transaction.atomic
def journey_stage_delete(*, org: Organization, stage: JourneyStage) -> None:
    _check_same_org(org, stage)
    stage.delete()


@transaction.atomic
def journey_stage_move(*, org: Organization, stage: JourneyStage, direction: str) -> None:
    _move(org, stage, direction, journey_id=stage.journey_id)
