from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.models import User
from defectors.models import Case, DuplicateAlert, ShredRequest

# One helper per object type, the one way a view fetches it: "not yours" and "does
# not exist" are the same Http404, so a URL never tells whether an object exists.


def get_case_for_user(user: User, code: str) -> Case:
    """The one way to fetch a case: 404 when it does not exist and when it is not this user's to see."""
    return get_object_or_404(Case.objects.visible_to(user), code=code)


def get_shred_request_for_user(user: User, pk: int) -> ShredRequest:
    """A shred request by id, with its case; Http404 unless ``user`` may see it (ShredRequest.objects.visible_to)."""
    return get_object_or_404(ShredRequest.objects.visible_to(user).select_related("case"), pk=pk)


def get_alert_for_user(user: User, pk: int) -> DuplicateAlert:
    """A duplicate alert by id, with both cases; Http404 unless ``user`` may see it (supervisors)."""
    return get_object_or_404(DuplicateAlert.objects.visible_to(user).select_related("case", "matched_case"), pk=pk)
