from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from accounts.brake import ALERTED, open_brakes
from accounts.navigation import nav_entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_items``: (url, label) pairs for base.html, from the apps' NavEntry declarations."""
    user = getattr(request, "user", None)
    role: str = getattr(user, "role", "")
    entries = nav_entries(role) if role else []
    # Roles with pages of their own start from those; the others from their home page.
    items: list[tuple[str, str | Promise]] = [(reverse("accounts:home"), _("Home"))] if role and not entries else []
    for entry in entries:
        waiting = entry.count(user) if entry.count else 0
        label = _("%(label)s (%(count)s open)") % {"label": entry.label, "count": waiting} if waiting else entry.label
        items.append((reverse(entry.url_name), label))
    # The idle warning (base.html, haven.js) counts down from what the session's stored expiry leaves.
    session = getattr(request, "session", None)
    left = getattr(session, "idle_seconds_left", None)
    return {"nav_items": items, "session_idle_seconds": left() if left else settings.SESSION_COOKIE_AGE}


def brake_alert(request: HttpRequest) -> dict[str, Any]:
    """``open_brakes``: how many exfiltration brakes are on, for supervisors, auditors and administrators.

    base.html shows a banner on every page while one is on. Lazy: one query, on pages that render it.
    """
    if getattr(getattr(request, "user", None), "role", "") not in ALERTED:
        return {}
    return {"open_brakes": SimpleLazyObject(lambda: open_brakes().count())}
