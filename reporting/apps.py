from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import Role


class ReportingConfig(AppConfig):
    """Donor reports: aggregate snapshots with disclosure control (README, "Donor reports")."""

    name = "reporting"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("reporting:snapshots", _("Reports"), roles={Role.SUPERVISOR, Role.ADMIN}),
        NavEntry("reporting:published", _("Reports"), roles={Role.DONOR}),
    ]
    home = {Role.DONOR: "reporting:published"}
