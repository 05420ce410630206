from typing import Any

from django.core.management.base import BaseCommand

from vault.services import rebuild_blind_indexes


class Command(BaseCommand):
    help = (
        "Recompute every blind-index tag: after changing HAVEN_BLIND_INDEX_BITS, or after an ICU or Python "
        "upgrade that may change how names normalise. Safe to interrupt and run again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(label: str, done: int) -> None:
            self.stdout.write(f"{label}: {done} rows")

        total = rebuild_blind_indexes(batch_size=options["batch_size"], progress=progress)
        self.stdout.write(f"Done: tags recomputed for {total} rows.")
