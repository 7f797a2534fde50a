"""The engine's reads of one board: the rates and survey sums of its unit and of the units it
compares, over the span, the previous span and each month of the span, read once for the whole board
(one ``rates_read``, one ``survey_sums``) and protected for the reader inside the engine, in the
tree the board asks for (``Tree``: today's, or each month's own)."""

from __future__ import annotations

from functools import cached_property

from cxtracker.tenancy.models import Organization, OrgUnit, Tree
from kpis.engine import formulas
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader, Sizes
from kpis.engine.surveys import survey_sums
from kpis.engine.targets import Target


def kpi_figures(sums: dict, *, min_sample: int) -> dict:
    """NPS, CSAT, CES with n, margins and low-sample flags, rounded as ``kpis_read`` rounds them."""
    figures_ = formulas.kpis(sums, min_sample=min_sample)
    return {k: formulas.rounded(v) if isinstance(v, float) else v for k, v in figures_.items()}


class BoardReads:
    """``unit`` (None: the organization) and ``columns``, the units its page compares."""

    def __init__(
        self,
        *,
        org: Organization,
        reader: Reader,
        unit: OrgUnit | None,
        columns: list[OrgUnit],
        span,
        tree: str = Tree.AS_IS,
    ):
        self.org = org
        self.tree = tree
        self.reader = reader
        self.unit = unit
        self.span = span
        self.previous = span.previous()
        self.months = span.months()
        self.targets = [Target(unit), *(Target(c) for c in columns if c != unit)]
        self.periods = [span, self.previous, *self.months]

    @cached_property
    def sizes(self) -> Sizes | None:
        """The members suppression is worked out on, for every month the board reads: read once for
        the rates and the teams' points (None: the reader sees everything)."""
        if not self.reader.protects:
            return None
        months = sorted({m for p in self.periods for m in p.months()})
        return Sizes.from_snapshots(self.org, [m.first_day for m in months], tree=self.tree)

    @cached_property
    def _rates(self) -> dict:
        """(unit id or None, period) → the ``rates_read`` row (dimensions only for the span: the
        heatmap's)."""
        rows = rates_read(
            org=self.org,
            reader=self.reader,
            targets=self.targets,
            periods=self.periods,
            dimension_periods=[self.span],
            sizes=self.sizes,
            tree=self.tree,
        )
        keys = [(t.key, p) for t in self.targets for p in self.periods]
        return dict(zip(keys, rows, strict=True))

    @cached_property
    def _sums(self) -> dict:
        return survey_sums(org=self.org, targets=self.targets, periods=self.periods, tree=self.tree)

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

    def mastery(self, unit: OrgUnit) -> dict:
        """The unit's known and mastered shares by dimension at the end of the span (the heatmap's),
        and whether they are hidden."""
        row = self.rates(unit, self.span)
        return {"suppressed": row["suppressed"], "dimensions": row["dimensions"]}
