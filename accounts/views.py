from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn import views as webauthn_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import brake, services
from accounts.access import get_role_request_for_user
from accounts.adapters import PRIMARY_FACTORS
from accounts.decorators import role_required
from accounts.forms import AcceptInvitationForm, InviteForm, LiftBrakeForm, RoleForm
from accounts.http import AuthenticatedRequest
from accounts.models import Brake, Invitation, RoleRequest, User
from accounts.navigation import role_home
from accounts.roles import ELEVATED_ROLES, GRANTABLE_ROLES
from vault.models import Session
from vault.sessions import stored_key

INVITATION_LINK_SESSION_KEY = "haven_invitation_link"
# What the roles whose app is not installed yet find on the general home page.
NOT_YET: dict[str, tuple[str | Promise, str | Promise]] = {
    User.Role.NONE: (
        gettext_lazy("Waiting for approval"),
        gettext_lazy(
            "Your account is set up. Its role takes effect when a second administrator approves it; "
            "until then it opens nothing else."
        ),
    ),
    User.Role.DEBRIEFER: (
        gettext_lazy("Debriefer"),
        gettext_lazy(
            "Debriefs assigned to you will be listed here. Debriefing is not switched on in this installation yet."
        ),
    ),
}


def home(request: AuthenticatedRequest) -> HttpResponse:
    """The role's home page when an installed app gives it one (accounts.navigation); else a general page."""
    role = request.user.role
    url_name = role_home(role)
    if url_name is not None:
        return redirect(url_name)
    context = {
        "role": role,
        "has_role": role in GRANTABLE_ROLES,  # not while waiting for a second administrator's approval
        "not_yet": NOT_YET.get(role),
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
    return render(request, "accounts/home.html", context)


@role_required(User.Role.ADMIN)
def people(request: AuthenticatedRequest) -> HttpResponse:
    has_factor = Authenticator.objects.filter(user=OuterRef("pk"), type__in=PRIMARY_FACTORS)
    users = User.objects.annotate(has_mfa=Exists(has_factor)).order_by("-is_active", "username")
    invitations = Invitation.objects.open().select_related("created_by").order_by("expires_at")
    waiting = RoleRequest.objects.open().select_related("user", "requested_by")
    return render(request, "accounts/people.html", {"users": users, "invitations": invitations, "waiting": waiting})


def invitation_link_for(base_url: str, token: str) -> str:
    """The token travels in the fragment: browsers never send it, so no server or proxy log holds it."""
    return f"{base_url.rstrip('/')}{reverse('accounts:accept_invitation')}#{token}"


def _show_link_once(request: AuthenticatedRequest, invitation: Invitation, token: str) -> HttpResponse:
    # Post/redirect/get: the link is shown on the next page and then forgotten,
    # so a reload never issues a second invitation.
    request.session[INVITATION_LINK_SESSION_KEY] = {
        "link": invitation_link_for(request.build_absolute_uri("/"), token),
        "username": invitation.username,
        "role": invitation.get_role_display(),
    }
    return redirect("accounts:invitation_link")


def _asks_for_an_elevated_role(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("role") in ELEVATED_ROLES


@role_required(User.Role.ADMIN)
@reauthentication_required(enabled=_asks_for_an_elevated_role)
def invite(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if form.is_valid():
        try:
            invitation, token = services.invite_user(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("username", error)
        else:
            return _show_link_once(request, invitation, token)
    return render(request, "accounts/invite.html", {"form": form})


@role_required(User.Role.ADMIN)
def invitation_link(request: AuthenticatedRequest) -> HttpResponse:
    shown = request.session.pop(INVITATION_LINK_SESSION_KEY, None) or {}
    return render(request, "accounts/invitation_link.html", {**shown, "hours": settings.INVITATION_HOURS})


@role_required(User.Role.ADMIN)
def person(request: AuthenticatedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User, username=username)
    has_mfa = Authenticator.objects.filter(user=subject, type__in=PRIMARY_FACTORS).exists()
    waiting = subject.role_requests.open().select_related("requested_by").first()
    context = {"subject": subject, "has_mfa": has_mfa, "waiting": waiting}
    return render(request, "accounts/person.html", {**context, "role_form": RoleForm(initial={"role": subject.role})})


def _asked(request: AuthenticatedRequest, role_request: RoleRequest | None, done: str) -> None:
    if role_request is None:
        messages.success(request, done)
    else:
        messages.info(request, _("Asked: another administrator must approve this before it takes effect."))


@role_required(User.Role.ADMIN)
@require_POST
@reauthentication_required
def change_role(request: AuthenticatedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User, username=username)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            asked = services.change_role(by=request.user, user=subject, role=form.cleaned_data["role"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            _asked(request, asked, _("Role saved."))
    else:
        messages.error(request, _("Choose a valid role."))
    return redirect("accounts:person", username=subject.username)


@role_required(User.Role.ADMIN)
@require_POST
@reauthentication_required
def deactivate(request: AuthenticatedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User, username=username)
    try:
        asked = services.deactivate_user(by=request.user, user=subject)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        done = _("%(username)s is deactivated and signed out everywhere.") % {"username": subject.username}
        _asked(request, asked, done)
    return redirect("accounts:person", username=subject.username)


# No re-authentication: a detained colleague's account is cut off at once. Two administrators lift it.
@role_required(User.Role.ADMIN)
@require_POST
def suspend(request: AuthenticatedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User, username=username)
    try:
        services.suspend_user(by=request.user, user=subject)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("%(username)s is suspended and signed out everywhere.") % {"username": subject.username}
        )
    return redirect("accounts:person", username=subject.username)


@role_required(User.Role.ADMIN)
@require_POST
@reauthentication_required
def lift_suspension(request: AuthenticatedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User, username=username)
    try:
        services.request_lift_suspension(by=request.user, user=subject)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.info(request, _("Asked: another administrator must approve this before it takes effect."))
    return redirect("accounts:person", username=subject.username)


@role_required(User.Role.ADMIN)
def role_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What a second administrator decides on: the account itself, as it enrolled, and who asked."""
    asked = get_role_request_for_user(request.user, pk)
    has_mfa = Authenticator.objects.filter(user=asked.user, type__in=PRIMARY_FACTORS).exists()
    context = {
        "asked": asked,
        "subject": asked.user,
        "has_mfa": has_mfa,
        "may_decide": asked.may_be_decided_by(request.user),
        "may_withdraw": asked.is_open and asked.requested_by_id == request.user.pk,
        # Who else could decide: an active administrator who is neither the asker nor the account.
        "deciders": User.objects.filter(role=User.Role.ADMIN, is_active=True)
        .exclude(pk__in=[asked.requested_by_id, asked.user_id])
        .count(),
    }
    return render(request, "accounts/role_request.html", context)


@role_required(User.Role.ADMIN)
@require_POST
@reauthentication_required
def decide_role_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    asked = get_role_request_for_user(request.user, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        decided = services.decide_role_request(role_request=asked, by=request.user, approve=approve)
    except PermissionDenied:
        messages.error(request, _("Another administrator must decide: you asked for this, or it is about you."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if decided:
            messages.success(request, _("Approved: it takes effect now.") if approve else _("Declined."))
        else:  # decided before this answer: the page below says how, and by whom
            messages.warning(request, _("This request was already decided: nothing was changed now."))
    return redirect("accounts:role_request", pk=asked.pk)


@role_required(User.Role.ADMIN)
@require_POST
def withdraw_role_request(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    asked = get_role_request_for_user(request.user, pk)
    try:
        withdrawn = services.withdraw_role_request(role_request=asked, by=request.user)
    except PermissionDenied:
        messages.error(request, _("Only the administrator who asked can withdraw this request."))
    else:
        messages.success(request, _("Withdrawn.") if withdrawn else _("This request was already decided."))
    return redirect("accounts:role_request", pk=asked.pk)


@role_required(User.Role.ADMIN)
@require_POST
@reauthentication_required
def reinvite(request: AuthenticatedRequest, username: str) -> HttpResponse:
    subject = get_object_or_404(User, username=username)
    try:
        invitation, token = services.reinvite_user(by=request.user, user=subject)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("accounts:person", username=subject.username)
    return _show_link_once(request, invitation, token)


@login_not_required
def accept_invitation(request: HttpRequest) -> HttpResponse:
    """Set a password with an invitation. The code comes from the link's fragment (filled in by
    haven.js) or is typed in; it reaches the server only in the body of this POST."""
    if request.method != "POST":
        return render(request, "accounts/accept_invitation.html", {"form": AcceptInvitationForm(user=None)})
    token = request.POST.get("code", "").strip()
    invitation = services.find_open_invitation(token) if token else None
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(
        request.POST, user=invitation.user or User(username=invitation.username, email=invitation.email)
    )
    if form.is_valid():
        try:
            user = services.accept_invitation(token=token, password=form.cleaned_data["password1"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.user.is_authenticated:
                logout(request)
            response = perform_login(request, user, redirect_url=reverse("mfa_activate_totp"))
            # Setting the password just now counts as a fresh password login, so
            # enrolling the second factor does not ask for the password again.
            record_authentication(request, user, method="password", reason="invitation", reauthenticated=True)
            return response
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation})


@login_not_required
@require_GET
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Leave at once: end the session, tell the browser to forget this site, go somewhere neutral."""
    logout(request)
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@require_POST
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in" on the idle warning: the idle timeout starts again now, however recently
    another request renewed it.

    The absolute limit (SessionPolicyMiddleware) still ends the session; 204, nothing to show.
    """
    request.session.modified = True
    return HttpResponse(status=204)


@require_http_methods(["GET", "POST"])
def sessions(request: AuthenticatedRequest) -> HttpResponse:
    """The person's own live sessions (coarse network and browser), and a button that ends the others."""
    current = stored_key(request.session.session_key or "")
    if request.method == "POST":
        ended = services.end_other_sessions(user=request.user, current_key=request.session.session_key or "")
        message = ngettext(
            "%(count)d other session was signed out.", "%(count)d other sessions were signed out.", ended
        )
        messages.success(request, message % {"count": ended})
        return redirect("accounts:sessions")
    rows = Session.objects.filter(user=request.user, expire_date__gt=timezone.now()).order_by("-signed_in_at")
    listed = [
        (row, row.session_key == current) for row in rows.only("session_key", "signed_in_at", "network", "browser")
    ]
    return render(request, "accounts/sessions.html", {"sessions": listed})


class _RemoveWebAuthnView(webauthn_views.RemoveWebAuthnView):
    def form_valid(self, form):
        if not get_mfa_adapter().can_delete_authenticator(self.get_object()):
            messages.error(self.request, str(get_mfa_adapter().error_messages["cannot_delete_authenticator"]))
            return redirect("mfa_list_webauthn")
        return super().form_valid(form)


remove_webauthn = _RemoveWebAuthnView.as_view()


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
    return render(request, "accounts/brakes.html", context)


@role_required(*brake.LIFTERS)
@require_POST
def lift_brake(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Brake, pk=pk)  # every lifter may see every brake
    form = LiftBrakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for lifting the brake (3 to 300 characters)."))
        return redirect("accounts:brakes")
    try:
        lifted = brake.lift(brake=item, by=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        messages.error(request, _("Another supervisor or an administrator must lift this brake."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Brake lifted.") if lifted else _("This brake was already lifted."))
    return redirect("accounts:brakes")
