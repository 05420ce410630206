from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.navigation import NavEntry
from accounts.roles import CASE_ROLES, Role


def open_tasks(user: Any) -> int:
    """The supervisor's open duplicate checks and withdrawal decisions, for the Tasks link (one query)."""
    from defectors.models import DuplicateAlert, WithdrawalTask  # models are not ready when apps.py is imported

    # order_by(): both models have a default ordering, and SQLite (make run) refuses ORDER BY
    # inside the parts of a UNION.
    alerts = DuplicateAlert.objects.visible_to(user).filter(resolved_at__isnull=True).order_by().values("pk")
    withdrawals = WithdrawalTask.objects.visible_to(user).filter(decided_at__isnull=True).order_by().values("pk")
    return alerts.union(withdrawals, all=True).count()


class DefectorsConfig(AppConfig):
    name = "defectors"
    default_auto_field = "django.db.models.BigAutoField"
    nav = [
        NavEntry("defectors:case_list", _("Cases"), roles={Role.SUPERVISOR}),
        NavEntry("defectors:case_list", _("My cases"), roles={Role.CASEWORKER}),
        NavEntry("defectors:intake_start", _("New intake"), roles=CASE_ROLES),
        NavEntry("defectors:tasks", _("Tasks"), roles={Role.SUPERVISOR}, count=open_tasks),
        NavEntry("defectors:shred_requests", _("Shred requests"), roles={Role.ADMIN}),
    ]
    demo_seeder = "defectors.demo_seed.CaseSeeder"  # seed_demo --cases
