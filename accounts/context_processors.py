from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User

NAVIGATION: dict[str, list[tuple[str, str | Promise]]] = {
    User.Role.ADMIN: [("accounts:people", _("People")), ("defectors:shred_requests", _("Shred requests"))],
    User.Role.SUPERVISOR: [
        ("defectors:case_list", _("Cases")),
        ("defectors:intake_start", _("New intake")),
        ("defectors:tasks", _("Tasks")),
    ],
    User.Role.CASEWORKER: [("defectors:case_list", _("My cases")), ("defectors:intake_start", _("New intake"))],
    User.Role.AUDITOR: [("audit:event_list", _("Audit log"))],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role: str = getattr(user, "role", "")
    # Roles with pages of their own start from those; the others from their home page.
    items: list[tuple[str, str | Promise]] = (
        [(reverse("accounts:home"), _("Home"))] if role and role not in NAVIGATION else []
    )
    items += [(reverse(name), label) for name, label in NAVIGATION.get(role, [])]
    return {"nav_items": items}
