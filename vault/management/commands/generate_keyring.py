from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vault.keyring import KeyringError, generate_keyring


class Command(BaseCommand):
    help = "Write a new keyring file (key-encryption key, blind-index key, audit key); never overwrites one."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="where to write it, e.g. /etc/haven/keyring.json")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            generate_keyring(options["path"])
        except KeyringError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"New keyring written to {options['path']} (mode 0600). Back it up now, apart from the database: "
            "without it no encrypted value can ever be read."
        )
