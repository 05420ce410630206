import resource
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from backups import services
from backups.models import Backup


class Command(BaseCommand):
    help = "Back up the database and keyring, encrypted to HAVEN_BACKUP_RECIPIENTS, with a signed manifest."
    # The system checks import every URLconf and view (the reports' libraries among them): seconds
    # and tens of MB a backup has no use for. Settings are still checked at start-up.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--nightly", action="store_true", help="also verify and prune, as beat does")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = services.back_up_and_verify() if options["nightly"] else services.create_backup()
        except DatabaseError as exc:  # before the row could be written: nothing was backed up
            raise CommandError(
                f"Backup failed: cannot reach the database ({type(exc).__name__}); nothing was backed up"
            ) from None
        if backup.status != Backup.Status.OK:
            raise CommandError(f"Backup failed: {backup.error}")
        seconds = backup.duration.total_seconds() if backup.duration else 0.0
        self.stdout.write(f"Backup {backup.name}: {backup.size} bytes in {seconds:.1f} s, in {services.backup_dir()}")
        if options["verbosity"] >= 2:  # for bench/backups.py (the stream process reports its own)
            # Not RUSAGE_CHILDREN: on Linux a child's ru_maxrss counts this process it was forked from.
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(f"peak memory: Django process {own:.1f} MB")
