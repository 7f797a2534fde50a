"""``readiness``: the check of ``/health/ready/`` from the command line, for a container's health
check (beat's, in docker-compose.yml) where the site's host name is not at hand. Prints the JSON
answer; exits 1 when not ready."""

import json
import sys

from django.core.management.base import BaseCommand

from cxtracker.health import readiness


class Command(BaseCommand):
    help = "Check readiness: database, Redis, a worker's heartbeat, how stale the figures are."

    def handle(self, *args, **options):
        body = readiness()
        self.stdout.write(json.dumps(body))
        if body["reasons"]:
            sys.exit(1)
