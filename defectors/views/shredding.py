"""The administrator's side of shredding: the waiting requests, one request to decide, the decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from audit.models import AuditEvent
from defectors import services
from defectors.access import get_shred_request_for_user
from defectors.forms import ShredDecisionForm
from defectors.models import ShredRequest


@role_required(User.Role.ADMIN)
def shred_requests(request: AuthenticatedRequest) -> HttpResponse:
    requests = ShredRequest.objects.visible_to(request.user)
    pending = requests.filter(decided_at__isnull=True).select_related("case", "requested_by")
    decided = requests.filter(decided_at__isnull=False).select_related("case", "requested_by", "decided_by")
    return render(request, "defectors/shred_requests.html", {"pending": pending, "decided": decided[:50]})


def _review(request: AuthenticatedRequest, shred_request: ShredRequest, form: ShredDecisionForm) -> HttpResponse:
    """The request as the approver weighs it: the supervisor's reason, the case's status and last activity."""
    case = shred_request.case
    context = {
        "shred_request": shred_request,
        "case": case,
        # Action names and times only: an administrator reads no case content here.
        # The last thing done on the case other than asking to shred it (the request itself says nothing new).
        "last_event": AuditEvent.objects.filter(object_ref=case.code)
        .exclude(action__startswith="defectors.case.shred")
        .order_by("-seq")
        .only("at", "action")
        .first(),
        "form": form,
    }
    return render(request, "defectors/shred_request.html", context, status=400 if form.errors else 200)


@role_required(User.Role.ADMIN)
@require_GET
def shred_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    shred_request = get_shred_request_for_user(request.user, pk)
    return _review(request, shred_request, ShredDecisionForm(case_code=shred_request.case.code))


@role_required(User.Role.ADMIN)
@require_POST
def decide_shred(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    shred_request = get_shred_request_for_user(request.user, pk)
    form = ShredDecisionForm(request.POST, case_code=shred_request.case.code)
    if not form.is_valid():
        return _review(request, shred_request, form)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        earlier = services.decide_shred(shred_request=shred_request, by=request.user, approve=approve)
    except PermissionDenied:
        messages.error(request, _("Another administrator must decide: you asked for this yourself."))
    else:
        if earlier is None:
            messages.success(request, _("Case shredded.") if approve else _("Request declined."))
        else:  # decided before this answer: say what stands, not what was asked
            who = {"who": earlier.decided_by.username if earlier.decided_by else "-"}
            messages.warning(
                request,
                _("Already decided by %(who)s: the case was shredded.") % who
                if earlier.approved
                else _("Already decided by %(who)s: the request was declined, nothing was shredded.") % who,
            )
    return redirect("defectors:shred_requests")
