from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.models import User
from defectors.models import Case


def get_case_for_user(user: User, code: str) -> Case:
    """The one way to fetch a case: 404 when it does not exist and when it is not this user's to see."""
    return get_object_or_404(Case.objects.visible_to(user), code=code)
