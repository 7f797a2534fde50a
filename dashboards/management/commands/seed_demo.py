"""``seed_demo``: the demo organization, every app's part of it. It lives in the top layer, the one
that may import every app."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from cxtracker.tenancy.demo import DEMO_SLUG, seed_organization
from cxtracker.tenancy.models import Member, Organization, OrgUnit
from deployment.models import Animation, Observation, Rating
from experience.models import ExperienceModel
from kpis.engine.marks import history_months, periods_mark_all, periods_mark_missing
from kpis.engine.recompute import recompute_org
from kpis.models import MetricValue, SurveyResponse

# Each app adds its part of the demo history in its own ``demo.seed(org)``, in this order: the
# customers' figures (kpis) follow the field history (deployment), so they come after it.
DEMO_APPS = ["experience", "deployment", "kpis"]
# Then, once the figures are computed, the apps whose demo is chosen from them: the action plans
# go where the plan's page finds the effect the story tells.
# The connectors log deliveries of responses the demo has: they change no figure.
DEMO_APPS_ON_FIGURES = ["steering", "connectors"]


class Command(BaseCommand):
    help = "Create (or complete) the demo organization with a year of history. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--teams-per-unit",
            type=int,
            default=None,
            metavar="N",
            help="At most N teams per business unit (a smaller demo, e.g. for tests).",
        )

    def handle(self, *args, **options):
        teams_per_unit = options["teams_per_unit"]
        if teams_per_unit is not None and teams_per_unit < 1:
            self.stderr.write("--teams-per-unit must be at least 1.")
            return
        before = _fingerprint(DEMO_SLUG)
        org, credentials = seed_organization(teams_per_unit=teams_per_unit)
        self.stdout.write(f"Organization {org.name} ({org.slug}): org tree and members ready.")
        self._seed(org, DEMO_APPS)
        # The apps wrote with bulk_create, unmarked: mark the whole history once (when something
        # was written; else only the months never computed), then compute the marked months now
        # (kpis.engine.recompute.recompute_org), so that the demo opens with its
        # figures. In the embedded default the job the mark schedules has already run eagerly at
        # commit and this finds nothing left; with a broker, the queued job will.
        with transaction.atomic():
            if _fingerprint(DEMO_SLUG) != before:
                periods_mark_all(org=org)
            else:
                periods_mark_missing(org=org)
        recompute_org(org=org)
        months = history_months(org=org)
        self.stdout.write(f"  rates and KPIs: computed from {months[0]} to {months[-1]}.")
        self._seed(org, DEMO_APPS_ON_FIGURES)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo organization ready: http://127.0.0.1:8000/o/{org.slug}/"))
        self.stdout.write("Log in with:")
        width = max(len(email) for email, _role, _pw in credentials)
        for email, role, password in credentials:
            self.stdout.write(f"  {email.ljust(width)}  {password}  ({role})")

    def _seed(self, org, apps) -> None:
        for app in apps:
            importlib.import_module(f"{app}.demo").seed(org)
            self.stdout.write(f"  {app}: demo data ready.")


def _fingerprint(slug: str) -> tuple[int, ...] | None:
    """How many rows of each kind the demo organization has: a second run that adds nothing need
    not recompute anything."""
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        return None
    models = (OrgUnit, Member, ExperienceModel, Observation, Rating, Animation, SurveyResponse, MetricValue)
    return tuple(model.objects.for_org(org).count() for model in models)
