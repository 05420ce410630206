from __future__ import annotations

import uuid
from typing import Any

from django.shortcuts import get_object_or_404

from accounts.models import User
from defectors.models import Case
from support.models import Assistance, Goal, Placement, Referral, SupportSession, Task, TrainingEnrolment

# One helper per object type: each fetches through the case the user may see, so
# "not yours" and "does not exist" are the same Http404.


def get_referral_for_user(user: User, case: Case, pk: uuid.UUID) -> Referral:
    """A referral of ``case`` (already fetched with get_case_for_user), with its provider."""
    referral: Any = get_object_or_404(Referral.objects.filter(case=case).select_related("provider"), pk=pk)
    referral.case = case  # the case as fetched, with its key: no second query
    return referral


def get_placement_for_user(user: User, case: Case, pk: uuid.UUID) -> Placement:
    placement: Any = get_object_or_404(Placement.objects.filter(case=case), pk=pk)
    placement.case = case  # the case as fetched, with its key: no second query
    return placement


def get_task_for_user(user: User, case: Case, pk: uuid.UUID) -> Task:
    task: Any = get_object_or_404(Task.objects.filter(case=case), pk=pk)
    task.case = case  # the case as fetched, with its key: no second query
    return task


def get_training_for_user(user: User, case: Case, pk: uuid.UUID) -> TrainingEnrolment:
    enrolment: Any = get_object_or_404(TrainingEnrolment.objects.filter(case=case), pk=pk)
    enrolment.case = case  # the case as fetched, with its key: no second query
    return enrolment


def get_assistance_for_user(user: User, case: Case, pk: uuid.UUID) -> Assistance:
    assistance: Any = get_object_or_404(Assistance.objects.filter(case=case), pk=pk)
    assistance.case = case  # the case as fetched, with its key: no second query
    return assistance


def get_session_for_user(user: User, case: Case, pk: uuid.UUID) -> SupportSession:
    session: Any = get_object_or_404(SupportSession.objects.filter(case=case), pk=pk)
    session.case = case  # the case as fetched, with its key: no second query
    return session


def get_goal_for_user(user: User, case: Case, pk: uuid.UUID) -> Goal:
    goal: Any = get_object_or_404(Goal.objects.filter(case=case), pk=pk)
    goal.case = case  # the case as fetched, with its key: no second query
    return goal
