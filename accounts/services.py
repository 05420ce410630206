"""Every change to accounts: invitations, roles, deactivation, suspension. Each writes an audit event.

No one person gives an account a role that reaches identities (accounts.roles.ELEVATED_ROLES),
or takes an administrator's role or access for good: those changes become a RoleRequest that a
second administrator decides (decide_role_request). The server's ``invite`` command is the
recovery path when no second administrator exists, audited as such.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.adapters import PRIMARY_FACTORS
from accounts.models import Invitation, RoleRequest, User, hash_token
from accounts.roles import ELEVATED_ROLES, GRANTABLE_ROLES, change_takes_two, reset_takes_two
from audit.services import log_event
from vault.models import Session
from vault.sessions import stored_key


def _issue(*, by: User | None, username: str, email: str, role: str, user: User | None) -> tuple[Invitation, str]:
    now = timezone.now()
    # A newer link replaces any older one still open for the same person.
    Invitation.objects.open().filter(username__iexact=username).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token_hash=hash_token(token),
        username=username,
        email=email,
        role=role,
        user=user,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.INVITATION_HOURS),
    )
    log_event(
        action="accounts.invitation.sent",
        actor=by,
        object_ref=username,
        reason=_("role: %(role)s") % {"role": role},
    )
    return invitation, token


@transaction.atomic
def invite_user(*, by: User, username: str, email: str, role: str) -> tuple[Invitation, str]:
    """Invite a new person. Returns the invitation and its token (shown once, never stored)."""
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    if role not in GRANTABLE_ROLES:
        raise ValidationError(_("Choose a valid role."), code="invalid")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("%(username)s already has an account. Open it to reset it with a new invitation.")
            % {"username": username},
            code="exists",
        )
    return _issue(by=by, username=username, email=email, role=role, user=None)


@transaction.atomic
def invite_from_server(*, username: str, role: str = User.Role.ADMIN) -> tuple[Invitation, str]:
    """An invitation issued by an operator at the server's command line.

    This is how the first administrator gets in, and how a locked-out
    installation recovers. Whoever can run it already controls the server, so
    its role takes effect at enrolment with no second approval (audited as
    ``accounts.role.granted_from_server``), and it lifts a suspension.
    """
    if role not in GRANTABLE_ROLES:
        raise ValidationError(_("Choose a valid role."), code="invalid")
    existing = User.objects.filter(username__iexact=username).first()
    return _issue(
        by=None,
        username=existing.username if existing else username,
        email=existing.email if existing else "",
        role=role,
        user=existing,
    )


@transaction.atomic
def reinvite_user(*, by: User, user: User) -> tuple[Invitation, str]:
    """Reset an account: a new link to set a password and enrol MFA again.

    An account whose role reaches identities or case content (accounts.roles.reset_takes_two)
    comes back with no role until a second administrator approves it (accept_invitation): the
    administrator who made the link could enrol it themselves. An account waiting
    for such an approval keeps waiting for the same role. A suspended account
    is not reset: its suspension is lifted by two administrators first.
    """
    user = _refuse_unless_admin_on_another(
        by=by, user=user, message=_("You cannot reset your own account. Ask another administrator.")
    )
    if user.is_suspended:
        raise ValidationError(_("This account is suspended. Ask to lift the suspension first."), code="suspended")
    role = user.role
    waiting = RoleRequest.objects.open().filter(user=user, action=RoleRequest.Action.CHANGE_ROLE).first()
    if user.role == User.Role.NONE and waiting is not None:
        role = waiting.to_role
    return _issue(by=by, username=user.username, email=user.email, role=role, user=user)


def find_open_invitation(token: str) -> Invitation | None:
    return Invitation.objects.open().filter(token_hash=hash_token(token)).first()


def end_sessions(user: User) -> None:
    """Delete every session of ``user``: each of their browsers is signed out at its next request."""
    Session.objects.filter(user=user).delete()


@transaction.atomic
def end_other_sessions(*, user: User, current_key: str) -> int:
    """Sign ``user`` out everywhere but the browser whose session key is ``current_key``.

    Returns how many sessions ended; audited when there were any.
    """
    ended, _by_model = Session.objects.filter(user=user).exclude(session_key=stored_key(current_key)).delete()
    if ended:
        log_event(action="accounts.sessions.ended_others", actor=user, object_ref=user.username, reason=str(ended))
    return ended


@transaction.atomic
def accept_invitation(*, token: str, password: str) -> User:
    """Use an invitation once: set the password, remove old authenticators, end old sessions.

    An administrator's invitation to supervisor or administrator enrols the
    account with no role (User.Role.NONE) and asks, in the inviting
    administrator's name, for the role on this very account: whoever enrolled
    with the link gains nothing until a second administrator approves. Open
    requests made for the account's earlier enrolment are withdrawn.
    """
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    # Suspending revokes open links; even so, only the server's invitation lifts a suspension.
    suspended = invitation is not None and invitation.user is not None and invitation.user.is_suspended
    if invitation is None or not invitation.is_open or (suspended and invitation.created_by_id is not None):
        raise ValidationError(
            _(
                "This invitation link is not valid: it was already used, has expired or was replaced. "
                "Ask an administrator for a new one."
            ),
            code="invalid",
        )
    user = invitation.user or User(username=invitation.username, email=invitation.email, role=invitation.role)
    old_role = invitation.user.role if invitation.user else ""
    # What the enrolment is for: a new account, the link's role; a reset, the account's role now
    # (a second administrator may have raised it since the link was made), or the link's while
    # the account waits with no role.
    to_role = invitation.role if invitation.user is None or old_role == User.Role.NONE else old_role
    # A new supervisor or administrator, and a reset of any account that reaches case content.
    waits_for_approval = invitation.created_by_id is not None and (
        to_role in ELEVATED_ROLES or (invitation.user is not None and reset_takes_two(to_role))
    )
    if invitation.created_by_id is None:
        _grant_from_server(user=user, role=invitation.role, old_role=old_role)
    elif waits_for_approval:
        user.role = User.Role.NONE
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save()
    if invitation.user is not None:
        Authenticator.objects.filter(user=user).delete()
        end_sessions(user)
        _withdraw_open_requests(user)
    invitation.user = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["user", "accepted_at"])
    log_event(action="accounts.invitation.accepted", actor=user, object_ref=user.username)
    if waits_for_approval:
        assert invitation.created_by is not None
        _ask(
            by=invitation.created_by,
            user=user,
            action=RoleRequest.Action.CHANGE_ROLE,
            to_role=to_role,
            invitation=invitation,
        )
    return user


def _grant_from_server(*, user: User, role: str, old_role: str) -> None:
    """The recovery path: an operator's invitation grants its role and lifts a suspension by itself."""
    if role in ELEVATED_ROLES or old_role != role or user.is_suspended:
        log_event(
            action="accounts.role.granted_from_server",
            object_ref=user.username,
            reason=f"{old_role or 'new account'} -> {role} (server invitation)",
        )
    user.role = role
    user.suspended_at = None


def _withdraw_open_requests(user: User) -> None:
    # An approval binds to the enrolment it was asked for; a new enrolment is a new person, perhaps.
    for waiting in RoleRequest.objects.open().filter(user=user):
        waiting.decided_at, waiting.approved = timezone.now(), False
        waiting.save(update_fields=["decided_at", "approved"])
        log_event(action="accounts.role.withdrawn", object_ref=user.username, reason=_describe(waiting))


def _describe(role_request: RoleRequest) -> str:
    """For the audit trail: the action, and the role change it asks for (plain values, never a name)."""
    if role_request.action == RoleRequest.Action.CHANGE_ROLE:
        return f"{role_request.action}: {role_request.from_role} -> {role_request.to_role}"
    return f"{role_request.action} ({role_request.from_role})"


def _ask(*, by: User, user: User, action: str, to_role: str = "", invitation: Invitation | None = None) -> RoleRequest:
    """Record a request for a second administrator. The same request again (a double submit) returns it.

    Call with ``user`` locked (_locked): two administrators asking at the same moment then ask one at a time.
    """
    waiting = RoleRequest.objects.select_for_update().open().filter(user=user).first()
    if waiting is not None:
        if (waiting.action, waiting.to_role, waiting.requested_by_id) == (action, to_role, by.pk):
            return waiting
        raise ValidationError(
            _("A request for this account already waits for a second administrator. Decide it first."),
            code="waiting",
        )
    role_request = RoleRequest.objects.create(
        user=user, action=action, from_role=user.role, to_role=to_role, invitation=invitation, requested_by=by
    )
    log_event(action="accounts.role.requested", actor=by, object_ref=user.username, reason=_describe(role_request))
    return role_request


def _refuse_unless_admin_on_another(*, by: User, user: User, message: str) -> User:
    """``user`` as the database has it now, locked for this transaction: two administrators acting on one
    account at once act one after the other, each on what the other left (never on a stale role)."""
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    if user.pk == by.pk:
        raise ValidationError(message, code="self")
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def change_role(*, by: User, user: User, role: str) -> RoleRequest | None:
    """Change a role now, or (accounts.roles.change_takes_two) ask a second administrator.

    Returns the request when one was made (or already waits, on a double submit), else None.
    Raises PermissionDenied for a non-administrator, ValidationError for an invalid role,
    one's own account, or another request already waiting for the account.
    """
    user = _refuse_unless_admin_on_another(
        by=by, user=user, message=_("You cannot change your own role. Ask another administrator.")
    )
    if role not in GRANTABLE_ROLES:
        raise ValidationError(_("Choose a valid role."), code="invalid")
    if user.role == role:
        return None
    if change_takes_two(user.role, role):
        return _ask(by=by, user=user, action=RoleRequest.Action.CHANGE_ROLE, to_role=role)
    old = user.role
    user.role = role
    user.save(update_fields=["role"])
    _revoke_links(user)
    log_event(
        action="accounts.user.role_changed",
        actor=by,
        object_ref=user.username,
        reason=f"{old} -> {role}",
    )
    return None


def _revoke_links(user: User) -> None:
    # A link made for the account as it was (a reset of an auditor, say) must not enrol it as it is now.
    Invitation.objects.open().filter(username__iexact=user.username).update(revoked_at=timezone.now())


def _deactivate(user: User) -> None:
    user.is_active = False
    user.save(update_fields=["is_active", "suspended_at"])
    _revoke_links(user)
    end_sessions(user)


@transaction.atomic
def deactivate_user(*, by: User, user: User) -> RoleRequest | None:
    """Lock a person out at once: no login, every session ended, open invitations revoked.

    An administrator is deactivated only with a second administrator's approval:
    this returns the request then (suspend_user cuts one off at once meanwhile).
    """
    user = _refuse_unless_admin_on_another(by=by, user=user, message=_("You cannot deactivate your own account."))
    if user.is_suspended:
        # Deactivating would clear the suspension, and a deactivated account can be reset by one
        # administrator: a suspension is lifted by two, or stays.
        raise ValidationError(
            _("This account is suspended, which already cuts it off. Ask to lift the suspension first."),
            code="suspended",
        )
    if not user.is_active:
        return None
    if user.deactivation_takes_two:
        return _ask(by=by, user=user, action=RoleRequest.Action.DEACTIVATE)
    _deactivate(user)
    log_event(action="accounts.user.deactivated", actor=by, object_ref=user.username)
    return None


@transaction.atomic
def suspend_user(*, by: User, user: User) -> None:
    """Cut an account off at once, by one administrator (a detained colleague's, say).

    Like deactivation (no login, sessions ended, open invitations revoked), but it
    takes nothing away for good: role and authenticators stay, and two
    administrators lift it (request_lift_suspension, decide_role_request).
    """
    user = _refuse_unless_admin_on_another(by=by, user=user, message=_("You cannot suspend your own account."))
    if not user.is_active:
        return
    user.suspended_at = timezone.now()
    _deactivate(user)
    log_event(action="accounts.user.suspended", actor=by, object_ref=user.username)


@transaction.atomic
def request_lift_suspension(*, by: User, user: User) -> RoleRequest:
    """Ask a second administrator to let a suspended account back in. ValidationError if it is not suspended."""
    user = _refuse_unless_admin_on_another(by=by, user=user, message=_("You cannot lift your own suspension."))
    if not user.is_suspended:
        raise ValidationError(_("This account is not suspended."), code="not_suspended")
    return _ask(by=by, user=user, action=RoleRequest.Action.LIFT_SUSPENSION)


@transaction.atomic
def withdraw_role_request(*, role_request: RoleRequest, by: User) -> bool:
    """The administrator who asked takes the request back (no other administrator can decide it, say).

    Returns False when it was already decided or withdrawn (a double submit). Raises
    PermissionDenied for anyone but the administrator who asked.
    """
    role_request = RoleRequest.objects.select_for_update().get(pk=role_request.pk)
    if by.role != User.Role.ADMIN or role_request.requested_by_id != by.pk:
        raise PermissionDenied
    if not role_request.is_open:
        return False
    role_request.decided_at, role_request.approved = timezone.now(), False
    role_request.save(update_fields=["decided_at", "approved"])
    log_event(
        action="accounts.role.withdrawn",
        actor=by,
        object_ref=role_request.user.username,
        reason=_describe(role_request),
    )
    return True


@transaction.atomic
def decide_role_request(*, role_request: RoleRequest, by: User, approve: bool) -> bool:
    """A second administrator approves (it takes effect at once) or declines a request.

    Raises PermissionDenied for a non-administrator, for the administrator who
    asked and for the account itself; ValidationError when approving a request
    whose account changed since it was asked (another role, deactivated, no
    second factor enrolled yet). Returns True when this call decided it; False when it was
    already decided or withdrawn (another administrator at the same moment, or a form sent
    again), which it leaves as it is.
    """
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    role_request = RoleRequest.objects.select_for_update().get(pk=role_request.pk)
    if not role_request.is_open:
        return False
    if not role_request.may_be_decided_by(by):
        raise PermissionDenied  # two people, always
    user = User.objects.select_for_update().get(pk=role_request.user_id)
    if approve:
        _apply(role_request, user)
    role_request.decided_by, role_request.decided_at, role_request.approved = by, timezone.now(), approve
    role_request.save(update_fields=["decided_by", "decided_at", "approved"])
    log_event(
        action="accounts.role.approved" if approve else "accounts.role.declined",
        actor=by,
        object_ref=user.username,
        reason=f"{_describe(role_request)}, asked by {role_request.requested_by.username}",
    )
    return True


def _apply(role_request: RoleRequest, user: User) -> None:
    changed = _("The account changed since this was asked. Decline it, and ask again if needed.")
    if role_request.action == RoleRequest.Action.LIFT_SUSPENSION:
        if not user.is_suspended:
            raise ValidationError(changed, code="changed")
        user.is_active, user.suspended_at = True, None
        user.save(update_fields=["is_active", "suspended_at"])
        return
    if user.role != role_request.from_role:
        raise ValidationError(changed, code="changed")
    if role_request.action == RoleRequest.Action.DEACTIVATE:
        if not user.is_active and not user.is_suspended:
            raise ValidationError(changed, code="changed")
        user.suspended_at = None  # a suspended administrator is now deactivated
        _deactivate(user)
        return
    if not user.is_active:
        raise ValidationError(changed, code="changed")
    if not Authenticator.objects.filter(user=user, type__in=PRIMARY_FACTORS).exists():
        raise ValidationError(
            _("This account has not set up two-factor authentication yet. Approve it once it has."),
            code="no_factor",
        )
    user.role = role_request.to_role
    user.save(update_fields=["role"])
    _revoke_links(user)
