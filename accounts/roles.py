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

# The roles that read case content (identities, debriefs) without granting anything. A new
# account in one is one administrator's decision (it holds no case until a supervisor
# assigns one); raising an existing account to one, or resetting an account that holds
# one, takes two: the account may already hold cases, and a reset hands whoever has the
# link its password and second factor.
CASE_CONTENT_ROLES: frozenset[str] = frozenset({Role.CASEWORKER, Role.DEBRIEFER})

# The roles a person can be invited to or given (NONE is only ever the wait for an approval).
GRANTABLE_ROLES: tuple[Role, ...] = tuple(role for role in Role if role != Role.NONE)


def change_takes_two(old: str, new: str) -> bool:
    """Whether changing a role from ``old`` to ``new`` takes a second administrator's approval.

    Raising anyone to supervisor or administrator does, and so does taking an
    administrator's role, and so does giving a role that reads case content to an
    account that had none (a donor or auditor who was a caseworker may still hold
    cases); lowering any other role, or moving between caseworker and debriefer,
    is one person's decision.
    """
    if old == new:
        return False
    reaches_content = ELEVATED_ROLES | CASE_CONTENT_ROLES
    return new in ELEVATED_ROLES or old == Role.ADMIN or (new in CASE_CONTENT_ROLES and old not in reaches_content)


def reset_takes_two(role: str) -> bool:
    """Whether resetting (re-inviting) an account of ``role`` brings it back only with a second approval.

    Every role that reaches identities or case content, or grants them: whoever holds
    a reset link holds the account.
    """
    return role in ELEVATED_ROLES | CASE_CONTENT_ROLES
