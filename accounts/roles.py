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


# The roles that take intakes and work on cases; which cases each sees is Case.objects.visible_to.
CASE_ROLES: frozenset[str] = frozenset({Role.SUPERVISOR, Role.CASEWORKER})
