"""The organization setup screens, for admins: org tree, members, users and roles, settings,
imports."""

from functools import partial

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxtracker.tabular import TableError, csv_response

from . import imports, selectors, services
from .access import ADMIN_ROLES, access_member, access_or_404, access_unit, org_view
from .forms import (
    ImportConfirmForm,
    ImportUploadForm,
    MemberDeactivateForm,
    MemberForm,
    MembershipCreateForm,
    MembershipForm,
    OrganizationSettingsForm,
    OrgUnitForm,
)
from .models import Member, Membership, OrgUnit, Role, UnitKind

MEMBERS_PER_PAGE = 50
# How long a preview stays confirmable: long enough to read it, short enough not to confirm
# stale data by accident (the rows are checked again anyway).
IMPORT_MAX_AGE = 3600
PREVIEW_ROWS = 500


def _import_salt(org, kind):
    return f"tenancy.import:{org.pk}:{kind}"


def _code_form_page(request, org, form, save, success, kind):
    """The create or edit page of a unit or a member (``kind``): on a valid POST, ``save(**data)``
    writes the row, ``success`` names it and the list shows. Two admins saving the same new code
    at once: the second one gets the form error the form's own check would have given a moment
    later. The page's title names the row as stored (``form.initial``): a rejected change must not
    show up in it."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(**form.cleaned_data)
        except IntegrityError:
            form.add_error("code", _("This code was just taken: choose another one."))
        else:
            messages.success(request, success % {"name": saved.name})
            return redirect(f"tenancy:{kind}-list", org=org.slug)
    return render(request, f"tenancy/setup/{kind}_form.html", {"form": form})


@org_view(roles=ADMIN_ROLES)
def setup(request, org):
    units = OrgUnit.objects.for_org(org).aggregate(
        regions=Count("pk", filter=Q(kind=UnitKind.REGION)),
        business_units=Count("pk", filter=Q(kind=UnitKind.BUSINESS_UNIT)),
        teams=Count("pk", filter=Q(kind=UnitKind.TEAM)),
    )
    context = {
        "units": units,
        "active_members": Member.objects.for_org(org).active_on(org.today()).count(),
        "memberships": Membership.objects.for_org(org).count(),
    }
    return render(request, "tenancy/setup/index.html", context)


# --- org tree --------------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
def unit_list(request, org):
    units = selectors.unit_tree(org=org, today=org.today())
    return render(request, "tenancy/setup/unit_list.html", {"rows": units})


def _unit_initial(org, parent_code: str | None) -> dict:
    """ "Add below" a region or business unit: the new unit starts under it, one level down."""
    parent = OrgUnit.objects.for_org(org).filter(code=parent_code).first() if parent_code else None
    if parent is None or parent.kind == UnitKind.TEAM:
        return {}
    below = {UnitKind.REGION: UnitKind.BUSINESS_UNIT, UnitKind.BUSINESS_UNIT: UnitKind.TEAM}
    return {"parent": parent.pk, "kind": below[parent.kind]}


@org_view(roles=ADMIN_ROLES)
def unit_create(request, org):
    form = OrgUnitForm(request.POST or None, org=org, initial=_unit_initial(org, request.GET.get("parent")))
    save = partial(services.unit_create, org=org)
    return _code_form_page(request, org, form, save, _("Unit “%(name)s” created."), "unit")


@org_view(roles=ADMIN_ROLES)
def unit_edit(request, org, code):
    form = OrgUnitForm(request.POST or None, instance=access_unit(request.membership, code), org=org)
    save = partial(services.unit_update, unit=form.instance)
    return _code_form_page(request, org, form, save, _("Unit “%(name)s” saved."), "unit")


@org_view(roles=ADMIN_ROLES)
def unit_delete(request, org, code):
    unit = access_unit(request.membership, code)
    attached = services.unit_attachments(unit=unit)
    if request.method == "POST" and not attached:
        try:
            services.unit_delete(unit=unit)
        except services.UnitNotEmpty as error:
            attached = error.attached
        else:
            messages.success(request, _("Unit “%(name)s” deleted.") % {"name": unit.name})
            return redirect("tenancy:unit-list", org=org.slug)
    context = {"unit": unit, "attached": attached, "refused": bool(attached)}
    return render(request, "tenancy/setup/unit_delete.html", context)


# --- members ---------------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
def member_list(request, org):
    query = request.GET.get("q", "").strip()
    teams = selectors.team_choices(org=org)
    team = teams.filter(code=request.GET.get("team")).first() if request.GET.get("team") else None
    members = selectors.member_search(org=org, query=query, team=team)
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    today = org.today()
    for member in page:
        member.is_active = member.is_active_on(today)
        # Gone after their last day: offered "Reactivate". A last day still ahead is not a departure yet.
        member.has_left = member.active_to is not None and member.active_to < today
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "rows": page.object_list,
        "query": query,
        "team": team,
        "teams": teams,
        "params": params.urlencode(),
    }
    return render(request, "tenancy/setup/member_list.html", context)


@org_view(roles=ADMIN_ROLES)
def member_create(request, org):
    form = MemberForm(request.POST or None, org=org)
    save = partial(services.member_create, org=org)
    return _code_form_page(request, org, form, save, _("Member “%(name)s” created."), "member")


@org_view(roles=ADMIN_ROLES)
def member_edit(request, org, code):
    form = MemberForm(request.POST or None, instance=access_member(request.membership, code), org=org)
    save = partial(services.member_update, member=form.instance)
    return _code_form_page(request, org, form, save, _("Member “%(name)s” saved."), "member")


@org_view(roles=ADMIN_ROLES)
def member_deactivate(request, org, code):
    member = access_member(request.membership, code)
    form = MemberDeactivateForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        services.member_deactivate(member=member, active_to=form.cleaned_data["active_to"])
        messages.success(
            request,
            _("%(name)s is inactive after %(date)s.") % {"name": member.name, "date": date_format(member.active_to)},
        )
        return redirect("tenancy:member-list", org=org.slug)
    return render(request, "tenancy/setup/member_deactivate.html", {"form": form, "member": member})


@org_view(roles=ADMIN_ROLES)
@require_POST
def member_reactivate(request, org, code):
    member = access_member(request.membership, code)
    services.member_reactivate(member=member)
    messages.success(request, _("%(name)s is active again.") % {"name": member.name})
    return redirect("tenancy:member-list", org=org.slug)


# --- users and roles -------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
def membership_list(request, org):
    memberships = selectors.membership_list(org=org)
    return render(request, "tenancy/setup/membership_list.html", {"rows": memberships})


@org_view(roles=ADMIN_ROLES)
def membership_create(request, org):
    form = MembershipCreateForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        membership = services.membership_create(
            org=org,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            units=form.cleaned_data["units"],
            request=request,
        )
        if membership.user.has_usable_password():
            messages.success(request, _("%(email)s added.") % {"email": membership.user.email})
        else:
            messages.success(
                request,
                _("%(email)s added; an e-mail invites them to choose a password.") % {"email": membership.user.email},
            )
        return redirect("tenancy:membership-list", org=org.slug)
    return render(request, "tenancy/setup/membership_form.html", {"form": form})


@org_view(roles=ADMIN_ROLES)
def membership_edit(request, org, membership_id):
    membership = access_or_404(Membership.objects.select_related("user"), org, pk=membership_id)
    initial = {"role": membership.role, "units": list(membership.units.all())}
    form = MembershipForm(request.POST or None, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=membership, role=form.cleaned_data["role"], units=form.cleaned_data["units"]
            )
        except services.LastAdmin:
            form.add_error("role", _("The organization must keep at least one administrator."))
        else:
            messages.success(request, _("Role of %(email)s saved.") % {"email": membership.user.email})
            if membership.pk == request.membership.pk and membership.role != Role.ADMIN:
                return redirect("org-home", org=org.slug)
            return redirect("tenancy:membership-list", org=org.slug)
    return render(request, "tenancy/setup/membership_form.html", {"form": form, "target": membership})


@org_view(roles=ADMIN_ROLES)
def membership_delete(request, org, membership_id):
    membership = access_or_404(Membership.objects.select_related("user"), org, pk=membership_id)
    is_self = membership.pk == request.membership.pk
    last_admin = False
    if request.method == "POST":
        try:
            services.membership_delete(membership=membership)
        except services.LastAdmin:
            last_admin = True
        else:
            messages.success(
                request,
                _("%(email)s no longer belongs to %(org)s.") % {"email": membership.user.email, "org": org.name},
            )
            if is_self:
                return redirect("home")
            return redirect("tenancy:membership-list", org=org.slug)
    context = {"target": membership, "refused": last_admin, "is_self": is_self}
    return render(request, "tenancy/setup/membership_delete.html", context, status=409 if last_admin else 200)


# --- settings --------------------------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
def organization_settings(request, org):
    form = OrganizationSettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        services.organization_update(org=org, **{name: form.cleaned_data[name] for name in form.changed_data})
        messages.success(request, _("Settings saved."))
        return redirect("tenancy:settings", org=org.slug)
    return render(request, "tenancy/setup/settings.html", {"form": form})


# --- imports ---------------------------------------------------------------------------------


def _preview(request, org, check, *, status=200):
    rows = check.rows
    if len(rows) > PREVIEW_ROWS:
        # A long file: show what needs fixing, else its beginning.
        rows = (check.errors or check.rows)[:PREVIEW_ROWS]
    confirm = None
    if check.is_valid:
        payload = signing.dumps(check.payload(), salt=_import_salt(org, check.kind), compress=True)
        confirm = ImportConfirmForm(initial={"kind": check.kind, "payload": payload})
    context = {"check": check, "rows": rows, "hidden_rows": len(check.rows) - len(rows), "confirm": confirm}
    return render(request, "tenancy/setup/import_preview.html", context, status=status)


@org_view(roles=ADMIN_ROLES)
def import_upload(request, org):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = imports.check_upload(org, form.cleaned_data["kind"], form.cleaned_data["file"])
        except TableError as error:
            form.add_error("file", str(error))
        else:
            return _preview(request, org, check)
    status = 400 if form.errors else 200
    return render(request, "tenancy/setup/import_upload.html", {"form": form}, status=status)


@org_view(roles=ADMIN_ROLES)
@require_POST
def import_confirm(request, org):
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing to import: upload the file again."))
        return redirect("tenancy:import", org=org.slug)
    kind = form.cleaned_data["kind"]
    try:
        payload = signing.loads(form.cleaned_data["payload"], salt=_import_salt(org, kind), max_age=IMPORT_MAX_AGE)
    except signing.SignatureExpired:
        messages.error(request, _("This preview has expired: upload the file again."))
        return redirect("tenancy:import", org=org.slug)
    except signing.BadSignature:
        messages.error(request, _("The import could not be verified: upload the file again."))
        return redirect("tenancy:import", org=org.slug)
    try:
        created, updated = services.import_apply(org=org, kind=kind, payload=payload)
    except services.ImportInvalid as error:
        messages.error(request, _("The data changed since the preview: nothing was imported. Fix the rows below."))
        return _preview(request, org, error.check, status=409)
    messages.success(
        request,
        _("Import done: %(created)s created, %(updated)s updated.")
        % {
            "created": created,
            "updated": updated,
        },
    )
    return redirect("tenancy:unit-list" if kind == "units" else "tenancy:member-list", org=org.slug)


@org_view(roles=ADMIN_ROLES)
def import_template(request, org, kind):
    if kind not in imports.KINDS:
        raise Http404
    # A data file: commas whatever the admin's language, and the import reads it back as it is.
    columns, rows = imports.template_rows(kind)
    return csv_response(columns, rows, filename=f"cxtracker-{kind}.csv")
