"""The connectors' pages (admins): the list, a new connector (its secret shown once), a
connector's mapping, its last deliveries with the replay of a refused one, the preview of a
pasted payload and, for CSV exports, the upload."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxtracker.tabular import TableError
from cxtracker.tenancy.access import ADMIN_ROLES, access_or_404, org_view

from . import selectors, services
from .exports import export_import
from .forms import ConnectorForm, ExportForm, MappingForm, PreviewForm
from .models import Connector, Delivery

PAGE_SIZE = 20


def _inbound_url(request, connector: Connector) -> str:
    if not connector.is_webhook:
        return ""
    return request.build_absolute_uri(reverse("api-connector-inbound", kwargs={"pk": connector.pk}))


def _form_errors(form, exc: ValidationError) -> None:
    for name, messages_ in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


@org_view(roles=ADMIN_ROLES)
@require_GET
def connector_list(request, org):
    page = Paginator(selectors.connector_list(org=org), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "connectors/list.html", {"page": page, "rows": page.object_list})


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
@never_cache
def connector_create(request, org):
    form = ConnectorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connector = services.connector_create(
                org=org,
                name=data["name"],
                tool=data["tool"],
                auth=data["auth"],
                secret=data["secret"],
                mapping=form.mapping(),
                created_by=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            # Rendered, not redirected: the secret is shown in this response only.
            context = {"connector": connector, "url": _inbound_url(request, connector)}
            return render(request, "connectors/created.html", context)
    return render(request, "connectors/form.html", {"form": form}, status=400 if form.errors else 200)


def _detail(request, org, connector, *, status=200, **context):
    deliveries = Paginator(selectors.delivery_list(connector=connector), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "connector": connector,
        "url": _inbound_url(request, connector),
        "form": MappingForm(mapping=connector.mapping),
        "preview_form": PreviewForm(),
        "export_form": ExportForm(),
        "page": deliveries,
        "deliveries": deliveries.object_list,
        **context,
    }
    return render(request, "connectors/detail.html", context, status=status)


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def connector_detail(request, org, pk):
    connector = access_or_404(Connector, org, pk=pk)
    if request.method == "GET":
        return _detail(request, org, connector)
    form = MappingForm(request.POST, mapping=connector.mapping)
    if form.is_valid():
        try:
            services.connector_update(connector=connector, mapping=form.mapping())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Mapping saved."))
            return redirect("connectors:detail", org=org.slug, pk=connector.pk)
    connector.refresh_from_db()
    return _detail(request, org, connector, form=form, status=400)


@org_view(roles=ADMIN_ROLES)
@require_POST
def connector_preview(request, org, pk):
    connector = access_or_404(Connector, org, pk=pk)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return _detail(request, org, connector, preview_form=form, status=400)
    outcome = services.payload_preview(connector=connector, text=form.cleaned_data["payload"])
    return _detail(request, org, connector, preview_form=form, preview=outcome)


@org_view(roles=ADMIN_ROLES)
@require_POST
def connector_import(request, org, pk):
    connector = access_or_404(Connector, org, pk=pk)
    form = ExportForm(request.POST, request.FILES)
    if connector.is_webhook:
        form.add_error(None, _("This connector receives webhooks: its tool posts to its URL."))
    if form.is_valid():
        try:
            result = export_import(connector=connector, file=form.cleaned_data["file"])
        except TableError as exc:
            form.add_error("file", str(exc))
        else:
            return _detail(request, org, connector, export_result=result)
    return _detail(request, org, connector, export_form=form, status=400)


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def connector_delete(request, org, pk):
    connector = access_or_404(Connector, org, pk=pk)
    if request.method == "POST":
        connector.delete()
        messages.success(request, _("Connector “%(name)s” deleted.") % {"name": connector.name})
        return redirect("connectors:list", org=org.slug)
    return render(request, "connectors/delete.html", {"connector": connector})


@org_view(roles=ADMIN_ROLES)
@require_POST
def delivery_replay(request, org, pk, delivery_pk):
    connector = access_or_404(Connector, org, pk=pk)
    delivery = access_or_404(Delivery.objects.filter(connector=connector), org, pk=delivery_pk)
    try:
        outcome = services.delivery_replay(delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if outcome.http_status == 422:
            messages.error(request, _("Still refused: %(reason)s") % {"reason": outcome.reason})
        else:
            messages.success(request, _("Delivery replayed: %(status)s.") % {"status": delivery.get_status_display()})
    return redirect("connectors:detail", org=org.slug, pk=connector.pk)
