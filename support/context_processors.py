from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def notifications(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications``: the header's count, for people who work on cases.

    Lazy: one query, only on pages that render the header.
    """
    user = getattr(request, "user", None)
    if not getattr(user, "works_on_cases", False):
        return {}

    def count() -> int:
        return user.notifications.filter(read_at__isnull=True).count()  # type: ignore[union-attr]

    return {"unread_notifications": SimpleLazyObject(count)}
