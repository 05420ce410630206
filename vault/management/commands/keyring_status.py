import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from vault.services import keyring_status


class Command(BaseCommand):
    help = "Show which key-encryption key wraps how many data keys."

    def handle(self, *args: Any, **options: Any) -> None:
        status = keyring_status()
        self.stdout.write(f"Keyring: {settings.KEYRING_FILE}")
        mode = os.stat(settings.KEYRING_FILE).st_mode & 0o777
        if mode & 0o077:
            self.stdout.write(f"  Warning: mode {mode:o}; only the service's user may read the keyring (chmod 600).")
        for kek_id, count in status.wrapped_by.items():
            active = " (active)" if kek_id == status.active_id else ""
            self.stdout.write(f"  {kek_id}{active}: wraps {count} data keys")
        self.stdout.write(f"Shredded data keys: {status.shredded}")
        self.stdout.write(
            f"Signing key (public, Ed25519; give it to the backup trustees): {settings.KEYRING.signing_public_key}"
        )
        if status.missing:
            raise CommandError(
                f"Data keys are wrapped by {', '.join(status.missing)}, which the keyring does not hold: "
                "their data cannot be read. Restore that key from the keyring backup."
            )
