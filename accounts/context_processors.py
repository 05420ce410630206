from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User

NAVIGATION: dict[str, list[tuple[str, str | Promise]]] = {
    User.Role.ADMIN: [("accounts:people", _("People"))],
    User.Role.AUDITOR: [("audit:event_list", _("Audit log"))],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role: str = getattr(user, "role", "")
    items: list[tuple[str, str | Promise]] = [(reverse("accounts:home"), _("Home"))] if role else []
    items += [(reverse(name), label) for name, label in NAVIGATION.get(role, [])]
    return {"nav_items": items}
