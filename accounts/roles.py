"""The roles a person can hold, and the sets of them that share work.

Kept out of models.py so that every app's AppConfig can name roles (for its
navigation and home pages) before the models are loaded. ``User.Role`` and
``User.CASE_ROLES`` are these same objects.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    CASEWORKER = "caseworker", _("Caseworker")
    DEBRIEFER = "debriefer", _("Debriefer")
    DONOR = "donor", _("Donor")
    AUDITOR = "auditor", _("Auditor")
    # Reaches nothing: an account invited as supervisor or administrator holds it from
    # enrolment until a second administrator approves its role (accounts.models.RoleRequest).
    NONE = "none", _("No role yet")


# The roles that take intakes and work on cases; which cases each sees is Case.objects.visible_to.
CASE_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR, Role.CASEWORKER})

# The roles that reach identities, or grant them: no one person gives or raises an account to one.
ELEVATED_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR, Role.ADMIN})

# The roles a person can be invited to or given (NONE is only ever the wait for an approval).
GRANTABLE_ROLES: tuple[Role, ...] = tuple(role for role in Role if role != Role.NONE)


def change_takes_two(old: str, new: str) -> bool:
    """Whether changing a role from ``old`` to ``new`` takes a second administrator's approval.

    Raising anyone to supervisor or administrator does, and so does taking an
    administrator's role; lowering any other role is one person's decision.
    """
    return old != new and (new in ELEVATED_ROLES or old == Role.ADMIN)
