from typing import Any

from django.core.management.base import BaseCommand

from vault.services import keyring_status, rotate_keys


class Command(BaseCommand):
    help = "Rewrap every data key under the active key-encryption key. Safe to interrupt and run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"rewrapped {done} of {total}")

        count = rotate_keys(batch_size=options["batch_size"], progress=progress)
        status = keyring_status()
        self.stdout.write(f"Done: {count} data keys rewrapped; all live data keys are under {status.active_id}.")
        idle = [kek_id for kek_id, n in status.wrapped_by.items() if n == 0 and kek_id != status.active_id]
        if idle:
            self.stdout.write(f"No data key needs {', '.join(idle)} any more: it may be removed from the keyring.")
