"""A view that forgets its access helper: the access walk must catch it (tests/test_access.py)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from config.urls import urlpatterns as project_urlpatterns
from defectors.models import Case


@role_required(*User.CASE_ROLES)
def leaky_case(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_object_or_404(Case, code=code)  # the trap: not get_case_for_user
    if request.method == "POST":
        Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
        raise Http404  # refused too late: the case is changed, and no row is added
    return HttpResponse(case.code)


trap_patterns = ([path("<str:code>/", leaky_case, name="leaky_case")], "access_trap")
urlpatterns = [*project_urlpatterns, path("trap/", include(trap_patterns))]
