from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.services import log_event
from vault.services import shred

# Here rather than in vault: the vault imports nothing of the audit trail, and a
# shred that cannot be recorded must not happen (one transaction for both).


class Command(BaseCommand):
    help = "Crypto-shred one record: destroy its data key so its encrypted data can never be read again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("owner", help="app_label.Model:primary-key, e.g. defectors.Case:0f6c…")
        parser.add_argument("--reason", default="", help="written to the audit trail")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        label, _, pk = options["owner"].partition(":")
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            raise CommandError(f"No such model: {label!r} (write app_label.Model:primary-key)") from None
        try:
            owner = model._base_manager.get(pk=pk)
        except (model.DoesNotExist, ValueError, ValidationError):
            raise CommandError(f"No such record: {options['owner']}") from None
        if not options["yes"]:
            answer = input(f"Shred {options['owner']}? This cannot be undone. Type the word shred to go on: ")
            if answer.strip() != "shred":
                raise CommandError("Not shredded.")
        try:
            with transaction.atomic():
                if shred(owner=owner):
                    log_event(
                        action="vault.datakey.shredded",
                        object_ref=getattr(owner, "code", "") or f"{model._meta.label}:{owner.pk}",
                        reason=options["reason"] or "shred command",
                    )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Shredded {options['owner']}: its data key is destroyed.")
