"""The steering reports in the browser: ``/o/<slug>/steering/``.

Steering members read the reports of the stakeholders they belong to, admins and executives
every stakeholder's; anyone else gets 404 (steering.selectors.access_stakeholder), the same
answer as for a stakeholder that does not exist. A period is named by the stakeholder's frequency
(``2026-11``, ``2026-W47``, ``2026-Q3``) and must be over; the page, the PDF, the XLSX and the CSV
all render the one ``steering.reports.build.report_build``.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cxtracker.tabular import file_response
from cxtracker.tenancy.access import ADMIN_ROLES, READ_ALL_ROLES, org_view
from kpis.engine.readers import Reader
from steering import kpi_codes
from steering.models import DeliveryStatus
from steering.reports.build import report_build
from steering.reports.figures import report_charts
from steering.reports.periods import is_closed, last_closed_period, period_label, period_parse, periods_available
from steering.reports.selectors import delivery_counts, delivery_list
from steering.reports.text import hidden_label
from steering.selectors import access_stakeholder, stakeholders_for

from . import emails as services
from . import exports

DELIVERIES_PAGE_SIZE = 50


def _require_reader(membership) -> None:
    """Managers have no steering reports: for them these pages do not exist."""
    if membership.role not in READ_ALL_ROLES:
        raise Http404


def _report(request, org, code, period):
    """The stakeholder (404 unless the membership reads it) and its closed period (404 for
    another format or a period not over yet), and the report built for this reader."""
    _require_reader(request.membership)
    stakeholder = access_stakeholder(request.membership, code)
    try:
        parsed = period_parse(stakeholder, period)
    except ValueError:
        raise Http404 from None
    if not is_closed(org, parsed):
        raise Http404
    return report_build(org=org, stakeholder=stakeholder, period=parsed, reader=Reader.of(request.membership))


def _report_url(org, stakeholder, period, name="report") -> str:
    return reverse(f"steering:{name}", kwargs={"org": org.slug, "code": stakeholder.code, "period": str(period)})


@org_view()
@require_GET
def steering_home(request, org):
    """Every stakeholder the membership reads, with the periods of its reports, newest first."""
    _require_reader(request.membership)
    names = kpi_codes.kpi_names(org=org)
    is_admin = request.membership.role in ADMIN_ROLES
    counts = delivery_counts(org=org) if is_admin else {}
    rows = []
    for stakeholder in stakeholders_for(request.membership):
        periods = periods_available(org, stakeholder)
        rows.append(
            {
                "stakeholder": stakeholder,
                "flagship": kpi_codes.kpi_code_label(stakeholder.flagship_kpi, names=names),
                "action": [kpi_codes.kpi_code_label(c, names=names) for c in stakeholder.kpis_for_action],
                "information": [kpi_codes.kpi_code_label(c, names=names) for c in stakeholder.kpis_for_information],
                "periods": [
                    {"period": p, "label": period_label(p), "url": _report_url(org, stakeholder, p)} for p in periods
                ],
                "failed": counts.get(stakeholder.pk, {}).get(DeliveryStatus.FAILED, 0),
            }
        )
    context = {"rows": rows, "is_admin": is_admin}
    return render(request, "steering/reports/steering_home.html", context)


@org_view()
@require_GET
def stakeholder_latest(request, org, code):
    """A stakeholder's reports start with its last closed period (``?period=`` another one)."""
    _require_reader(request.membership)
    stakeholder = access_stakeholder(request.membership, code)
    period = last_closed_period(org, stakeholder)
    # The period picker's form: a valid closed period of the stakeholder, else the latest.
    try:
        chosen = period_parse(stakeholder, request.GET.get("period") or "")
    except ValueError:
        chosen = None
    if chosen is not None and is_closed(org, chosen):
        period = chosen
    return redirect(_report_url(org, stakeholder, period))


@org_view()
@require_GET
def report_page(request, org, code, period):
    report = _report(request, org, code, period)
    stakeholder = report.stakeholder
    available = periods_available(org, stakeholder)
    previous = report.period.previous()
    following = report.period.next()
    context = {
        "report": report,
        "stakeholder": stakeholder,
        "charts": report_charts(report, language=get_language() or org.language),
        "hidden": hidden_label(org),
        "periods": [
            {"period": str(p), "label": period_label(p), "url": _report_url(org, stakeholder, p)} for p in available
        ],
        "previous_url": _report_url(org, stakeholder, previous),
        "previous_label": period_label(previous),
        "next_url": _report_url(org, stakeholder, following) if is_closed(org, following) else None,
        "next_label": period_label(following),
        "exports": {
            kind: _report_url(org, stakeholder, report.period, name=f"report-{kind}") for kind in ("pdf", "xlsx", "csv")
        },
        "min_sample_size": org.min_sample_size,
    }
    return render(request, "steering/reports/report.html", context)


def _download(content, *, name: str, content_type: str | None = None) -> HttpResponse:
    response = file_response(content, filename=name, content_type=content_type)
    # Figures as they are now: nothing to keep.
    response["Cache-Control"] = "private, no-store"
    return response


@org_view()
@require_GET
def report_pdf(request, org, code, period):
    report = _report(request, org, code, period)
    return _download(exports.pdf_render(report), content_type="application/pdf", name=exports.filename(report, "pdf"))


@org_view()
@require_GET
def report_xlsx(request, org, code, period):
    report = _report(request, org, code, period)
    return _download(exports.xlsx_render(report), name=exports.filename(report, "xlsx"))


@org_view()
@require_GET
def report_csv(request, org, code, period):
    report = _report(request, org, code, period)
    text = exports.csv_render(report, language=get_language() or org.language)
    return _download(text, name=exports.filename(report, "csv"))


# --- the e-mails' log, for admins --------------------------------------------------------------


@org_view(roles=ADMIN_ROLES)
@require_GET
def delivery_page(request, org, code):
    """The stakeholder's report e-mails with their status, failed ones first, then the newest."""
    stakeholder = access_stakeholder(request.membership, code)
    status = request.GET.get("status") or ""
    if status not in DeliveryStatus.values:
        status = ""
    deliveries = delivery_list(org=org, stakeholder=stakeholder, status=status or None)
    page = Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"stakeholder": stakeholder, "page": page, "status": status, "statuses": DeliveryStatus.choices}
    return render(request, "steering/reports/deliveries.html", context)


@org_view(roles=ADMIN_ROLES)
@require_POST
def delivery_resend(request, org, code, pk):
    """Send a failed e-mail again (its retries are spent): back to pending, and sent now."""
    stakeholder = access_stakeholder(request.membership, code)
    delivery = services.delivery_retry(org=org, stakeholder=stakeholder, pk=pk)
    messages.success(request, _("The report e-mail to %(email)s is sent again.") % {"email": delivery.email})
    return redirect("steering:deliveries", org=org.slug, code=stakeholder.code)
