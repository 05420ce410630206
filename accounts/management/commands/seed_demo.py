from __future__ import annotations

import json
import secrets
import time
from typing import Any, Protocol

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.roles import GRANTABLE_ROLES


class DemoSeeder(Protocol):
    """What an app names in its AppConfig's ``demo_seeder`` (a dotted path) to add demo data of its own."""

    def add_arguments(self, parser: CommandParser) -> None: ...

    def check(self, options: dict[str, Any]) -> None:
        """Raise CommandError for options it cannot honour; runs before anything is written."""

    def seed(self, *, users: dict[str, User], options: dict[str, Any], stdout: OutputWrapper) -> None:
        """Add the app's demo data, given the demo user of each role (keyed by role)."""


def demo_seeders() -> list[DemoSeeder]:
    """One seeder per installed app that declares one, in INSTALLED_APPS order."""
    paths = [getattr(config, "demo_seeder", "") for config in apps.get_app_configs()]
    return [import_string(path)() for path in paths if path]


def ensure_user(username: str, *, role: str, password: str, totp_secret: str) -> User:
    """The active account ``username`` with this role, password and TOTP secret; run twice, changes nothing.

    For demo and benchmark data only (seed_demo, bench/load.py): a real account is invited.
    """
    user, _created = User.objects.get_or_create(username=username, defaults={"role": role})
    user.role, user.is_active = role, True
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None or decrypt(totp.data["secret"]) != totp_secret:
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
        TOTP.activate(user, totp_secret)
    return user


class Command(BaseCommand):
    help = (
        "Create one demo user per role with a TOTP authenticator (debug only); write var/demo-credentials.json. "
        "Installed apps add demo data of their own with options listed below (e.g. --cases N)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", metavar="ROLE", help="only print the current TOTP code of that role's demo user")
        for seeder in demo_seeders():
            seeder.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords and runs only with DJANGO_DEBUG=1.")
        seeders = demo_seeders()
        for seeder in seeders:
            seeder.check(options)
        path = settings.VAR_DIR / "demo-credentials.json"
        if options["code"]:
            self._print_code(path, options["code"])
            return
        # Reuse what the file already holds so that running twice changes nothing.
        known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
        credentials = {}
        users: dict[str, User] = {}
        with transaction.atomic():
            for role in GRANTABLE_ROLES:
                entry = known.get(role.value) or {}
                username = entry.get("username") or role.value
                password = entry.get("password") or f"demo-{secrets.token_urlsafe(12)}"
                secret = entry.get("totp_secret") or generate_totp_secret()
                user = ensure_user(username, role=role.value, password=password, totp_secret=secret)
                credentials[role.value] = {"username": username, "password": password, "totp_secret": secret}
                users[role.value] = user
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials, indent=2) + "\n")
        path.chmod(0o600)
        self.stdout.write(f"Demo users ready, one per role. Credentials: {path}")
        for seeder in seeders:
            seeder.seed(users=users, options=options, stdout=self.stdout)

    def _print_code(self, path: Any, role: str) -> None:
        if not path.exists():
            raise CommandError("No demo credentials yet: run seed_demo first.")
        entry = json.loads(path.read_text()).get(role)
        if entry is None:
            raise CommandError(f"No demo user for role {role!r}.")
        counter = int(time.time()) // 30
        self.stdout.write(format_hotp_value(hotp_value(entry["totp_secret"], counter)))
