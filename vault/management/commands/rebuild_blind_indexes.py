from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vault.services import rebuild_blind_indexes


class Command(BaseCommand):
    help = (
        "Recompute every blind-index tag: after an upgrade that changes how names and identifiers are "
        "made canonical (vault/normalise.py, Python's or ICU's Unicode data), or after changing "
        "HAVEN_BLIND_INDEX_BITS. Prints its progress; continue an interrupted run with --resume."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--resume", metavar="LABEL:PK", default="", help="continue after this row, as printed by a previous run"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        resume = None
        if options["resume"]:
            label, _sep, pk = options["resume"].partition(":")
            if not pk:
                raise CommandError("--resume takes LABEL:PK, as printed by a previous run")
            resume = (label, pk)

        def progress(label: str, done: int, last: str) -> None:
            self.stdout.write(f"{label}: {done} rows (to continue from here: --resume {label}:{last})")

        try:
            total = rebuild_blind_indexes(batch_size=options["batch_size"], progress=progress, resume_after=resume)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Done: tags recomputed for {total} rows.")
