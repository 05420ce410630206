from __future__ import annotations

import json
import secrets
import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from defectors import demo

EXTRA_CASEWORKERS = 2  # with --cases: caseworker2, caseworker3 (no password, not in the credentials file)


class Command(BaseCommand):
    help = (
        "Create one demo user per role with a TOTP authenticator (debug only); write var/demo-credentials.json. "
        "With --cases N, also top the synthetic demo cases up to N (fake people, fixed seed, assigned round-robin "
        "to the demo caseworker and two extra ones): only the missing ones are created, so running it twice "
        "with the same N creates nothing the second time, and an interrupted run resumes."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--code", metavar="ROLE", help="only print the current TOTP code of that role's demo user")
        parser.add_argument(
            "--cases",
            type=int,
            metavar="N",
            help="make sure N synthetic demo cases exist (tops up; 100,000 take a few minutes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords and runs only with DJANGO_DEBUG=1.")
        if options.get("cases") is not None and not 0 <= options["cases"] <= demo.MAX_CASES:
            raise CommandError(f"--cases takes a number from 0 to {demo.MAX_CASES:,}.")
        path = settings.VAR_DIR / "demo-credentials.json"
        if options["code"]:
            self._print_code(path, options["code"])
            return
        # Reuse what the file already holds so that running twice changes nothing.
        known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
        credentials = {}
        users: dict[str, User] = {}
        with transaction.atomic():
            for role in User.Role:
                entry = known.get(role.value) or {}
                username = entry.get("username") or role.value
                password = entry.get("password") or f"demo-{secrets.token_urlsafe(12)}"
                secret = entry.get("totp_secret") or generate_totp_secret()
                user, _created = User.objects.get_or_create(username=username, defaults={"role": role.value})
                user.role = role.value
                user.is_active = True
                if not user.check_password(password):
                    user.set_password(password)
                user.save()
                totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
                if totp is None or decrypt(totp.data["secret"]) != secret:
                    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
                    TOTP.activate(user, secret)
                credentials[role.value] = {"username": username, "password": password, "totp_secret": secret}
                users[role.value] = user
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials, indent=2) + "\n")
        path.chmod(0o600)
        self.stdout.write(f"Demo users ready, one per role. Credentials: {path}")
        if options.get("cases") is not None:
            self._seed_cases(options["cases"], users[User.Role.CASEWORKER])

    def _seed_cases(self, total: int, caseworker: User) -> None:
        caseworkers = [caseworker]
        for n in range(2, 2 + EXTRA_CASEWORKERS):
            extra, created = User.objects.get_or_create(
                username=f"{caseworker.username}{n}", defaults={"role": User.Role.CASEWORKER}
            )
            if created:
                extra.set_unusable_password()  # assignments only: nobody signs in as them
                extra.save(update_fields=["password"])
            if extra.role == User.Role.CASEWORKER:
                caseworkers.append(extra)
        started = time.monotonic()
        step = 10_000

        def progress(done: int, todo: int) -> None:
            if done == todo or done // step != (done - demo.BATCH_SIZE) // step:
                self.stdout.write(f"  {done:,} of {todo:,} cases ({time.monotonic() - started:.1f} s)")

        existing = demo.seeded(caseworkers).count()
        if existing >= total:
            self.stdout.write(f"{existing:,} demo cases already there: none created.")
            return
        self.stdout.write(f"Creating {total - existing:,} demo cases ({existing:,} already there)...")
        made = demo.seed(total, caseworkers, progress=progress)
        self.stdout.write(f"{total:,} demo cases ready: {made:,} created in {time.monotonic() - started:.1f} s.")

    def _print_code(self, path: Any, role: str) -> None:
        if not path.exists():
            raise CommandError("No demo credentials yet: run seed_demo first.")
        entry = json.loads(path.read_text()).get(role)
        if entry is None:
            raise CommandError(f"No demo user for role {role!r}.")
        counter = int(time.time()) // 30
        self.stdout.write(format_hotp_value(hotp_value(entry["totp_secret"], counter)))
