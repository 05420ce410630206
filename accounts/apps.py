from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import Role


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("accounts:people", _("People"), roles={Role.ADMIN}),
        # The audit app's page: audit sits below accounts and cannot name roles itself.
        NavEntry("audit:event_list", _("Audit log"), roles={Role.AUDITOR}),
        NavEntry("accounts:brakes", _("Brakes"), roles={Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}),
    ]
    home = {Role.ADMIN: "accounts:people", Role.AUDITOR: "audit:event_list"}

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects the audit receivers)
        from config.widgets import use_text_boxes_for_numbers

        # Before any form class is made (forms are imported by views, after the apps are ready).
        use_text_boxes_for_numbers()
