from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backups import services
from backups.streams import BackupError


class Command(BaseCommand):
    help = "Verify a backup, decrypt it into an empty database, re-apply shreds and check what was restored."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", help="the backup's manifest (or one of its files)")
        parser.add_argument("--identity", required=True, help="a trustee's age identity file (age-keygen)")
        parser.add_argument(
            "--database", required=True, help="the empty target database: postgres://... or sqlite:///..."
        )
        parser.add_argument(
            "--shred-list", action="append", default=[], help="a newer signed manifest whose shred list to apply"
        )
        parser.add_argument("--public-key", default="", help="the trustees' copy of the signing public key (base64)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = services.restore_backup(
                path=Path(options["backup"]),
                identity_file=Path(options["identity"]),
                database_url=options["database"],
                shred_lists=[Path(p) for p in options["shred_list"]],
                public_key=options["public_key"],
                say=self.stdout.write,
            )
        except BackupError as exc:
            raise CommandError(f"Restore failed: {exc}") from None
        checks = report.checks
        chain = checks["audit_error"] or "intact"
        checkpoint = "matches" if checks["checkpoint_ok"] else "DOES NOT MATCH"
        self.stdout.write(f"Restored {report.name}.")
        self.stdout.write(
            f"  shred lists merged from {report.shred_sources} manifests; "
            f"keys shredded now: {checks['shreds_reapplied']}"
        )
        self.stdout.write(f"  audit chain: {checks['audit_events']} events, {chain}; checkpoint {checkpoint}")
        self.stdout.write(
            f"  sample: {checks['keys_opened']} data keys and {checks['records_opened']} records opened, "
            f"{checks['keys_failed']} keys failed, {checks['records_damaged']} records damaged, "
            f"{checks['records_shredded']} shredded"
        )
        self.stdout.write(f"  pending migrations: {', '.join(checks['pending_migrations']) or 'none'}")
        total = sum(report.timings.values())
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.timings.items())
        self.stdout.write(f"  time: {total:.1f} s ({steps})")
        if not report.ok:
            raise CommandError("The restored database did not pass its checks (see above).")
