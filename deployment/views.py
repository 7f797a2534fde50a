"""The field screens: logging observations and animations, and a member's progress (their levels,
observations and next steps: individual data, for the member's managers and admins). The team
pages, which show the engine's figures, are dashboards.teams'. Objects are fetched only through
cxtracker.tenancy.access."""

import datetime
from functools import partial
from itertools import groupby

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cxtracker import charts
from cxtracker.tenancy.access import (
    FIELD_WRITE_ROLES,
    access_member,
    access_team,
    can_write_field,
    is_admin,
    org_view,
    require_field_write,
    scoped_members,
)
from cxtracker.tenancy.views import in_org_timezone
from experience.models import Level
from experience.selectors import active_model, behaviors_by_dimension, model_behaviors, model_dimensions

from . import selectors, services
from .access import access_animation, access_observation
from .forms import AnimationForm, ObservationForm, animation_initial, observation_initial

# Members who left more than this long ago are no longer offered in the member chooser.
_RECENTLY_LEFT = datetime.timedelta(days=92)
# Above this many members, the previous levels of every candidate are not sent to the page.
_PREVIOUS_LEVELS_MAX_MEMBERS = 300


def _page(request, items, per_page):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _saved(request, form, save, success: str, default_url: str):
    """Write a valid form through ``save()``: then ``success`` and the redirect (to ``?next=``
    when it is safe); the services' refusal puts their errors on the form and returns None."""
    try:
        save()
    except ValidationError as error:
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
        return None
    messages.success(request, success)
    return redirect(_safe_next(request, default_url))


# ---------------------------------------------------------------------------------------------
# Members


def _mastery_figure(series, dimension_names) -> dict | None:
    """The member's mastery score per observation, overall and per dimension, in %."""
    if not series:
        return None
    x = [timezone.localtime(p["observed_at"]).strftime("%Y-%m-%d %H:%M") for p in series]
    layout = charts.layout(
        "",
        language=get_language() or "fr",
        height=340,
        margin={"l": 48, "r": 16, "t": 16, "b": 48},
        yaxis=charts.axis(_("Mastery score"), range=[-5, 105], ticksuffix=" %"),
        hovermode="x unified",
    )
    fig = go.Figure(layout=layout)
    names = list(dimension_names) + sorted({n for p in series for n in p["dimensions"]} - set(dimension_names))
    for name in names:
        y = [round(100 * p["dimensions"][name]) if name in p["dimensions"] else None for p in series]
        if any(v is not None for v in y):
            fig.add_scatter(x=x, y=y, name=name, mode="lines+markers", connectgaps=True, line={"dash": "dot"})
    fig.add_scatter(
        x=x,
        y=[round(100 * p["overall"]) for p in series],
        name=_("All behaviors"),
        mode="lines+markers",
        line={"width": 4, "color": charts.DEPLOYMENT_COLOR},
    )
    return charts.figure_json(fig)


@org_view(individuals=True)
@in_org_timezone
def member_detail(request, org, code):
    member = access_member(request.membership, code)
    model = active_model(org=org)
    behaviors = model_behaviors(model=model)
    levels = selectors.latest_levels(members=[member], behaviors=behaviors)
    by_dimension = [
        (dimension, [(b, levels.get((member.pk, b.pk))) for b in run])
        for dimension, run in behaviors_by_dimension(behaviors)
    ]
    timeline = _page(request, selectors.member_observations(org=org, member=member), 10)
    series = selectors.member_mastery_series(org=org, member=member)
    context = {
        "member": member,
        "by_dimension": by_dimension,
        "timeline": timeline,
        "figure": _mastery_figure(series, [d.name for d in model_dimensions(model=model)]),
        "next_steps": selectors.member_open_next_steps(org=org, member=member),
        "can_write": can_write_field(request.membership),
        "user_is_admin": is_admin(request.membership),
        "today": org.today(),
    }
    return render(request, "deployment/member_detail.html", context)


# ---------------------------------------------------------------------------------------------
# Observations


def _member_choices(request, org, extra=None):
    """Members offered in the chooser: those in scope still active or who left recently."""
    recent = org.today() - _RECENTLY_LEFT
    members = list(
        scoped_members(request.membership)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=recent))
        .select_related("team")
        .order_by("name", "code")
    )
    if extra is not None and extra not in members:
        members.append(extra)
    return members


def _chosen_member(request, observation):
    """The member the form is about: the one asked for (``?member=`` or the posted choice, within
    the user's scope), else the observation's."""
    code = request.POST.get("member") if request.method == "POST" else request.GET.get("member")
    if code:
        return access_member(request.membership, code)
    return observation.member if observation is not None else None


def _observation_save(request, org, form, member, observation):
    """Record a new observation (the user is its observer) or change ``observation``."""
    fields = {"member": member, **form.observation_fields()}
    if observation is None:
        save = partial(services.observation_create, org=org, observer=request.user, **fields)
        success = _("Observation of %(member)s saved.") % {"member": member.name}
    else:
        save = partial(services.observation_update, observation=observation, **fields)
        success = _("Observation of %(member)s updated.") % {"member": member.name}
    member_url = reverse("deployment:member-detail", kwargs={"org": org.slug, "code": member.code})
    return _saved(request, form, save, success, member_url)


def _previous_levels(members, chosen, behaviors, observation) -> tuple[dict, bool]:
    """The previous level of each behavior by member code and behavior id, for the chosen member
    and (on small scopes) for any member the chooser may switch to, so that the page can update
    without a round trip; and whether every member offered is in it."""
    offered = members if len(members) <= _PREVIOUS_LEVELS_MAX_MEMBERS else [chosen] if chosen else []
    # Editing: "previous" means before this observation, not this observation's own ratings.
    before = observation.observed_at - datetime.timedelta(microseconds=1) if observation is not None else None
    levels = selectors.latest_levels(members=offered, behaviors=behaviors, at=before)
    codes = {m.pk: m.code for m in offered}
    previous: dict = {}
    for (member_id, behavior_id), level in levels.items():
        previous.setdefault(codes[member_id], {})[str(behavior_id)] = level
    return previous, len(offered) == len(members)


def _rating_groups(form, previous: dict) -> list:
    """The form's level fields by dimension, each with the member's previous level and the
    behavior's guidance per level."""
    rows = [
        {
            "behavior": b,
            "field": field,
            "previous": previous.get(str(b.pk)),
            "guidance": [(label, b.guidance(level)) for level, label in Level.choices if b.guidance(level)],
        }
        for b, field in form.rating_rows()
    ]
    return [(dimension, list(run)) for dimension, run in groupby(rows, key=lambda row: row["behavior"].dimension)]


def _observation_form_view(request, org, observation=None):
    chosen = _chosen_member(request, observation)
    members = _member_choices(request, org, chosen)
    model = active_model(org=org)
    behaviors = model_behaviors(model=model)
    choices = [(m.code, f"{m.name} · {m.team.name}") for m in members]
    if request.method == "POST":
        form = ObservationForm(request.POST, members=choices, behaviors=behaviors)
        if form.is_valid() and (saved := _observation_save(request, org, form, chosen, observation)):
            return saved
    else:
        initial = observation_initial(observation, chosen)
        form = ObservationForm(initial=initial, members=choices, behaviors=behaviors)
    previous, complete = _previous_levels(members, chosen, behaviors, observation)
    context = {
        "form": form,
        "observation": observation,
        "chosen": chosen,
        "groups": _rating_groups(form, previous.get(chosen.code, {}) if chosen else {}),
        "has_model": model is not None,
        "previous_levels": previous if complete else None,
        "note_fields": [form[name] for name in ("strengths", "development_points", "next_step", "next_step_on")],
        "next": _safe_next(request, ""),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "deployment/observation_form.html", context, status=status)


def _delete_page(request, delete, message: str, after: str, name: str, record):
    """The confirmation page of a field record (``deployment/<name>_confirm_delete.html``), and its
    deletion on POST, then ``after``."""
    if request.method == "POST":
        delete()
        messages.success(request, message)
        return redirect(after)
    return render(request, f"deployment/{name}_confirm_delete.html", {name: record})


@org_view(roles=FIELD_WRITE_ROLES, individuals=True)
@in_org_timezone
def observation_create(request, org):
    return _observation_form_view(request, org)


@org_view(roles=FIELD_WRITE_ROLES, individuals=True)
@in_org_timezone
def observation_update(request, org, pk):
    observation = access_observation(request.membership, pk, write=True)
    return _observation_form_view(request, org, observation)


@org_view(roles=FIELD_WRITE_ROLES, individuals=True)
@in_org_timezone
def observation_delete(request, org, pk):
    observation = access_observation(request.membership, pk, write=True)
    after = reverse("deployment:member-detail", kwargs={"org": org.slug, "code": observation.member.code})
    delete = partial(services.observation_delete, observation=observation)
    return _delete_page(request, delete, _("The observation was deleted."), after, "observation", observation)


@org_view(roles=FIELD_WRITE_ROLES, individuals=True)
def observation_next_step_done(request, org, pk):
    # Scope first, so that another team's observation is a 404 whatever the method.
    observation = access_observation(request.membership, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_field_write(request.membership)
    services.observation_next_step_mark_done(observation=observation)
    messages.success(request, _("Next step marked as done."))
    return redirect("deployment:member-detail", org=org.slug, code=observation.member.code)


# ---------------------------------------------------------------------------------------------
# Animations


def _team_members(request, org, team, animation) -> list:
    """The attendees offered: the team's members in scope still active or who left recently, and
    those the animation already has."""
    members = list(
        scoped_members(request.membership)
        .filter(team=team)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=org.today() - _RECENTLY_LEFT))
        .order_by("name", "code")
    )
    if animation is not None:
        members += [m for m in animation.attendees.all() if m not in members]
    return members


def _animation_save(request, org, form, team, animation):
    """Record a new animation of ``team`` (held by the user) or change ``animation``."""
    fields = form.animation_fields()
    if animation is None:
        save = partial(services.animation_create, org=org, team=team, held_by=request.user, **fields)
        success = _("Animation of %(team)s saved.") % {"team": team.name}
    else:
        save = partial(services.animation_update, animation=animation, **fields)
        success = _("Animation of %(team)s updated.") % {"team": team.name}
    return _saved(request, form, save, success, reverse("dashboards:team-detail", args=[org.slug, team.code]))


def _animation_form_view(request, org, team, animation=None):
    team_members = _team_members(request, org, team, animation)
    form_kwargs = {
        "dimensions": [(d.code, d.name) for d in model_dimensions(model=active_model(org=org))],
        "attendees": [(m.code, m.name) for m in team_members],
    }
    if request.method == "POST":
        form = AnimationForm(request.POST, **form_kwargs)
        if form.is_valid() and (saved := _animation_save(request, org, form, team, animation)):
            return saved
    else:
        form = AnimationForm(initial=animation_initial(animation, team_members, org.today()), **form_kwargs)
    context = {
        "form": form,
        "team": team,
        "animation": animation,
        "checkbox_fields": [form["dimensions"], form["attendees"]],
        "next": _safe_next(request, ""),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "deployment/animation_form.html", context, status=status)


@org_view(roles=FIELD_WRITE_ROLES)
@in_org_timezone
def animation_create(request, org, code):
    team = access_team(request.membership, code)
    return _animation_form_view(request, org, team)


@org_view(roles=FIELD_WRITE_ROLES)
@in_org_timezone
def animation_update(request, org, pk):
    animation = access_animation(request.membership, pk, write=True)
    return _animation_form_view(request, org, animation.team, animation)


@org_view(roles=FIELD_WRITE_ROLES)
@in_org_timezone
def animation_delete(request, org, pk):
    animation = access_animation(request.membership, pk, write=True)
    after = reverse("dashboards:team-detail", kwargs={"org": org.slug, "code": animation.team.code})
    delete = partial(services.animation_delete, animation=animation)
    return _delete_page(request, delete, _("The animation was deleted."), after, "animation", animation)
