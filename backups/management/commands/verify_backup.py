from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backups import manifest, services


class Command(BaseCommand):
    help = "Check backups' signatures, checksums and age headers, without any private key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "path", nargs="*", help="manifests or backup files (default: every backup in HAVEN_BACKUP_DIR)"
        )
        parser.add_argument("--public-key", default="", help="the trustees' copy of the signing public key (base64)")

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(p) for p in options["path"]] or sorted(services.backup_dir().glob(f"*{manifest.SUFFIX}"))
        if not paths:
            raise CommandError("No backups to verify.")
        failed = 0
        for path in paths:
            result = services.verify_backup(path=path, public_key=options["public_key"])
            if result.ok:
                self.stdout.write(f"OK {result.manifest_path.name}")
            else:
                failed += 1
                for problem in result.problems:
                    self.stderr.write(f"FAILED {result.manifest_path.name}: {problem}")
        if failed:
            raise CommandError(f"{failed} of {len(paths)} backups failed verification.")
