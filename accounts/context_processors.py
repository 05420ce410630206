from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.navigation import nav_entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_items``: (url, label) pairs for base.html, from the apps' NavEntry declarations."""
    user = getattr(request, "user", None)
    role: str = getattr(user, "role", "")
    entries = nav_entries(role) if role else []
    # Roles with pages of their own start from those; the others from their home page.
    items: list[tuple[str, str | Promise]] = [(reverse("accounts:home"), _("Home"))] if role and not entries else []
    items += [(reverse(entry.url_name), entry.label) for entry in entries]
    return {"nav_items": items}
