"""The explorer's figures of one scope, span, period kind and filters, read through the engine
(``kpis.engine.surveys``) and drawn by ``figures``.

Survey KPIs are about customers, not members: no small-group suppression here, the engine's
``low_sample`` flag instead (drawn hollow, never hidden).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from cxtracker.months import periods_between
from kpis.engine.formulas import survey_figures
from kpis.engine.surveys import BREAKDOWNS, survey_breakdowns, survey_sums

from . import figures
from .forms import BREAKDOWN_LABELS, value_label


class ExplorerBoard:
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
        self.tree = data["tree"]
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
                org=self.org,
                targets=[self.target],
                periods=self.periods,
                filters=self.filters,
                by=self.by,
                tree=self.tree,
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
            org=self.org,
            target=self.target,
            span=self.span,
            filters=self.filters,
            breakdowns=breakdowns,
            tree=self.tree,
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
