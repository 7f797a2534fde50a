"""The KPI explorer (``/o/<slug>/dashboards/kpis/``) and the customers' verbatim comments
(``…/kpis/comments/``): what the customers of a unit say, over a span of months.

Survey KPIs are about customers, not members: no small-group suppression here, the engine's
``low_sample`` flag instead (drawn hollow, never hidden). Managers see the units of their scope
(by default all of their teams), the roles that read the organization see all of it. Filters live
in the query string (dashboards.explorer.forms), so that a link reproduces the view.
"""

from __future__ import annotations

import re

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cxtracker.months import periods_between
from cxtracker.tabular import csv_response
from cxtracker.tenancy.access import can_read_all, org_view
from dashboards.links import query
from dashboards.selectors import scope_target, scope_units, survey_comments
from deployment.selectors import month_current
from experience.models import Journey
from kpis.engine.formulas import survey_figures
from kpis.engine.surveys import BREAKDOWNS, survey_breakdown_values, survey_breakdowns, survey_sums

from . import figures
from .forms import BREAKDOWN_LABELS, KPIS, KpiExplorerForm, VerbatimForm, value_label

COMMENTS_PER_PAGE = 25
# The query-string keys of each page, in the order links write them.
SCOPE_KEYS = ("unit", "from", "to", *BREAKDOWNS)
EXPLORER_KEYS = (*SCOPE_KEYS, "period", "kpi", "by")
VERBATIM_KEYS = (*SCOPE_KEYS, "band", "q")


def _form(request, org, form_class):
    membership = request.membership
    journey_names = dict(Journey.objects.for_org(org).values_list("code", "name"))
    form = form_class(
        request.GET,
        org=org,
        current=month_current(org=org),
        units=scope_units(membership=membership),
        everything_label=org.name if can_read_all(membership) else _("All my teams"),
        values=survey_breakdown_values(org=org),
        journey_names=journey_names,
    )
    return form, journey_names


def _params(data: dict, keys) -> dict:
    """The cleaned filters as the query string writes them (defaults left out)."""
    span = data["span"]
    params = {
        "unit": data["unit"].code if data.get("unit") else None,
        "from": str(span.first),
        "to": str(span.last),
        **{b: data.get(b) or None for b in BREAKDOWNS},
        "period": data.get("period") if data.get("period") != "month" else None,
        "kpi": data.get("kpi") if data.get("kpi") != "nps" else None,
        "by": data.get("by"),
        "band": data.get("band") or None,
        "q": data.get("q") or None,
    }
    return {k: params[k] for k in keys}


def _tabs(org, scope: dict) -> dict:
    return {
        "figures": reverse("dashboards:kpis", kwargs={"org": org.slug}) + query(scope),
        "comments": reverse("dashboards:kpi-comments", kwargs={"org": org.slug}) + query(scope),
    }


def _scope_label(org, membership, unit) -> str:
    if unit is not None:
        return unit.name
    return org.name if can_read_all(membership) else _("All my teams")


# ---------------------------------------------------------------------------------------------
# The explorer


class _Explorer:
    """The figures of one scope (teams), span, period kind and filters; each chart computed when
    first asked for, so that a CSV download reads only its own."""

    def __init__(self, *, org, target, data, journey_names, language):
        self.org = org
        self.target = target
        self.span = data["span"]
        self.kind = data["period"]
        self.kpi = data["kpi"]
        self.by = data["by"]
        self.filters = data["filters"]
        self.journey_names = journey_names
        self.language = language
        self.min_sample = org.min_sample_size
        self.periods = periods_between(self.kind, self.span.first_day, self.span.last_day)

    def figures(self, sums) -> dict:
        return survey_figures(sums or {}, min_sample=self.min_sample)

    def label(self, breakdown, value) -> str:
        return value_label(breakdown, value, self.journey_names)

    def totals(self, breakdown_sums: dict) -> dict:
        """The figures of every response of the span: the sum over the values of any one
        breakdown ("not given" included: each response has exactly one value of each), which
        saves reading the responses once more when filters are crossed."""
        total: dict = {}
        for sums in breakdown_sums[BREAKDOWNS[0]].values():
            for k, v in sums.items():
                total[k] = total.get(k, 0) + v
        return self.figures(total)

    def trend_series(self) -> list[tuple]:
        """(value, label, [figures per period]): one series, or one per value of ``by``."""
        sums = {}
        if self.target is not None:
            read = survey_sums(
                org=self.org, targets=[self.target], periods=self.periods, filters=self.filters, by=self.by
            )
            sums = {(period, value): s for (_key, period, value), s in read.items()}
        if not self.by:
            return [(None, _("All responses"), [self.figures(sums.get((p, None))) for p in self.periods])]
        totals: dict = {}
        for (_period, value), s in sums.items():
            totals[value] = totals.get(value, 0) + max(s["nps_n"], s["csat_n"], s["ces_n"])
        values = sorted(totals, key=lambda v: (v == "", -totals[v], self.label(self.by, v).casefold()))
        return [
            (value, self.label(self.by, value), [self.figures(sums.get((p, value))) for p in self.periods])
            for value in values
        ]

    def breakdown_rows(self, breakdown: str, sums: dict | None = None) -> list[tuple]:
        """(value, label, figures) of each value the span's responses hold, the most answered
        first (hot before cold for the trigger), "not given" last. ``sums``: value → sums, when
        already read (``survey_breakdowns``)."""
        if sums is None:
            sums = self.breakdown_sums([breakdown])[breakdown]
        rows = [(value, self.label(breakdown, value), self.figures(s)) for value, s in sums.items()]
        n_key = f"{self.kpi}_n"
        if breakdown == "trigger":
            order = {"event": 0, "periodic": 1}
            rows.sort(key=lambda r: (r[0] == "", order.get(r[0], 2), r[1].casefold()))
        else:
            rows.sort(key=lambda r: (r[0] == "", -r[2][n_key], r[1].casefold()))
        return rows

    def breakdown_sums(self, breakdowns=BREAKDOWNS) -> dict:
        if self.target is None:
            return {b: {} for b in breakdowns}
        return survey_breakdowns(
            org=self.org, target=self.target, span=self.span, filters=self.filters, breakdowns=breakdowns
        )

    def chart(self, name: str, *, series=None, rows=None):
        if name.startswith("trend-"):
            return figures.kpi_trend_chart(
                kpi=name.removeprefix("trend-"),
                periods=self.periods,
                kind=self.kind,
                series=series if series is not None else self.trend_series(),
                split=self.by,
                split_label=str(BREAKDOWN_LABELS[self.by]) if self.by else "",
                language=self.language,
            )
        return figures.breakdown_chart(
            breakdown=name,
            breakdown_label=str(BREAKDOWN_LABELS[name]),
            kpi=self.kpi,
            rows=rows if rows is not None else self.breakdown_rows(name),
            language=self.language,
        )


@org_view()
@require_GET
def kpi_explorer(request, org):
    """NPS, CSAT and CES of a unit over a span of months: over time (by week, month or quarter),
    and by journey, segment, channel and trigger, each with n and its 95 % margin; ``&csv=<chart>``
    answers that chart's data as CSV."""
    membership = request.membership
    form, journey_names = _form(request, org, KpiExplorerForm)
    base = reverse("dashboards:kpis", kwargs={"org": org.slug})
    if not form.is_valid():
        context = {"form": form, "base_url": base, "tabs": _tabs(org, {}), "tab": "figures"}
        return render(request, "dashboards/kpi_explorer.html", context, status=400)
    data = form.cleaned_data
    unit = data["unit"]
    explorer = _Explorer(
        org=org,
        target=scope_target(membership=membership, unit=unit),
        data=data,
        journey_names=journey_names,
        language=get_language() or "fr",
    )
    params = _params(data, EXPLORER_KEYS)
    if data["csv"]:
        span = data["span"]
        scope_part = unit.code if unit else org.slug
        filename = f"{data['csv']}-{scope_part}-{span.first}-{span.last}.csv"
        chart = explorer.chart(data["csv"])
        return csv_response(chart.columns, chart.rows, filename=filename, language=get_language())

    series = explorer.trend_series()
    breakdowns = []
    sums = explorer.breakdown_sums()
    for breakdown in BREAKDOWNS:
        rows = explorer.breakdown_rows(breakdown, sums[breakdown])
        breakdowns.append(
            {
                "key": breakdown,
                "label": BREAKDOWN_LABELS[breakdown],
                "chart": explorer.chart(breakdown, rows=rows),
                "rows": [{"value": v, "label": label, "f": f} for v, label, f in rows],
                "csv_url": base + query(params, csv=breakdown),
                "filtered": breakdown in data["filters"],
            }
        )
    trend_rows = [
        {"series": label, "period": figures.period_label(p, explorer.kind), "start": p.first_day, "f": f}
        for _value, label, figures_list in series
        for p, f in zip(explorer.periods, figures_list, strict=True)
    ]
    totals = explorer.totals(sums)
    context = {
        "form": form,
        "base_url": base,
        "params": params,
        "tabs": _tabs(org, _params(data, SCOPE_KEYS)),
        "tab": "figures",
        "unit": unit,
        "scope_label": _scope_label(org, membership, unit),
        "span_start": data["span"].first.first_day,
        "span_end": data["span"].last.first_day,
        "kind": explorer.kind,
        "kpi": explorer.kpi,
        "by": explorer.by,
        "filters": [(BREAKDOWN_LABELS[b], explorer.label(b, v)) for b, v in data["filters"].items()],
        "totals": totals,
        "tiles": [
            {
                "key": k,
                "label": figures.kpi_name(k),
                "value": totals[k],
                "n": totals[f"{k}_n"],
                "margin": totals[f"{k}_margin_of_error"],
                "low": totals[f"{k}_low_sample"],
            }
            for k in KPIS
        ],
        "has_data": any(totals[f"{k}_n"] for k in KPIS),
        "trends": [
            {"chart": explorer.chart(f"trend-{k}", series=series), "csv_url": base + query(params, csv=f"trend-{k}")}
            for k in KPIS
        ],
        "trend_rows": trend_rows,
        "breakdowns": breakdowns,
        "kpi_links": [(k, k.upper(), base + query(params, kpi=None if k == "nps" else k)) for k in KPIS],
        "by_label": BREAKDOWN_LABELS[explorer.by] if explorer.by else "",
        "min_sample_size": org.min_sample_size,
        "charts": True,
    }
    return render(request, "dashboards/kpi_explorer.html", context)


# ---------------------------------------------------------------------------------------------
# The verbatims


def _highlight(text: str, words: str) -> list[tuple[str, bool]]:
    """The comment cut into (piece, matches) around each case-insensitive occurrence of ``words``:
    the template marks the matches, escaping every piece."""
    if not words:
        return [(text, False)]
    pieces = re.split(f"({re.escape(words)})", text, flags=re.IGNORECASE)
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


def _band(nps: int | None) -> str:
    if nps is None:
        return ""
    return "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"


@org_view()
@require_GET
def kpi_comments(request, org):
    """The customers' comments of a unit over a span of months, newest first, 25 a page,
    filterable by NPS band and by words; each with its date, team, journey, channel and scores
    (never an id)."""
    membership = request.membership
    form, journey_names = _form(request, org, VerbatimForm)
    base = reverse("dashboards:kpi-comments", kwargs={"org": org.slug})
    if not form.is_valid():
        context = {"form": form, "base_url": base, "tabs": _tabs(org, {}), "tab": "comments"}
        return render(request, "dashboards/kpi_comments.html", context, status=400)
    data = form.cleaned_data
    unit = data["unit"]
    responses = survey_comments(
        membership=membership,
        target=scope_target(membership=membership, unit=unit),
        span=data["span"],
        filters=data["filters"],
        band=data["band"],
        text=data["q"],
    )
    page = Paginator(responses, COMMENTS_PER_PAGE).get_page(data["page"])
    tz = org.tzinfo
    comments = []
    for r in page.object_list:
        moment = timezone.localtime(r.responded_at, tz)
        comments.append(
            {
                "iso": moment.isoformat(),
                "date": date_format(moment, "j F Y, H:i"),
                "team": r.unit.name,
                "journey": value_label("journey", r.journey, journey_names) if r.journey else "",
                "channel": r.channel,
                "nps": r.nps,
                "csat": r.csat,
                "ces": r.ces,
                "band": _band(r.nps),
                "pieces": _highlight(r.comment, data["q"]),
            }
        )
    params = _params(data, VERBATIM_KEYS)
    filtered = bool(data["band"] or data["q"])
    context = {
        "form": form,
        "base_url": base,
        "params": params,
        "tabs": _tabs(org, _params(data, SCOPE_KEYS)),
        "tab": "comments",
        "unit": unit,
        "scope_label": _scope_label(org, membership, unit),
        "span_start": data["span"].first.first_day,
        "span_end": data["span"].last.first_day,
        "filters": [(BREAKDOWN_LABELS[b], value_label(b, v, journey_names)) for b, v in data["filters"].items()],
        "page": page,
        "comments": comments,
        "filtered": filtered,
        "clear_url": base + query({**params, "band": None, "q": None}),
        "previous_url": base + query(params, page=page.previous_page_number()) if page.has_previous() else None,
        "next_url": base + query(params, page=page.next_page_number()) if page.has_next() else None,
        "first_url": base + query(params) if page.number > 2 else None,
        "last_url": base + query(params, page=page.paginator.num_pages)
        if page.number < page.paginator.num_pages - 1
        else None,
    }
    return render(request, "dashboards/kpi_comments.html", context)
