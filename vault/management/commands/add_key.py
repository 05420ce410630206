from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vault.keyring import KeyringError, add_key


class Command(BaseCommand):
    help = "Add a new key-encryption key to the keyring and make it the active one."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            new_id = add_key(settings.KEYRING_FILE)
        except KeyringError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Key {new_id} added to {settings.KEYRING_FILE} and active for new data keys. Next: restart web, "
            "worker and beat so they load it, back the keyring up, then run rotate_keys."
        )
