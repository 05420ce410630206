from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from audit.brake import ALERTED, open_brakes


def brake_alert(request: HttpRequest) -> dict[str, Any]:
    """``open_brakes``: how many exfiltration brakes are on, for supervisors, auditors and administrators.

    base.html shows a banner on every page while one is on. Lazy: one query, on pages that render it.
    """
    if getattr(getattr(request, "user", None), "role", "") not in ALERTED:
        return {}
    return {"open_brakes": SimpleLazyObject(lambda: open_brakes().count())}
