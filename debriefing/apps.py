from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import Role


class DebriefingConfig(AppConfig):
    name = "debriefing"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("debriefing:home", _("Debriefs"), roles={Role.SUPERVISOR, Role.DEBRIEFER}),
        NavEntry("debriefing:templates", _("Interview templates"), roles={Role.SUPERVISOR}),
    ]
    home = {Role.DEBRIEFER: "debriefing:home"}
