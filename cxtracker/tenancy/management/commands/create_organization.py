from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cxtracker.tenancy.services import organization_create


class Command(BaseCommand):
    help = "Create an organization (with its default metrics) and, optionally, its first administrator."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the organization's slug, used in its URLs: /o/<slug>/")
        parser.add_argument("name")
        parser.add_argument("--timezone", default="Europe/Paris")
        parser.add_argument("--language", default="fr", choices=[code for code, _name in settings.LANGUAGES])
        parser.add_argument("--admin-email", help="the first administrator (created if needed)")

    def handle(self, *args, slug, name, timezone, language, admin_email, **options):
        try:
            org = organization_create(
                slug=slug, name=name, timezone=timezone, language=language, admin_email=admin_email
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Created organization {org.slug} ({org.name}): /o/{org.slug}/"))
        if admin_email:
            self.stdout.write(
                f"{admin_email} administers it; without a password yet, they choose one with "
                "“Forgot your password?” on the log-in page."
            )
