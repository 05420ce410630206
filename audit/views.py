from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from audit import brake
from audit.forms import EventFilterForm, LiftBrakeForm
from audit.models import AuditEvent, Brake


@role_required(User.Role.AUDITOR)
def event_list(request: HttpRequest) -> HttpResponse:
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


@role_required(*brake.ALERTED)
@require_GET
def brakes(request: AuthenticatedRequest) -> HttpResponse:
    """Open brakes first (with the lift form for supervisors and administrators), then the last lifted."""
    rows = Brake.objects.select_related("person", "lifted_by")
    can_lift = request.user.role in brake.LIFTERS
    context = {
        # (brake, its lift form or None); a brake is never lifted by its own person
        "open": [
            (
                item,
                LiftBrakeForm(auto_id=f"id_brake{item.pk}_%s")
                if can_lift and item.person_id != request.user.pk
                else None,
            )
            for item in rows.filter(lifted_at=None)
        ],
        "lifted": rows.exclude(lifted_at=None).order_by("-lifted_at")[:50],
        "can_lift": can_lift,
    }
    return render(request, "audit/brakes.html", context)


@role_required(*brake.LIFTERS)
@require_POST
def lift_brake(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Brake, pk=pk)  # every lifter may see every brake
    form = LiftBrakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for lifting the brake (3 to 300 characters)."))
        return redirect("audit:brakes")
    try:
        lifted = brake.lift(brake=item, by=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        messages.error(request, _("Another supervisor or an administrator must lift this brake."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Brake lifted.") if lifted else _("This brake was already lifted."))
    return redirect("audit:brakes")
