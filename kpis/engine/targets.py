"""What figures are read for: a unit's subtree, several units' subtrees read as one, or the whole
organization; and which teams each target sums (a unit's figures are the sums of its subtree's
team snapshots), in the tree of each month a read asks for (``Tree``: today's by default, or each
month's own)."""

from collections import defaultdict
from dataclasses import dataclass

from cxtracker.tenancy.models import Organization, OrgUnit, Tree, UnitKind


@dataclass(frozen=True, init=False)
class Target:
    """``Target(unit)``: the unit's subtree; ``Target(a, b)``: the union of their subtrees (the
    units a stakeholder follows), each team counted once; ``Target(None)``: the organization."""

    units: tuple[OrgUnit, ...]

    def __init__(self, *units: OrgUnit | None):
        chosen = sorted({u.pk: u for u in units if u is not None}.values(), key=lambda u: u.path)
        # A unit inside another one of the target adds nothing: its teams are already there.
        chosen = [u for u in chosen if not any(o.pk != u.pk and u.path.startswith(o.path) for o in chosen)]
        object.__setattr__(self, "units", tuple(chosen))

    @property
    def unit(self) -> OrgUnit | None:
        """The one unit of the target (None: the organization, or several units)."""
        return self.units[0] if len(self.units) == 1 else None

    @property
    def key(self):
        """None for the organization, the unit's id, or the ids of several units."""
        if not self.units:
            return None
        return self.units[0].pk if len(self.units) == 1 else tuple(u.pk for u in self.units)

    @property
    def is_team(self) -> bool:
        return self.unit is not None and self.unit.kind == UnitKind.TEAM

    def covers(self, path_ids) -> bool:
        """Whether a team whose path holds ``path_ids`` is in the target."""
        return not self.units or any(u.pk in path_ids for u in self.units)

    def describe(self, org: Organization) -> dict:
        if self.unit is None and not self.units:
            return {"unit": None, "unit_name": org.name, "kind": "organization"}
        if self.unit is None:
            return {"unit": None, "unit_name": ", ".join(u.name for u in self.units), "kind": "units"}
        return {"unit": self.unit.code, "unit_name": self.unit.name, "kind": self.unit.kind}


def team_paths(org: Organization, targets) -> dict[int, frozenset]:
    """team id → the ids on its path (itself included), for the teams under the targets."""
    teams = OrgUnit.objects.for_org(org).filter(kind=UnitKind.TEAM)
    if targets and all(t.units for t in targets):
        teams = teams.filter(OrgUnit.in_subtrees([u for t in targets for u in t.units]))
    return {pk: frozenset(OrgUnit.path_ids(path)) for pk, path in teams.values_list("pk", "path")}


def covering(paths: dict[int, frozenset], targets) -> dict[int, list]:
    """team id → the keys of the targets holding it, once per such target (a target given twice
    counts twice): each team's row is then added to its own targets only, instead of every
    target being tried on every row."""
    counts: dict = defaultdict(int)
    for t in targets:
        counts[t.key] += 1
    whole = [None] * counts.pop(None, 0)
    by_unit: dict = defaultdict(list)  # unit id → the keys of the targets made of it
    for key in counts:
        for unit_id in key if isinstance(key, tuple) else (key,):
            by_unit[unit_id].append(key)
    result = {}
    for team_id, path in paths.items():
        keys = {key for unit_id in path for key in by_unit.get(unit_id, ())}
        result[team_id] = [key for key in keys for _ in range(counts[key])] + whole
    return result


def team_covers(org: Organization, targets, starts, tree: str = Tree.AS_IS) -> list[tuple[list, dict]]:
    """(month starts, ``covering`` of the targets) for each tree the months ``starts`` are read
    with: one pair as-is; as-was, one per tree the months had (a reorganization in June: the
    months to May, then those from June)."""
    starts = sorted(set(starts))
    if tree == Tree.AS_IS:
        return [(starts, covering(team_paths(org, targets), targets))]
    trees = OrgUnit.tree(org, tree)
    by_epoch: dict = defaultdict(list)
    for start in starts:
        by_epoch[trees.epoch(start)].append(start)
    wanted = {u.pk for t in targets for u in t.units} if targets and all(t.units for t in targets) else None
    result = []
    for months in by_epoch.values():
        month_tree = trees.at(months[0])
        paths = {pk: frozenset(OrgUnit.path_ids(path)) for pk, path in month_tree.team_paths().items()}
        if wanted is not None:
            paths = {pk: ids for pk, ids in paths.items() if ids & wanted}
        result.append((months, covering(paths, targets)))
    return result


def cover_of_month(covers: list[tuple[list, dict]]) -> dict:
    """month start → the cover it is read with (``team_covers``)."""
    return {start: cover for months, cover in covers for start in months}
