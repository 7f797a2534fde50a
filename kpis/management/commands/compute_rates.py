"""``compute_rates [--org SLUG] [--from YYYY-MM --to YYYY-MM]``: recompute the snapshots now, in
this process, with a progress bar: what the Celery jobs do, for an operator (SPEC §5)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cxtracker.months import Month
from cxtracker.tenancy.models import Organization
from kpis.engine.marks import dirty_marks, history_months, marks_clear
from kpis.engine.recompute import recomputation_lock, snapshots_recompute


def _month(value: str, option: str) -> Month:
    try:
        return Month.parse(value)
    except ValueError:
        raise CommandError(f"{option}: give a month as YYYY-MM, not {value!r}.") from None


class Command(BaseCommand):
    help = "Recompute the rate and KPI snapshots of one organization (or all) for a range of months."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="The organization's slug (default: every organization).")
        parser.add_argument("--from", dest="first", help="First month, YYYY-MM (default: the first with data).")
        parser.add_argument("--to", dest="last", help="Last month, YYYY-MM (default: the current month).")

    def handle(self, *args, org=None, first=None, last=None, **options):
        orgs = Organization.objects.order_by("slug")
        if org:
            orgs = orgs.filter(slug=org)
            if not orgs.exists():
                raise CommandError(f"No organization with the slug {org!r}.")
        first = _month(first, "--from") if first else None
        last = _month(last, "--to") if last else None
        if first and last and last < first:
            raise CommandError("--to is before --from.")
        plan = []
        for organization in orgs:
            months = history_months(org=organization)
            start = first or months[0]
            end = last or months[-1]
            plan.append((organization, Month.range(start, end)))
        total = sum(len(months) for _o, months in plan)
        team_months = 0
        with tqdm(total=total, unit="month", disable=options["verbosity"] == 0, file=self.stderr) as bar:
            for organization, months in plan:
                bar.set_description(organization.slug)
                # One recomputation of the organization at a time: a sweep's waits for this one.
                with recomputation_lock(organization.pk):
                    # The marks read before computing: what is written meanwhile stays marked.
                    starts = {m.first_day for m in months}
                    marks = [m for m in dirty_marks(org=organization) if m[1] in starts]
                    for month in months:
                        team_months += snapshots_recompute(org=organization, months=[month])
                        bar.update(1)
                    marks_clear(org=organization, marks=marks)
        self.stdout.write(f"{team_months} team-months recomputed over {total} months.")
