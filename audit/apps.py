from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import Role


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("audit:event_list", _("Audit log"), roles={Role.AUDITOR}),
        NavEntry("audit:brakes", _("Brakes"), roles={Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}),
    ]
    home = {Role.AUDITOR: "audit:event_list"}
