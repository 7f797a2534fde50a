"""Organization settings for data coming in: API keys, metric definitions, file uploads (admins)."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cxtracker.tabular import csv_response
from cxtracker.tenancy import services as tenancy_services
from cxtracker.tenancy.access import ADMIN_ROLES, access_or_404, org_view
from cxtracker.tenancy.models import ApiKey
from cxtracker.tenancy.selectors import api_key_list

from . import selectors, services
from .forms import ApiKeyForm, MetricForm, UploadForm
from .models import Metric, UploadJob
from .uploads import report_rows

PAGE_SIZE = 50


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _rows(request, items) -> dict:
    """What list_page.html shows: the rows of one page of ``items``, and the page."""
    page = _page(request, items)
    return {"page": page, "rows": page.object_list}


# API keys


@org_view(roles=ADMIN_ROLES)
@require_GET
def api_keys(request, org):
    return render(request, "kpis/api_keys.html", _rows(request, api_key_list(org=org)))


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
@never_cache
def api_key_create(request, org):
    form = ApiKeyForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw_key = tenancy_services.api_key_create(
                org=org, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], created_by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Rendered, not redirected: the full key exists only in this response.
            return render(request, "kpis/api_key_created.html", {"key": key, "raw_key": raw_key})
    return render(request, "kpis/api_key_form.html", {"form": form})


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, org, pk):
    key = access_or_404(ApiKey, org, pk=pk)
    if request.method == "POST":
        tenancy_services.api_key_revoke(key=key)
        messages.success(request, _("The key “%(name)s” is revoked: it no longer works.") % {"name": key.name})
        return redirect("kpis:api-keys", org=org.slug)
    return render(request, "kpis/api_key_revoke.html", {"key": key, "refused": key.revoked_at is not None})


# Metric definitions


@org_view(roles=ADMIN_ROLES)
@require_GET
def metrics(request, org):
    return render(request, "kpis/metrics.html", _rows(request, selectors.metric_list(org=org)))


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def metric_create(request, org):
    form = MetricForm(request.POST or None, org=org)
    save = partial(services.metric_create, org=org)
    return _metric_form_page(request, org, form, lambda data, _changed: save(**data), _("Metric “%(name)s” created."))


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def metric_edit(request, org, code):
    metric = access_or_404(Metric, org, code=code)
    form = MetricForm(request.POST or None, instance=metric, org=org)

    def save(data, changed):
        return services.metric_update(metric=metric, **{name: data[name] for name in changed})

    return _metric_form_page(request, org, form, save, _("Metric “%(name)s” saved."), metric=metric)


def _metric_form_page(request, org, form, save, success: str, metric=None):
    """A metric's form: ``save(cleaned data, changed fields)`` through its service (a taken code is
    the code field's error), then back to the list."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data, form.changed_data)
        except services.ServiceError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(request, success % {"name": saved.name})
            return redirect("kpis:metrics", org=org.slug)
    return render(request, "kpis/metric_form.html", {"form": form, "metric": metric})


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def metric_delete(request, org, code):
    metric = access_or_404(Metric, org, code=code)
    value_count = metric.values.count()
    if request.method == "POST":
        try:
            services.metric_delete(metric=metric)
        except services.ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Metric “%(name)s” deleted.") % {"name": metric.name})
        return redirect("kpis:metrics", org=org.slug)
    context = {"metric": metric, "value_count": value_count, "refused": bool(value_count)}
    return render(request, "kpis/metric_delete.html", context)


# Uploads


@org_view(roles=ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def uploads(request, org):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.upload_create(
            org=org,
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            created_by=request.user,
            language=translation.get_language() or "",
        )
        return redirect("kpis:upload", org=org.slug, pk=job.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "columns": UploadForm.columns_help(), **_rows(request, selectors.upload_list(org=org))}
    return render(request, "kpis/uploads.html", context, status=status)


@org_view(roles=ADMIN_ROLES)
@require_GET
def upload_detail(request, org, pk):
    job = access_or_404(UploadJob.objects.select_related("created_by"), org, pk=pk)
    rejected = _page(request, list(report_rows(job))) if job.errors else None
    return render(request, "kpis/upload_detail.html", {"job": job, "page": rejected})


@org_view(roles=ADMIN_ROLES)
@require_GET
@never_cache
def upload_status(request, org, pk):
    job = access_or_404(UploadJob.objects.select_related("created_by"), org, pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "finished": job.is_finished,
            "percent": job.percent,
            **{k: getattr(job, k) for k in ("total", "processed", "created", "duplicates", "updated", "rejected")},
        }
    )


@org_view(roles=ADMIN_ROLES)
@require_GET
def upload_report(request, org, pk):
    job = access_or_404(UploadJob.objects.select_related("created_by"), org, pk=pk)
    # Error messages quote what the file said: the writer keeps a spreadsheet from running it.
    rows = ([row, "rejected", field, message] for row, field, message in report_rows(job))
    return csv_response(["row", "status", "field", "error"], rows, filename=f"upload-{job.pk}-report.csv")
