from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404

from accounts.models import User
from defectors.models import Case, CaseNote, DuplicateAlert, FamilyMember, Need, ShredRequest, WithdrawalTask

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


# Rows that belong to a case: fetched through the case's helper first, so another
# caseworker's case, or an id from another case (forged), is the same 404.


def get_family_member_for_user(user: User, code: str, pk: uuid.UUID) -> FamilyMember:
    """A family member of the case ``code``; Http404 unless ``user`` may see the case and the member is on it."""
    case = get_case_for_user(user, code)
    member = get_object_or_404(FamilyMember.objects.filter(case=case), pk=pk)
    member.case = case
    return member


def get_need_for_user(user: User, code: str, pk: uuid.UUID) -> Need:
    """A need of the case ``code``; Http404 as get_family_member_for_user."""
    case = get_case_for_user(user, code)
    need = get_object_or_404(Need.objects.filter(case=case), pk=pk)
    need.case = case
    return need


def get_note_for_user(user: User, code: str, pk: uuid.UUID) -> CaseNote:
    """A note of the case ``code``; Http404 as get_family_member_for_user."""
    case = get_case_for_user(user, code)
    note = get_object_or_404(CaseNote.objects.filter(case=case).select_related("author"), pk=pk)
    note.case = case
    return note


def get_withdrawal_task_for_user(user: User, pk: int) -> WithdrawalTask:
    """A withdrawal task by id, with its case; Http404 unless ``user`` may see it (supervisors)."""
    return get_object_or_404(WithdrawalTask.objects.visible_to(user).select_related("case"), pk=pk)
