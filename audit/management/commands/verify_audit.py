from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import CheckpointError, read_latest_checkpoint, write_checkpoint
from audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain against the latest signed checkpoint; exit non-zero naming "
        "the first bad event. A chain that verifies is checkpointed again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = read_latest_checkpoint()
        except CheckpointError as exc:
            raise CommandError(f"Audit checkpoint file cannot be trusted: {exc}.") from None
        report = verify_chain(checkpoint=checkpoint)
        if not report.ok:
            raise CommandError(f"Audit chain broken: {report.error}. {report.count} events verified before it.")
        write_checkpoint()
        anchored = f" Checkpoint at event {checkpoint.seq} found." if checkpoint else " No earlier checkpoint."
        self.stdout.write(f"Audit chain intact: {report.count} events. Head: {report.head}.{anchored}")
