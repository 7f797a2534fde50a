"""Who reads the figures, and what of them they may see: the one protection policy of the people
observed (SPEC §4), applied by every read of the engine (snapshot figures and live ones alike), so
that no view, template or export decides what to hide.

- A reader who sees a unit *whole* reads every figure of it, its small groups included: admins,
  API keys (an admin's integration, which reads the observations themselves), and managers within
  their units.
- Anyone else (executives, steering members, the reports' e-mails, managers outside their units)
  reads member-derived figures with the small groups hidden: a group with fewer active members than
  the organization's ``min_group_size`` that month, with complementary suppression
  (``protection.suppressed_groups``) so that no hidden group is the difference of shown ones.
- A reader who knows some teams exactly (a manager's own) could subtract them from a figure shown
  beside them: a figure whose remainder, once those teams and the figures shown with it in the same
  answer are taken out, is a group of fewer than ``min_group_size`` members is hidden too.

Read as-was (``Tree.AS_WAS``), each month's groups are those of that month's tree: a business unit
moved in June is part of its old region's group until May. What a reader sees whole is decided on
today's tree (a manager's scope is their units now, whichever month is read).
"""

from collections import defaultdict
from dataclasses import dataclass

from cxtracker.tenancy.access import scope_paths, sees_individuals
from cxtracker.tenancy.models import Membership, Organization, OrgUnit, Tree

from ..models import TeamMonthSnapshot
from . import protection
from .targets import Target

# The figures that come from the members (their coaching, their levels): what protection hides.
MEMBER_DERIVED = (
    "coached_members",
    "coverage",
    "deployment_rate",
    "transformation_rate",
    "assessed_share",
    "known_share",
    "mastered_share",
)


@dataclass(frozen=True)
class Reader:
    """``whole``: the paths of the subtrees the reader sees whole; None: everything."""

    whole: tuple[str, ...] | None

    @classmethod
    def unrestricted(cls) -> "Reader":
        """Sees every figure: an admin, an API key."""
        return cls(None)

    @classmethod
    def protected(cls) -> "Reader":
        """Sees no group whole: an executive, a steering member, a report e-mail."""
        return cls(())

    @classmethod
    def of(cls, membership: Membership | None) -> "Reader":
        """The reader a membership is (None: an API key)."""
        if membership is None:
            return cls.unrestricted()
        if not sees_individuals(membership):
            return cls.protected()
        paths = scope_paths(membership)
        return cls(None if paths is None else tuple(paths))

    @property
    def protects(self) -> bool:
        """Whether some figures may be hidden from this reader."""
        return self.whole is not None

    def sees_whole(self, target: Target) -> bool:
        if self.whole is None:
            return True
        return bool(target.units) and all(any(u.path.startswith(p) for p in self.whole) for u in target.units)


class Sizes:
    """The active members of every team of the organization, per month: what suppression is worked
    out on (the snapshots' counts, or the live ones of a month in progress), in the ``tree`` the
    figures are read with."""

    def __init__(self, org: Organization, by_month: dict, tree: str = Tree.AS_IS):
        self.org = org
        self.by_month = by_month  # month start → team id → active members
        self.trees = OrgUnit.tree(org, tree)
        self.team_paths = self.trees.current.team_paths()  # today's: what a reader's scope holds
        self._parents: dict = {}
        self._units: dict = {}
        self._hidden: dict = {}
        self._answers: dict = {}

    @classmethod
    def from_snapshots(cls, org: Organization, starts, tree: str = Tree.AS_IS) -> "Sizes":
        by_month: dict = defaultdict(dict)
        rows = TeamMonthSnapshot.objects.for_org(org).filter(period_start__in=list(starts))
        for team_id, start, active in rows.values_list("team_id", "period_start", "active_members"):
            by_month[start][team_id] = active
        return cls(org, by_month, tree)

    @classmethod
    def from_counts(cls, org: Organization, counts: dict, tree: str = Tree.AS_IS) -> "Sizes":
        """From live counts: (team id, month start) → a TeamMonth of ``compute.deployment_counts``."""
        by_month: dict = defaultdict(dict)
        for (team_id, start), tm in counts.items():
            by_month[start][team_id] = tm.active_members
        return cls(org, by_month, tree)

    def path_of(self, unit: OrgUnit, start) -> str:
        """The unit's path in the tree of that month."""
        return self.trees.at(start).paths.get(unit.pk, unit.path)

    def units(self, start) -> dict:
        """unit id (and ``protection.ROOT``) → active members of its subtree that month."""
        if start not in self._units:
            paths = self.trees.at(start).paths
            sizes: dict = defaultdict(int)
            for team_id, active in self.by_month.get(start, {}).items():
                path = paths.get(team_id) if team_id in self.team_paths else None
                for unit_id in [*(OrgUnit.path_ids(path) if path else ()), protection.ROOT]:
                    sizes[unit_id] += active
            self._units[start] = sizes
        return self._units[start]

    def hidden(self, start) -> set:
        """The unit ids (``protection.ROOT`` for the organization) hidden that month."""
        if start not in self._hidden:
            sizes = self.units(start)
            epoch = self.trees.epoch(start)
            if epoch not in self._parents:
                self._parents[epoch] = self.trees.at(start).parents()
            # Months of the same tree and sizes hide the same groups: each is worked out once.
            key = (epoch, frozenset(sizes.items()))
            if key not in self._answers:
                self._answers[key] = protection.suppressed_groups(self._parents[epoch], sizes, self.org.min_group_size)
            self._hidden[start] = self._answers[key]
        return self._hidden[start]

    def of_target(self, target: Target, start) -> int:
        units = self.units(start)
        if not target.units:
            return units.get(protection.ROOT, 0)
        return sum(units.get(u.pk, 0) for u in target.units)

    def of_paths(self, paths, start) -> list[tuple[str, int]]:
        """(path in that month's tree, active members) of the teams under ``paths`` in today's
        tree, that month."""
        month_paths = self.trees.at(start).paths
        return [
            (month_paths.get(t, self.team_paths[t]), a)
            for t, a in self.by_month.get(start, {}).items()
            if t in self.team_paths and any(self.team_paths[t].startswith(p) for p in paths)
        ]


def hidden_cells(reader: Reader, targets: list[Target], periods: list, sizes: Sizes | None) -> set:
    """The (target index, period) whose member-derived figures the reader may not see."""
    hidden: set = set()
    if not reader.protects or sizes is None:
        return hidden
    for i, target in enumerate(targets):
        if reader.sees_whole(target):
            continue
        keys = [u.pk for u in target.units] or [protection.ROOT]
        for period in periods:
            if any(k in sizes.hidden(m.first_day) for m in period.months() for k in keys):
                hidden.add((i, period))
    if reader.whole:
        hidden |= _remainders(reader, targets, periods, sizes, hidden)
    return hidden


def _remainders(reader: Reader, targets, periods, sizes: Sizes, hidden: set) -> set:
    """The figures a reader who knows some teams exactly could subtract them from, down to a small
    group: for a target not seen whole, what is left of it once the teams the reader knows and the
    targets shown beside it (inside it, worked out first) are taken out."""
    more: set = set()
    minimum = sizes.org.min_group_size
    order = sorted(range(len(targets)), key=lambda i: -min((u.depth for u in targets[i].units), default=-1))
    for period in periods:
        for m in period.months():
            start = m.first_day
            known = sizes.of_paths(reader.whole, start)
            shown: list[tuple[str, int]] = []  # (path, active) of the targets shown so far, deepest first
            for i in order:
                target = targets[i]
                unit = target.unit
                path = sizes.path_of(unit, start) if unit is not None else ("" if not target.units else None)
                if (
                    (i, period) not in hidden
                    and (i, period) not in more
                    and not reader.sees_whole(target)
                    and path is not None
                ):
                    outside = [(p, a) for p, a in known if not any(p.startswith(q) for q, _a in shown)]
                    inside = sum(a for p, a in shown + outside if p.startswith(path))
                    remainder = sizes.of_target(target, start) - inside
                    if 0 < remainder < minimum:
                        more.add((i, period))
                if (i, period) not in hidden and (i, period) not in more and path is not None:
                    shown = [(q, a) for q, a in shown if not q.startswith(path)] + [
                        (path, sizes.of_target(target, start))
                    ]
    return more


def hide(row: dict) -> dict:
    """The row without its member-derived figures."""
    for key in MEMBER_DERIVED:
        row[key] = None
    row["dimensions"] = []
    row["suppressed"] = True
    return row
