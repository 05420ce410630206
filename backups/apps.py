from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import Role


class BackupsConfig(AppConfig):
    name = "backups"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [NavEntry("backups:index", _("Backups"), roles={Role.ADMIN})]

    def ready(self) -> None:
        from backups import checks  # noqa: F401  (registers the deploy check)
