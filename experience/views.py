"""The experience model screens: every role reads, admins edit.

A version that is active or has observations is locked to wording changes (see services).
"""

import json
from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxtracker.tenancy.access import ADMIN_ROLES, access_or_404, is_admin, org_view

from . import services
from .forms import BehaviorForm, DimensionForm, ExperienceModelForm, JourneyForm, JourneyStageForm, ModelImportForm
from .models import Behavior, Dimension, ExperienceModel, Journey, JourneyStage
from .selectors import active_model, journeys_with_stages, model_structure, model_versions

PAGE_SIZE = 20


def _bound(request, files=False):
    """The form data of a POST (even an empty one, which must show "required" errors), else None."""
    if request.method != "POST":
        return (None, None) if files else None
    return (request.POST, request.FILES) if files else request.POST


def _rows(request, queryset) -> dict:
    """What list_page.html shows: the rows of one page of ``queryset``, and the page."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "rows": page.object_list}


def _errors_text(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{path}: {message}" if path != "__all__" else message
            for path, messages_ in exc.message_dict.items()
            for message in messages_
        ]
    return exc.messages


def _model_url(org, model) -> str:
    return reverse("experience:model-detail", kwargs={"org": org.slug, "model_pk": model.pk})


def _journey_url(org, journey) -> str:
    return reverse("experience:journey-detail", kwargs={"org": org.slug, "journey_pk": journey.pk})


def _editor_url(org, model):
    return redirect(_model_url(org, model))


def _form_page(request, form, save, title, cancel_url, *, model=None, tab="versions"):
    """A create or edit page. On a valid POST, ``save(cleaned_data)`` writes through the service,
    says so and returns the redirect; the service's refusal (a ValidationError) goes on the form.

    Callers name the object in ``title`` before validating: a bound ModelForm copies the posted
    values onto its instance, even invalid ones."""
    if request.method == "POST" and form.is_valid():
        try:
            return save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "experience/form.html",
        {"form": form, "title": title, "cancel_url": cancel_url, "model": model, "tab": tab},
        status=400 if form.is_bound and form.errors else 200,
    )


def _edit_page(request, form, update, title, url, **context):
    """An edit page: ``update(**cleaned_data)``, then "Saved." and back to ``url``, the page that
    shows the row (also the way out without saving)."""

    def save(data):
        update(**data)
        messages.success(request, _("Saved."))
        return redirect(url)

    return _form_page(request, form, save, title, url, **context)


def _delete_page(request, obj, delete, problem, success, cancel_url, *, done_url=None, warning=""):
    """The confirmation of a deletion, and on POST ``delete()``, then ``done_url`` (by default the
    page the deleted row was on). The service's refusal (the row was used since the page was shown)
    is an error message on ``cancel_url``, the object's page."""
    if request.method != "POST":
        context = {
            "object": obj,
            "problem": problem,
            "refused": bool(problem),
            "cancel_url": cancel_url,
            "warning": warning,
        }
        return render(request, "experience/confirm_delete.html", context)
    try:
        delete()
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect(cancel_url)
    messages.success(request, success)
    return redirect(done_url or cancel_url)


def _move(request, move, url):
    """``move(direction=)`` a row up or down, then back to the row's ``url``: without JavaScript
    the page reloads, the anchor keeps the place."""
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        return HttpResponseBadRequest(_("Direction must be up or down."))
    move(direction=direction)
    return redirect(url)


# --- versions ------------------------------------------------------------------------------------


@org_view()
def model_list(request, org):
    context = {"is_admin": is_admin(request.membership), **_rows(request, model_versions(org=org))}
    return render(request, "experience/model_list.html", context)


@org_view(roles=ADMIN_ROLES)
def model_create(request, org):
    def save(data):
        model = services.experience_model_create(org=org, **data)
        messages.success(
            request, _("Version %(version)s created: add its dimensions and behaviors.") % {"version": model.version}
        )
        return _editor_url(org, model)

    form = ExperienceModelForm(_bound(request))
    list_url = reverse("experience:model-list", kwargs={"org": org.slug})
    return _form_page(request, form, save, _("New experience model"), list_url)


@org_view()
def model_detail(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)
    admin = is_admin(request.membership)
    return render(
        request,
        "experience/model_detail.html",
        {
            "model": model,
            "dimensions": model_structure(model=model, with_journeys=True),
            "is_admin": admin,
            "locked": admin and services.model_is_locked(model),
            "observation_count": model.observations.count(),
        },
    )


@org_view()
def model_active(request, org):
    """The active version's page, for bookmarks and the other apps' links."""
    model = active_model(org=org)
    if model is None:
        messages.info(request, _("No experience model is active yet."))
        return redirect("experience:model-list", org=org.slug)
    return _editor_url(org, model)


@org_view(roles=ADMIN_ROLES)
def model_edit(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)
    title = _("Edit %(model)s") % {"model": model}
    form = ExperienceModelForm(_bound(request), instance=model)
    update = partial(services.experience_model_update, org=org, model=model)
    return _edit_page(request, form, update, title, _model_url(org, model), model=model)


@org_view(roles=ADMIN_ROLES)
@require_POST
def model_copy(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)
    copy = services.experience_model_copy(org=org, model=model)
    messages.success(
        request,
        _("Version %(new)s is a draft copy of version %(old)s: edit it, then activate it.")
        % {"new": copy.version, "old": model.version},
    )
    return _editor_url(org, copy)


@org_view(roles=ADMIN_ROLES)
def model_activate(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)
    current = active_model(org=org)
    if request.method == "POST":
        try:
            services.experience_model_activate(org=org, model=model)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return _editor_url(org, model)
        messages.success(request, _("%(model)s is now the active version.") % {"model": model})
        return redirect("experience:model-list", org=org.slug)
    context = {
        "model": model,
        "current": current,
        "current_observations": current.observations.count() if current else 0,
        "behavior_count": model.behaviors.count(),
    }
    return render(request, "experience/model_activate.html", context)


@org_view(roles=ADMIN_ROLES)
def model_delete(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)
    delete = partial(services.experience_model_delete, org=org, model=model)
    problem = services.experience_model_delete_problem(model=model)
    success = _("%(model)s deleted.") % {"model": model}
    warning = _("Its dimensions and behaviors are deleted with it.")
    list_url = reverse("experience:model-list", kwargs={"org": org.slug})
    return _delete_page(
        request, model, delete, problem, success, _model_url(org, model), done_url=list_url, warning=warning
    )


@org_view(roles=ADMIN_ROLES)
def model_export(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)
    body = json.dumps(services.experience_model_export(model=model), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"{slugify(model.name) or 'model'}-v{model.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@org_view(roles=ADMIN_ROLES)
def model_import(request, org):
    form = ModelImportForm(*_bound(request, files=True))
    if request.method == "POST" and form.is_valid():
        try:
            model = services.experience_model_create_from_json(
                org=org, data=form.cleaned_data["data"], activate=form.cleaned_data["activate"]
            )
        except ValidationError as exc:
            for message in _errors_text(exc):
                form.add_error(None, message)
        else:
            if model.is_active:
                messages.success(request, _("%(model)s imported and activated.") % {"model": model})
            else:
                messages.success(request, _("%(model)s imported as a draft.") % {"model": model})
            return _editor_url(org, model)
    return render(request, "experience/model_import.html", {"form": form}, status=400 if form.errors else 200)


# --- dimensions ----------------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
def dimension_create(request, org, model_pk):
    model = access_or_404(ExperienceModel, org, pk=model_pk)

    def save(data):
        services.dimension_create(org=org, model=model, **data)
        messages.success(request, _("Dimension added."))
        return _editor_url(org, model)

    form = DimensionForm(_bound(request), org=org, siblings=model.dimensions.all())
    return _form_page(request, form, save, _("New dimension"), _model_url(org, model), model=model)


@org_view(roles=ADMIN_ROLES)
def dimension_edit(request, org, dimension_pk):
    dimension = access_or_404(Dimension.objects.select_related("model"), org, pk=dimension_pk)
    title = _("Edit dimension %(name)s") % {"name": dimension.name}
    model = dimension.model
    locked = services.model_is_locked(model)
    form = DimensionForm(_bound(request), instance=dimension, org=org, siblings=model.dimensions.all(), locked=locked)
    update = partial(services.dimension_update, org=org, dimension=dimension)
    return _edit_page(request, form, update, title, _model_url(org, model), model=model)


@org_view(roles=ADMIN_ROLES)
def dimension_delete(request, org, dimension_pk):
    dimension = access_or_404(Dimension.objects.select_related("model"), org, pk=dimension_pk)
    delete = partial(services.dimension_delete, org=org, dimension=dimension)
    problem = services.dimension_delete_problem(dimension=dimension)
    success = _("Dimension “%(name)s” deleted.") % {"name": dimension.name}
    warning = _("Its behaviors are deleted with it.")
    return _delete_page(request, dimension, delete, problem, success, _model_url(org, dimension.model), warning=warning)


@org_view(roles=ADMIN_ROLES)
@require_POST
def dimension_move(request, org, dimension_pk):
    dimension = access_or_404(Dimension.objects.select_related("model"), org, pk=dimension_pk)
    move = partial(services.dimension_move, org=org, dimension=dimension)
    return _move(request, move, f"{_model_url(org, dimension.model)}#dimension-{dimension.pk}")


# --- behaviors -----------------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
def behavior_create(request, org, dimension_pk):
    dimension = access_or_404(Dimension.objects.select_related("model"), org, pk=dimension_pk)
    model = dimension.model

    def save(data):
        behavior = services.behavior_create(org=org, **data)
        messages.success(request, _("Behavior “%(name)s” added.") % {"name": behavior.name})
        return _editor_url(org, model)

    form = BehaviorForm(_bound(request), model=model, siblings=model.behaviors.all(), initial={"dimension": dimension})
    title = _("New behavior in %(dimension)s") % {"dimension": dimension.name}
    return _form_page(request, form, save, title, _model_url(org, model), model=model)


@org_view(roles=ADMIN_ROLES)
def behavior_edit(request, org, behavior_pk):
    behavior = access_or_404(Behavior.objects.select_related("model", "dimension"), org, pk=behavior_pk)
    title = _("Edit behavior %(name)s") % {"name": behavior.name}
    model = behavior.model
    locked = services.model_is_locked(model)
    form = BehaviorForm(_bound(request), instance=behavior, model=model, siblings=model.behaviors.all(), locked=locked)
    update = partial(services.behavior_update, org=org, behavior=behavior)
    return _edit_page(request, form, update, title, _model_url(org, model), model=model)


@org_view(roles=ADMIN_ROLES)
def behavior_delete(request, org, behavior_pk):
    behavior = access_or_404(Behavior.objects.select_related("model"), org, pk=behavior_pk)
    delete = partial(services.behavior_delete, org=org, behavior=behavior)
    problem = services.behavior_delete_problem(behavior=behavior)
    success = _("Behavior “%(name)s” deleted.") % {"name": behavior.name}
    return _delete_page(request, behavior, delete, problem, success, _model_url(org, behavior.model))


@org_view(roles=ADMIN_ROLES)
@require_POST
def behavior_move(request, org, behavior_pk):
    behavior = access_or_404(Behavior.objects.select_related("model"), org, pk=behavior_pk)
    move = partial(services.behavior_move, org=org, behavior=behavior)
    return _move(request, move, f"{_model_url(org, behavior.model)}#behavior-{behavior.pk}")


# --- journeys ------------------------------------------------------------------------------------


@org_view()
def journey_list(request, org):
    context = {"is_admin": is_admin(request.membership), **_rows(request, journeys_with_stages(org=org))}
    return render(request, "experience/journey_list.html", context)


@org_view(roles=ADMIN_ROLES)
def journey_create(request, org):
    def save(data):
        journey = services.journey_create(org=org, **data)
        messages.success(request, _("Journey “%(name)s” created: add its stages.") % {"name": journey.name})
        return redirect(_journey_url(org, journey))

    form = JourneyForm(_bound(request), siblings=Journey.objects.for_org(org))
    list_url = reverse("experience:journey-list", kwargs={"org": org.slug})
    return _form_page(request, form, save, _("New journey"), list_url, tab="journeys")


@org_view()
def journey_detail(request, org, journey_pk):
    journey = access_or_404(Journey, org, pk=journey_pk)
    context = {
        "journey": journey,
        "stages": journey.stages.order_by("position", "id"),
        "dimensions": journey.dimensions.select_related("model").order_by("-model__version", "position"),
        "is_admin": is_admin(request.membership),
        "stage_form": JourneyStageForm(),
    }
    return render(request, "experience/journey_detail.html", context)


@org_view(roles=ADMIN_ROLES)
def journey_edit(request, org, journey_pk):
    journey = access_or_404(Journey, org, pk=journey_pk)
    title = _("Edit journey %(name)s") % {"name": journey.name}
    form = JourneyForm(_bound(request), instance=journey, siblings=Journey.objects.for_org(org))
    update = partial(services.journey_update, org=org, journey=journey)
    return _edit_page(request, form, update, title, _journey_url(org, journey), tab="journeys")


@org_view(roles=ADMIN_ROLES)
def journey_delete(request, org, journey_pk):
    journey = access_or_404(Journey, org, pk=journey_pk)
    delete = partial(services.journey_delete, org=org, journey=journey)
    success = _("Journey “%(name)s” deleted.") % {"name": journey.name}
    warning = _("Its stages are deleted with it and dimensions lose their link to it.")
    list_url = reverse("experience:journey-list", kwargs={"org": org.slug})
    return _delete_page(
        request, journey, delete, None, success, _journey_url(org, journey), done_url=list_url, warning=warning
    )


@org_view(roles=ADMIN_ROLES)
def stage_create(request, org, journey_pk):
    journey = access_or_404(Journey, org, pk=journey_pk)

    def save(data):
        services.journey_stage_create(org=org, journey=journey, **data)
        messages.success(request, _("Stage added."))
        return redirect(_journey_url(org, journey))

    title = _("New stage of %(name)s") % {"name": journey.name}
    return _form_page(
        request, JourneyStageForm(_bound(request)), save, title, _journey_url(org, journey), tab="journeys"
    )


@org_view(roles=ADMIN_ROLES)
def stage_edit(request, org, stage_pk):
    stage = access_or_404(JourneyStage.objects.select_related("journey"), org, pk=stage_pk)
    title = _("Edit stage %(name)s") % {"name": stage.name}
    form = JourneyStageForm(_bound(request), instance=stage)
    update = partial(services.journey_stage_update, org=org, stage=stage)
    return _edit_page(request, form, update, title, _journey_url(org, stage.journey), tab="journeys")


@org_view(roles=ADMIN_ROLES)
def stage_delete(request, org, stage_pk):
    stage = access_or_404(JourneyStage.objects.select_related("journey"), org, pk=stage_pk)
    delete = partial(services.journey_stage_delete, org=org, stage=stage)
    success = _("Stage “%(name)s” deleted.") % {"name": stage.name}
    return _delete_page(request, stage, delete, None, success, _journey_url(org, stage.journey))


@org_view(roles=ADMIN_ROLES)
@require_POST
def stage_move(request, org, stage_pk):
    stage = access_or_404(JourneyStage.objects.select_related("journey"), org, pk=stage_pk)
    move = partial(services.journey_stage_move, org=org, stage=stage)
    return _move(request, move, f"{_journey_url(org, stage.journey)}#stage-{stage.pk}")
