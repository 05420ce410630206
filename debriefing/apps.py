from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import Role


def returned_debriefs(user: Any) -> int:
    """A debriefer's debriefs returned for changes, for the Debriefs link (one query; none for others)."""
    if getattr(user, "role", None) != Role.DEBRIEFER:
        return 0
    from debriefing.models import DebriefSession  # models are not ready when apps.py is imported

    return DebriefSession.objects.filter(debriefer=user, status=DebriefSession.Status.RETURNED).count()


class DebriefingConfig(AppConfig):
    name = "debriefing"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("debriefing:home", _("Debriefs"), roles={Role.SUPERVISOR, Role.DEBRIEFER}, count=returned_debriefs),
        NavEntry("debriefing:templates", _("Interview templates"), roles={Role.SUPERVISOR}),
    ]
    home = {Role.DEBRIEFER: "debriefing:home"}
