from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import CASE_ROLES


class SupportConfig(AppConfig):
    name = "support"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("support:dashboard", _("Dashboard"), roles=CASE_ROLES),
        NavEntry("support:referrals", _("Referrals"), roles=CASE_ROLES),
        NavEntry("support:providers", _("Providers"), roles=CASE_ROLES),
        NavEntry("support:shelters", _("Shelters"), roles=CASE_ROLES),
    ]
    # The caseworker's and supervisor's home is the dashboard (defectors gives up its claim).
    home = {role: "support:dashboard" for role in CASE_ROLES}
    demo_seeder = "support.demo_seed.SupportSeeder"  # seed_demo --support
