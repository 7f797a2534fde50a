from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cxtracker.tenancy.models import ApiKeyScope, Organization
from cxtracker.tenancy.services import api_key_create


def _scopes(value: str) -> list[str]:
    scopes = [s.strip() for s in value.split(",") if s.strip()]
    unknown = set(scopes) - set(ApiKeyScope.values)
    if unknown or not scopes:
        raise CommandError(f"--scopes takes a comma-separated list of: {', '.join(ApiKeyScope.values)}")
    return scopes


class Command(BaseCommand):
    help = "Create an API key for an organization. The key is printed once, on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the organization's slug")
        parser.add_argument("--name", required=True, help="what the key is for, unique in the organization")
        parser.add_argument("--scopes", default="read,write", help="comma-separated: read, write (default both)")

    def handle(self, *args, slug, name, scopes, **options):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organization with the slug {slug!r}.")
        try:
            key, raw_key = api_key_create(org=org, name=name, scopes=_scopes(scopes))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"API key {key.name!r} ({', '.join(key.scopes)}) created for {org.slug}. "
            "Store it now: it cannot be shown again."
        )
        self.stdout.write(raw_key)
