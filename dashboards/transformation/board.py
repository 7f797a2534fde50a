"""The executive transformation dashboard: what a unit's page shows for a span of months.

Reads go through the engine only: ``kpis.engine.rates.rates_read`` (protected for the reader: small
groups come back suppressed, with complementary suppression), ``kpis.engine.surveys.survey_sums``
for the survey sums the significance tests need, the figures from ``kpis.engine.formulas``, the
tests from ``kpis.engine.stats`` and the lag analysis from ``kpis.engine.panel``. Each part is
computed when first asked for, so that a CSV download computes only its chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cxtracker import charts
from cxtracker.months import Month, MonthSpan
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, UnitKind
from dashboards import caching
from dashboards.selectors import unit_children, unit_teams
from kpis.engine import formulas, stats
from kpis.engine.metrics import metric_values_read
from kpis.engine.panel import lag_fit, lag_words
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader, Sizes, hide
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target
from kpis.models import Metric, MetricValue
from steering.models import ActionPlan
from steering.selectors import action_plans_for_chart, plan_span_end

from . import figures
from .forms import CHARTS

SURVEY_KPIS = ("nps", "csat", "ces")
# The lag analysis needs a long panel: at least this many outcome months, whatever the span.
LAG_MIN_MONTHS = 24
LAG_MAX_LAG = 6
# Beyond this many action plans the trend would be a forest of markers.
MAX_PLANS = 12
# What the page shows, cached as one answer (TransformationDashboard.load); bump the version when
# what they hold changes shape.
ANSWER_PARTS = ("tiles", "table", *(f"{chart}_chart" for chart in CHARTS), "lag")
ANSWER_VERSION = 1


@dataclass(frozen=True)
class Filters:
    unit: OrgUnit | None
    span: MonthSpan
    metric: Metric | None
    sort: str = "name"
    mastery: str = "mastered"
    lag: str = "nps"


def kpi_figures(sums: dict, *, min_sample: int) -> dict:
    """NPS, CSAT, CES with n, margins and low-sample flags, rounded as ``kpis_read`` rounds them."""
    figures_ = formulas.kpis(sums, min_sample=min_sample)
    return {k: formulas.rounded(v) if isinstance(v, float) else v for k, v in figures_.items()}


def rate_change(cur: float | None, prev: float | None) -> float | None:
    """The change of a rate in percentage points (census figures: no test)."""
    if cur is None or prev is None:
        return None
    return round(100 * (cur - prev), 2)


def sparkline(values: list[float | None], *, width: int = 72, height: int = 20) -> dict | None:
    """An inline SVG sparkline of a monthly series: polyline segments (gaps where a month has no
    figure) and the last point. None when fewer than two months have a figure."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return None
    low, high = min(known), max(known)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    step = width / max(len(values) - 1, 1)
    segments, current, last = [], [], None
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x, y = round(i * step, 1), round(height - 2 - (v - low) / (high - low) * (height - 4), 1)
        current.append(f"{x},{y}")
        last = (x, y)
    if current:
        segments.append(" ".join(current))
    return {"width": width, "height": height, "segments": segments, "last": last}


class TransformationDashboard:
    """One unit (or the organization), one span of months, seen by one membership."""

    def __init__(self, *, org: Organization, membership: Membership, filters: Filters, url_for=None):
        self.org = org
        self.filters = filters
        self.unit = filters.unit
        self.span = filters.span
        self.previous = filters.span.previous()
        self.months: list[Month] = filters.span.months()
        self.reader = Reader.of(membership)
        self.min_group_size = org.min_group_size
        self.language = get_language() or "fr"
        # url_for(unit) → the dashboard's URL for that unit with the same filters (the view's).
        self.url_for = url_for or (lambda unit: "")

    # --- the cached answer ---------------------------------------------------------------------

    def inputs(self, *, tree, metrics) -> tuple:
        """Everything the board's figures are computed from, as plain values: the key of its cached
        answer. ``tree`` and ``metrics`` are the view's (it reads every unit and metric anyway):
        plain values naming each unit (id, parent, path, code, name, kind) and each metric.

        The snapshots' version covers the engine's reads (rates, survey sums, the lag panel); the
        tree covers roll-ups, names and drill-down links (a move needs no recomputation); then the
        action plans and business-metric values (written without one), the organization's settings
        (read at read time: the minimum group size hides groups at once), who reads (suppression)
        in which language, the filters, and today (an overdue plan is drawn up to today)."""
        org, f = self.org, self.filters
        plans = ActionPlan.objects.for_org(org).aggregate(count=Count("pk"), latest=Max("updated_at"), last=Max("pk"))
        charted = {m.pk: m for m in (f.metric, self._lag_metric) if m is not None}
        return (
            ANSWER_VERSION,
            org.pk,
            org.slug,
            org.name,
            org.timezone,
            str(org.rate_weight),
            org.expected_animations_per_month,
            org.min_sample_size,
            org.min_group_size,
            self.reader.whole,
            self.language,
            str(org.today()),
            self.unit.pk if self.unit else None,
            str(self.span),
            f.metric.code if f.metric else None,
            f.sort,
            f.mastery,
            f.lag,
            caching.snapshots_version(org),
            tree,
            metrics,
            (plans["count"], plans["latest"].isoformat() if plans["latest"] else None, plans["last"]),
            tuple(_metric_version(org, m) for _pk, m in sorted(charted.items())),
        )

    def answer(self) -> dict:
        """Everything the page shows, computed: what the cache keeps (``load``)."""
        answer = {"has_data": self.has_data}
        if self.has_data:
            for name in ANSWER_PARTS:
                answer[name] = getattr(self, name)
        return answer

    def load(self, parts: tuple, *, compute: bool = True) -> bool:
        """Take the page's figures from the cache (``parts``: ``inputs()``); on a miss compute them
        all and cache them, or with ``compute=False`` leave them to be computed part by part (a
        CSV needs one chart). Whether the board now holds them."""
        if compute:
            answer = caching.cached("transformation", parts, self.answer)
        else:
            answer = caching.lookup("transformation", parts)
            if answer is None:
                return False
        # The parts are cached properties: set, they are what the board answers.
        self.__dict__.update(answer)
        return True

    # --- reads -----------------------------------------------------------------------------

    @cached_property
    def children(self) -> list[OrgUnit]:
        return unit_children(org=self.org, unit=self.unit)

    @cached_property
    def columns(self) -> list[OrgUnit]:
        """The units the table, the bars and the heatmap compare: the children, or a team itself."""
        if self.children or self.unit is None:
            return self.children
        return [self.unit]

    @cached_property
    def _targets(self) -> list[Target]:
        extra = [c for c in self.columns if c != self.unit]
        return [Target(self.unit), *(Target(c) for c in extra)]

    @cached_property
    def _periods(self) -> list:
        return [self.span, self.previous, *self.months]

    @cached_property
    def _sizes(self) -> Sizes | None:
        """The members suppression is worked out on, for every month the board reads: read once for
        the rates and the teams' points (None: the reader sees everything)."""
        if not self.reader.protects:
            return None
        months = sorted({m for p in self._periods for m in p.months()})
        return Sizes.from_snapshots(self.org, [m.first_day for m in months])

    @cached_property
    def _rates(self) -> dict:
        """(unit id or None, period) → the ``rates_read`` row (dimensions only for the span: the
        heatmap's)."""
        rows = rates_read(
            org=self.org,
            reader=self.reader,
            targets=self._targets,
            periods=self._periods,
            dimension_periods=[self.span],
            sizes=self._sizes,
        )
        keys = [(t.key, p) for t in self._targets for p in self._periods]
        return dict(zip(keys, rows, strict=True))

    @cached_property
    def _sums(self) -> dict:
        return survey_sums(org=self.org, targets=self._targets, periods=self._periods)

    def rates(self, unit: OrgUnit | None, period) -> dict:
        return self._rates[(unit.pk if unit else None, period)]

    def sums(self, unit: OrgUnit | None, period) -> dict:
        found = self._sums.get((unit.pk if unit else None, period, None), {})
        return {k: found.get(k, 0) for k in formulas.KPI_SUMS}

    def kpis(self, unit: OrgUnit | None, period) -> dict:
        return kpi_figures(self.sums(unit, period), min_sample=self.org.min_sample_size)

    @cached_property
    def has_data(self) -> bool:
        """Whether the span holds anything at all for the unit: computed rates or responses."""
        row = self.rates(self.unit, self.span)
        if row["active_members"] or row["suppressed"]:
            return True
        sums = self.sums(self.unit, self.span)
        return any(sums[k] for k in ("nps_n", "csat_n", "ces_n"))

    # --- tiles -----------------------------------------------------------------------------

    @cached_property
    def tiles(self) -> list[dict]:
        cur, prev = self.rates(self.unit, self.span), self.rates(self.unit, self.previous)
        tiles = []
        for key, label in (
            ("deployment_rate", _("Deployment rate")),
            ("transformation_rate", _("Transformation rate")),
        ):
            tiles.append(
                {
                    "key": key,
                    "label": label,
                    "kind": "rate",
                    "value": charts.percent(cur[key]),
                    "previous": charts.percent(prev[key]),
                    "delta": self._rate_change(cur, prev, key),
                    "suppressed": cur["suppressed"],
                    "active_members": cur["active_members"],
                }
            )
        k_cur, k_prev = self.kpis(self.unit, self.span), self.kpis(self.unit, self.previous)
        s_cur, s_prev = self.sums(self.unit, self.span), self.sums(self.unit, self.previous)
        for key, label in (("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")):
            change = stats.KPI_CHANGES[key](s_prev, s_cur)
            tiles.append(
                {
                    "key": key,
                    "label": label,
                    "kind": "survey",
                    "value": k_cur[key],
                    "previous": k_prev[key],
                    "n": k_cur[f"{key}_n"],
                    "low_sample": k_cur[f"{key}_low_sample"],
                    "margin": k_cur.get("nps_margin_of_error") if key == "nps" else None,
                    "mean": k_cur.get("csat_mean") if key == "csat" else None,
                    "easy_share": charts.percent(k_cur.get("ces_easy_share")) if key == "ces" else None,
                    "delta": None if change.delta is None else round(change.delta, 2),
                    # scipy answers numpy scalars: plain Python for the template and JSON.
                    "p_value": None if change.p_value is None else float(change.p_value),
                    "significant": bool(change.significant),
                }
            )
        return tiles

    @staticmethod
    def _rate_change(cur: dict, prev: dict, key: str) -> float | None:
        """No change against a hidden previous figure: it would give the figure away."""
        return None if prev["suppressed"] else rate_change(cur[key], prev[key])

    # --- the children table ------------------------------------------------------------------

    @cached_property
    def table(self) -> list[dict]:
        """One row per compared unit, with the significance of its survey changes corrected for
        the whole table at once (Benjamini–Hochberg at 5 % over every test of the table)."""
        rows = []
        for unit in self.columns:
            cur, prev = self.rates(unit, self.span), self.rates(unit, self.previous)
            k_cur = self.kpis(unit, self.span)
            monthly = [self.rates(unit, m) for m in self.months]
            monthly_nps = [self.kpis(unit, m)["nps"] for m in self.months]
            row = {
                "unit": unit,
                "name": unit.name,
                "code": unit.code,
                "kind": unit.kind,
                "url": self.url_for(unit),
                "suppressed": cur["suppressed"],
                "active_members": cur["active_members"],
                "deployment_rate": cur["deployment_rate"],
                "transformation_rate": cur["transformation_rate"],
                "deployment_pct": charts.percent(cur["deployment_rate"]),
                "transformation_pct": charts.percent(cur["transformation_rate"]),
                "deployment_change": self._rate_change(cur, prev, "deployment_rate"),
                "transformation_change": self._rate_change(cur, prev, "transformation_rate"),
                "transformation_spark": None
                if cur["suppressed"]
                else sparkline([None if r["suppressed"] else r["transformation_rate"] for r in monthly]),
                "nps_spark": sparkline(monthly_nps),
            }
            for key in SURVEY_KPIS:
                change = stats.KPI_CHANGES[key](self.sums(unit, self.previous), self.sums(unit, self.span))
                row[key] = k_cur[key]
                row[f"{key}_n"] = k_cur[f"{key}_n"]
                row[f"{key}_low_sample"] = k_cur[f"{key}_low_sample"]
                row[f"{key}_change"] = None if change.delta is None else round(change.delta, 2)
                row[f"{key}_p"] = None if change.p_value is None else float(change.p_value)
            row["nps_margin"] = k_cur["nps_margin_of_error"]
            rows.append(row)
        tests = [(row, key) for row in rows for key in SURVEY_KPIS]
        flags = stats.benjamini_hochberg([row[f"{key}_p"] for row, key in tests])
        for (row, key), flag in zip(tests, flags, strict=True):
            row[f"{key}_significant"] = bool(flag)
        return sort_rows(rows, self.filters.sort)

    # --- charts ------------------------------------------------------------------------------

    def chart(self, name: str) -> charts.Chart:
        return getattr(self, f"{name}_chart")

    @cached_property
    def trend_chart(self) -> charts.Chart:
        metric = self.filters.metric
        points = (
            metric_values_read(org=self.org, metric=metric, targets=[Target(self.unit)], months=self.months)
            if metric is not None
            else {}
        )
        key = self.unit.pk if self.unit else None
        monthly = [self.rates(self.unit, m) for m in self.months]
        if self.rates(self.unit, self.span)["suppressed"]:
            # Hidden over the span (small in one of its months): hidden in every month too, so
            # that the chart never shows what the tiles withhold (the end of the span is a month).
            monthly = [hide(dict(row)) for row in monthly]
        return figures.trend_chart(
            months=self.months,
            plans=self.plans,
            rates=monthly,
            kpis=[self.kpis(self.unit, m) for m in self.months],
            metric_name=metric.name if metric else None,
            metric_unit=metric.unit_of_measure if metric else "",
            metric_points=[points.get((key, m)) for m in self.months],
            min_group_size=self.min_group_size,
            language=self.language,
        )

    @cached_property
    def plans(self) -> list[dict]:
        """The action plans drawn on the trend: those of the unit, the units above it and its
        subtree that overlap the span (dropped ones left out), the closest to the unit first when
        there are too many to draw."""
        today = self.org.today()
        plans = action_plans_for_chart(
            org=self.org, unit=self.unit, first=self.span.first, last=self.span.last, ancestors=True
        )
        plans.sort(key=lambda p: (p.unit.path.count("/"), p.start_on, p.pk))
        return [
            {
                "title": p.title,
                "unit": p.unit.name,
                "status": p.get_status_display(),
                "start": p.start_on,
                "end": plan_span_end(p, today),
            }
            for p in plans[:MAX_PLANS]
        ]

    @cached_property
    def children_chart(self) -> charts.Chart:
        return figures.children_bars(rows=self.table, min_group_size=self.min_group_size, language=self.language)

    @cached_property
    def heatmap_chart(self) -> charts.Chart:
        units = [
            {
                "name": u.name,
                "code": u.code,
                "url": self.url_for(u),
                "suppressed": self.rates(u, self.span)["suppressed"],
                "dimensions": self.rates(u, self.span)["dimensions"],
            }
            for u in self.columns
        ]
        return figures.mastery_heatmap(
            units=units, share=self.filters.mastery, min_group_size=self.min_group_size, language=self.language
        )

    @cached_property
    def team_points(self) -> list[dict]:
        """Every team of the subtree over the span: its transformation rate (protected) and NPS."""
        teams = self.teams
        if not teams:
            return []
        targets = [Target(team) for team in teams]
        rates = rates_read(
            org=self.org,
            reader=self.reader,
            targets=targets,
            periods=[self.span],
            dimension_periods=[],
            sizes=self._sizes,
        )
        sums = survey_sums(org=self.org, targets=targets, periods=[self.span])
        points = []
        for team, row in zip(teams, rates, strict=True):
            rate, suppressed = row["transformation_rate"], row["suppressed"]
            k = kpi_figures(sums.get((team.pk, self.span, None), {}), min_sample=self.org.min_sample_size)
            points.append(
                {
                    "name": team.name,
                    "code": team.code,
                    "url": self.url_for(team),
                    "suppressed": suppressed,
                    "transformation_rate": rate,
                    "nps": k["nps"],
                    "nps_n": k["nps_n"],
                    "nps_low_sample": k["nps_low_sample"],
                }
            )
        return points

    @cached_property
    def scatter_chart(self) -> charts.Chart:
        return figures.transformation_nps_scatter(
            teams=self.team_points, min_group_size=self.min_group_size, language=self.language
        )

    @cached_property
    def teams(self) -> list[OrgUnit]:
        """The teams of the unit's subtree (of the organization without a unit), by name."""
        return unit_teams(org=self.org, unit=self.unit)

    @cached_property
    def _lag_metric(self) -> Metric | None:
        """The business metric the lag analysis is about (None for a survey KPI)."""
        code = self.filters.lag
        if code in SURVEY_KPIS:
            return None
        if self.filters.metric and self.filters.metric.code == code:
            return self.filters.metric
        return Metric.objects.for_org(self.org).get(code=code)

    @cached_property
    def lag(self) -> dict:
        """The engine's lag analysis of the chosen outcome over the unit's teams, with its sentence,
        on at least ``LAG_MIN_MONTHS`` outcome months ending with the span.

        The fit takes seconds on a large organization and changes only with the snapshots: its
        answer is cached (dashboards.caching), keyed on the organization, the outcome, the months,
        the unit's teams, the latest recomputation and, for a business metric, its values."""
        code = self.filters.lag
        last = self.span.last
        first = min(self.span.first, last.shift(1 - LAG_MIN_MONTHS))
        metric = self._lag_metric
        parts = (
            self.org.pk,
            self.org.slug,
            code,
            str(first),
            str(last),
            LAG_MAX_LAG,
            self.org.min_sample_size,
            self.unit.pk if self.unit else None,
            tuple(sorted(t.pk for t in self.teams)),
            caching.snapshots_version(self.org),
            _metric_version(self.org, metric) if metric is not None else None,
        )
        fit = caching.cached(
            "lag",
            parts,
            lambda: lag_fit(
                org=self.org,
                outcome=code,
                metric=metric,
                unit=self.unit,
                first=first,
                last=last,
                max_lag=LAG_MAX_LAG,
            ),
        )
        return {"result": fit.result, **lag_words(fit, code, metric), "first": first, "last": last}

    @cached_property
    def lag_chart(self) -> charts.Chart:
        lag = self.lag
        return figures.lag_chart(
            result=lag["result"],
            sentence=lag["sentence"],
            outcome_label=lag["outcome_label"],
            unit_label=lag["unit_label"],
            language=self.language,
        )


def _metric_version(org: Organization, metric: Metric) -> tuple:
    """What a lag fit on a business metric depends on besides the snapshots: the metric's settings
    and its values (uploaded without any recomputation)."""
    values = MetricValue.objects.for_org(org).filter(metric=metric)
    stats_ = values.aggregate(count=Count("pk"), latest=Max("updated_at"), last_pk=Max("pk"))
    latest = stats_["latest"].isoformat() if stats_["latest"] else None
    return (metric.pk, metric.unit_of_measure, metric.higher_is_better, stats_["count"], latest, stats_["last_pk"])


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """Rows sorted by a column (``-`` in front: descending); units without the figure (none, or
    suppressed) always last, then by name."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    field = {
        "name": "name",
        "members": "active_members",
        "deployment": "deployment_rate",
        "transformation": "transformation_rate",
    }.get(key, key)

    def value(row):
        if field in ("deployment_rate", "transformation_rate") and row["suppressed"]:
            return None
        return row.get(field)

    by_name = sorted(rows, key=lambda r: (r["name"].casefold(), r["code"]))
    present = [r for r in by_name if value(r) is not None]
    missing = [r for r in by_name if value(r) is None]
    if field == "name":
        present.sort(key=lambda r: (r["name"].casefold(), r["code"]), reverse=descending)
    else:
        present.sort(key=value, reverse=descending)
    return present + missing


def is_team(unit: OrgUnit | None) -> bool:
    return unit is not None and unit.kind == UnitKind.TEAM
