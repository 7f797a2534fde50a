"""The executive transformation dashboard: what a unit's page shows for a span of months.

Reads go through the engine only (``reads``: rates protected for the reader, survey sums for the
significance tests; ``lag``: the lag analysis). Each part is computed when first asked for, so that
a CSV download computes only its chart, or all are taken at once from the cache (``load``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

from django.utils.translation import get_language

from cxtracker import charts
from cxtracker.months import MonthSpan
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, Tree
from dashboards import caching
from dashboards.selectors import unit_children, unit_teams
from kpis.engine.readers import Reader
from kpis.models import Metric

from . import figures
from .answer import ANSWER_PARTS, answer_key
from .lag import board_lag, lag_metric
from .reads import BoardReads
from .summary import board_tiles, units_table
from .teams import team_points
from .trend import trend_chart


@dataclass(frozen=True)
class Filters:
    """What the board shows, besides whose and for whom: the filter form's cleaned values."""

    unit: OrgUnit | None
    span: MonthSpan
    metric: Metric | None
    sort: str = "name"
    mastery: str = "mastered"
    lag: str = "nps"
    tree: str = Tree.AS_IS

    @classmethod
    def of(cls, data: dict) -> Filters:
        """The filters of the filter form's cleaned data."""
        return cls(**{f.name: data[f.name] for f in fields(cls)})


class TransformationDashboard:
    """One unit (or the organization), one span of months, seen by one membership."""

    def __init__(self, *, org: Organization, membership: Membership, filters: Filters, url_for=None):
        self.org = org
        self.filters = filters
        self.unit = filters.unit
        self.span = filters.span
        self.previous = filters.span.previous()
        self.reader = Reader.of(membership)
        self.language = get_language() or "fr"
        # url_for(unit) → the dashboard's URL for that unit with the same filters (the view's).
        self.url_for = url_for or (lambda unit: "")

    # --- the cached answer ---------------------------------------------------------------------

    def inputs(self, *, tree, metrics) -> tuple:
        """The key of the board's cached answer (``answer.answer_key``)."""
        return answer_key(self, tree=tree, metrics=metrics)

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

    # --- what the parts are read from ----------------------------------------------------------

    @cached_property
    def columns(self) -> list[OrgUnit]:
        """The units the table, the bars and the heatmap compare: the children, or a team itself."""
        children = unit_children(org=self.org, unit=self.unit)
        return children if children or self.unit is None else [self.unit]

    @cached_property
    def teams(self) -> list[OrgUnit]:
        """The teams of the unit's subtree (of the organization without a unit), by name."""
        return unit_teams(org=self.org, unit=self.unit)

    @cached_property
    def reads(self) -> BoardReads:
        return BoardReads(
            org=self.org,
            reader=self.reader,
            unit=self.unit,
            columns=self.columns,
            span=self.span,
            tree=self.filters.tree,
        )

    @cached_property
    def has_data(self) -> bool:
        return self.reads.has_data

    @cached_property
    def lag_metric(self) -> Metric | None:
        return lag_metric(org=self.org, outcome=self.filters.lag, charted=self.filters.metric)

    # --- the parts -----------------------------------------------------------------------------

    @cached_property
    def tiles(self) -> list[dict]:
        return board_tiles(self.reads)

    @cached_property
    def table(self) -> list[dict]:
        return units_table(self.reads, self.columns, url_for=self.url_for, sort=self.filters.sort)

    @cached_property
    def team_points(self) -> list[dict]:
        return team_points(self.reads, self.teams, url_for=self.url_for)

    @cached_property
    def lag(self) -> dict:
        f = self.filters
        return board_lag(
            org=self.org, unit=self.unit, teams=self.teams, span=self.span, outcome=f.lag, metric=self.lag_metric
        )

    def chart(self, name: str) -> charts.Chart:
        return getattr(self, f"{name}_chart")

    @cached_property
    def trend_chart(self) -> charts.Chart:
        return trend_chart(self.reads, metric=self.filters.metric, language=self.language)

    @cached_property
    def children_chart(self) -> charts.Chart:
        return figures.children_bars(rows=self.table, min_group_size=self.org.min_group_size, language=self.language)

    @cached_property
    def heatmap_chart(self) -> charts.Chart:
        units = [
            {"name": u.name, "code": u.code, "url": self.url_for(u), **self.reads.mastery(u)} for u in self.columns
        ]
        return figures.mastery_heatmap(
            units=units, share=self.filters.mastery, min_group_size=self.org.min_group_size, language=self.language
        )

    @cached_property
    def scatter_chart(self) -> charts.Chart:
        return figures.transformation_nps_scatter(
            teams=self.team_points, min_group_size=self.org.min_group_size, language=self.language
        )

    @cached_property
    def lag_chart(self) -> charts.Chart:
        words = {key: self.lag[key] for key in ("sentence", "outcome_label", "unit_label")}
        return figures.lag_chart(result=self.lag["result"], **words, language=self.language)
