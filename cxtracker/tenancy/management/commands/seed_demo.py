import importlib

from django.core.management.base import BaseCommand

from cxtracker.tenancy.demo import seed_organization

# Each app adds its part of the demo history in its own ``demo.seed(org)``, in this order.
DEMO_APPS = ["kpis", "experience", "deployment", "dashboards"]


class Command(BaseCommand):
    help = "Create (or complete) the demo organization with a year of history. Safe to run again."

    def handle(self, *args, **options):
        org, credentials = seed_organization()
        self.stdout.write(f"Organization {org.name} ({org.slug}): org tree and members ready.")
        for app in DEMO_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            module.seed(org)
            self.stdout.write(f"  {app}: demo data ready.")
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo organization ready: http://127.0.0.1:8000/o/{org.slug}/"))
        self.stdout.write("Log in with:")
        width = max(len(email) for email, _role, _pw in credentials)
        for email, role, password in credentials:
            self.stdout.write(f"  {email.ljust(width)}  {password}  ({role})")
