from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import CASE_ROLES, Role


class DefectorsConfig(AppConfig):
    name = "defectors"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("defectors:case_list", _("Cases"), roles={Role.SUPERVISOR}),
        NavEntry("defectors:case_list", _("My cases"), roles={Role.CASEWORKER}),
        NavEntry("defectors:intake_start", _("New intake"), roles=CASE_ROLES),
        NavEntry("defectors:tasks", _("Tasks"), roles={Role.SUPERVISOR}),
        NavEntry("defectors:shred_requests", _("Shred requests"), roles={Role.ADMIN}),
    ]
    demo_seeder = "defectors.demo_seed.CaseSeeder"  # seed_demo --cases
