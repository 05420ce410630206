from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import GRANTABLE_ROLES
from accounts.services import invite_from_server
from accounts.views import invitation_link_for
from audit.context import request_id_scope


class Command(BaseCommand):
    help = (
        "Print a single-use invitation link (the first administrator, or recovering a locked-out account). "
        "Its role takes effect without a second administrator: the recovery path, audited as such."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", default=User.Role.ADMIN, choices=[role.value for role in GRANTABLE_ROLES])
        parser.add_argument(
            "--base-url",
            help="the site's address, e.g. https://haven.example.org (default: https:// and the first allowed host)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["base_url"] or f"https://{settings.ALLOWED_HOSTS[0]}"
        if not base.startswith(("https://", "http://")):
            raise CommandError("--base-url must start with https://")
        with request_id_scope("command-line"):
            invitation, token = invite_from_server(username=options["username"], role=options["role"])
        link = invitation_link_for(base, token)
        until = f"{invitation.expires_at:%Y-%m-%d %H:%M %Z}"
        self.stdout.write(f"Invitation for {invitation.username} ({invitation.role}), valid until {until}.")
        self.stdout.write(f"Give this link to the person over a safe channel; it works once:\n{link}")
