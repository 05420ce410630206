from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404

from accounts.models import User
from debriefing.models import DebriefSession, DebriefTemplate, IntelligenceItem

# One helper per object type: "not yours" and "does not exist" are the same Http404.


def get_session_for_user(user: User, pk: uuid.UUID) -> DebriefSession:
    """A debrief session with its case and template: Http404 unless ``user`` may see it (the
    assigned debriefer, or a supervisor). The case comes with its key, never shown to debriefers."""
    return get_object_or_404(
        DebriefSession.objects.visible_to(user).with_keys("case").select_related("template", "debriefer"), pk=pk
    )


def get_template_for_user(user: User, pk: int) -> DebriefTemplate:
    """Templates are managed by supervisors: Http404 for anyone else."""
    queryset = DebriefTemplate.objects.all() if user.role == User.Role.SUPERVISOR else DebriefTemplate.objects.none()
    return get_object_or_404(queryset, pk=pk)


def get_item_for_user(user: User, pk: uuid.UUID) -> IntelligenceItem:
    """An intelligence item of a session ``user`` may see; Http404 otherwise."""
    visible = DebriefSession.objects.visible_to(user)
    return get_object_or_404(IntelligenceItem.objects.filter(session__in=visible).select_related("session"), pk=pk)
