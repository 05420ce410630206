from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from support import services
from support.dashboard import dashboard as dashboard_context
from support.models import Notification


@role_required(*User.CASE_ROLES)
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "support/dashboard.html", dashboard_context(request.user))


@role_required(*User.CASE_ROLES)
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    rows = (
        Notification.objects.filter(user=request.user)
        .select_related("case")
        .only("kind", "due_on", "created_at", "read_at", "case__code")[:100]
    )
    return render(request, "support/notifications.html", {"notifications": rows})


@role_required(*User.CASE_ROLES)
@require_POST
def mark_read(request: AuthenticatedRequest) -> HttpResponse:
    services.mark_notifications_read(user=request.user)
    messages.success(request, _("Notifications marked read."))
    return redirect("support:notifications")
