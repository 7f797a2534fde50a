"""What the write services below the engine tell it, without importing it.

Dependencies point one way (tenancy ← experience ← deployment ← kpis): a service that changes data
the figures are computed from says so here, in its own transaction, and the rate and KPI engine
(``kpis.engine.marks``, connected when the kpis app is ready) writes the marks in that same
transaction and schedules the recomputation once it commits. A signal is synchronous: the marks
exist exactly when the data does.
"""

import datetime
from collections.abc import Iterable

from django.dispatch import Signal

from .models import Organization, OrgUnit

# Keyword arguments: org, days (None: the whole history), teams (None: every team), cascade.
figures_changed = Signal()

# Keyword arguments: org. The apps above give a new organization what it starts with.
organization_created = Signal()


def figures_change(
    *,
    org: Organization,
    days: Iterable[datetime.date | datetime.datetime],
    teams: Iterable[OrgUnit | int] | None = None,
    cascade: bool = False,
) -> None:
    """The figures of the months holding ``days`` change, for ``teams`` (None: every team); with
    ``cascade`` every later month's too (a rating counts until a newer one, a member's activity
    range runs on)."""
    figures_changed.send(sender=Organization, org=org, days=list(days), teams=teams, cascade=cascade)


def figures_change_all(*, org: Organization) -> None:
    """Every month of the organization's history changes, for every team (its settings, its tree's
    teams, the experience model of all its months)."""
    figures_changed.send(sender=Organization, org=org, days=None, teams=None, cascade=False)
