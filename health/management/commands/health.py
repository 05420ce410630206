"""manage.py health: every check of /healthz, one line each; exit 0 when all are ok, 1 otherwise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from health import checks
from health.views import report


class Command(BaseCommand):
    help = "Check the database, cache, keyring, static files, broker and background heartbeats."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ready", action="store_true", help="Only what /readyz checks (this process).")

    def handle(self, *args: Any, **options: Any) -> None:
        results = checks.run(checks.READY if options["ready"] else checks.HEALTH)
        self.stdout.write(report(results), ending="")
        if not all(r.ok for r in results):
            raise SystemExit(1)
