from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.forms import EventFilterForm
from audit.models import AuditEvent

# accounts.roles.Role.AUDITOR by its value: accounts records its events here, so audit
# imports nothing of accounts (tests/test_dependencies.py holds the two equal).
AUDITOR_ROLE = "auditor"


def event_list(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", None) != AUDITOR_ROLE:
        raise PermissionDenied
    # The action names that occur, for the filter's suggestions (an index-only scan of the action index).
    actions = list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
    form = EventFilterForm(request.GET or None, actions=actions)
    events: QuerySet[AuditEvent] = AuditEvent.objects.order_by("-seq")
    if form.is_bound and form.is_valid():
        events = form.filter(events)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
