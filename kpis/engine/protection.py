"""Protection of the people observed (SPEC §4): which groups' member-derived figures are hidden from
the roles above the managers. No Django here.

A group (a team, a business unit, a region, the organization) with fewer active members than the
organization's ``min_group_size`` is hidden (primary suppression). Figures add up along the tree (a
unit's sums are its children's), so hiding one child alone would not protect it: its value is its
parent's minus its siblings'. Complementary suppression closes those equations:

- under any parent, never exactly one hidden child: hide the smallest other child too;
- a hidden unit whose children are all shown would be their sum: hide its smallest child too.

Both rules are applied until nothing changes. Groups with no active member have nothing to hide
and nothing to reveal; they are left as they are.
"""

from collections.abc import Hashable, Mapping

ROOT = None  # the organization: the parent of the regions


def suppressed_groups(
    parents: Mapping[Hashable, Hashable | None], sizes: Mapping[Hashable, int], minimum: int
) -> set[Hashable]:
    """The groups to hide. ``parents``: unit → parent unit (``ROOT`` for the regions); ``sizes``:
    active members of every unit and of ``ROOT``; ``minimum``: the organization's min_group_size."""
    children: dict = {}
    for unit, parent in parents.items():
        children.setdefault(parent, []).append(unit)
    nodes = [ROOT, *parents]

    def size(node) -> int:
        return sizes.get(node, 0)

    hidden = {node for node in nodes if 0 < size(node) < minimum}
    changed = True
    while changed:
        changed = False
        for parent in nodes:
            kids = [k for k in children.get(parent, []) if size(k) > 0]
            hidden_kids = [k for k in kids if k in hidden]
            shown_kids = sorted((k for k in kids if k not in hidden), key=lambda k: (size(k), str(k)))
            if len(hidden_kids) == 1 and shown_kids:
                hidden.add(shown_kids[0])
                changed = True
            if parent in hidden and kids and not hidden_kids:
                hidden.add(shown_kids[0])
                changed = True
    return hidden
