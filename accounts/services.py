"""Every change to accounts: invitations, roles, deactivation. Each writes an audit event."""

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

from accounts.models import Invitation, User, hash_token
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
    installation recovers. Whoever can run it already controls the server.
    """
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
    """Reset an account: a new link to set a password and enrol MFA again."""
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    if user.pk == by.pk:
        raise ValidationError(_("You cannot reset your own account. Ask another administrator."), code="self")
    return _issue(by=by, username=user.username, email=user.email, role=user.role, user=user)


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
    """Use an invitation once: set the password, remove old authenticators, end old sessions."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_open:
        raise ValidationError(
            _(
                "This invitation link is not valid: it was already used, has expired or was replaced. "
                "Ask an administrator for a new one."
            ),
            code="invalid",
        )
    user = invitation.user or User(username=invitation.username, email=invitation.email, role=invitation.role)
    if invitation.created_by_id is None and user.role != invitation.role:
        # An operator's invitation (recovering an installation) carries the role it grants.
        log_event(
            action="accounts.user.role_changed",
            object_ref=user.username,
            reason=f"{user.role} -> {invitation.role} (server invitation)",
        )
        user.role = invitation.role
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save()
    if invitation.user is not None:
        Authenticator.objects.filter(user=user).delete()
        end_sessions(user)
    invitation.user = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["user", "accepted_at"])
    log_event(action="accounts.invitation.accepted", actor=user, object_ref=user.username)
    return user


@transaction.atomic
def change_role(*, by: User, user: User, role: str) -> None:
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    if role not in User.Role.values:
        raise ValidationError(_("Choose a valid role."), code="invalid")
    if user.pk == by.pk:
        raise ValidationError(_("You cannot change your own role. Ask another administrator."), code="self")
    if user.role == role:
        return
    old = user.role
    user.role = role
    user.save(update_fields=["role"])
    log_event(
        action="accounts.user.role_changed",
        actor=by,
        object_ref=user.username,
        reason=f"{old} -> {role}",
    )


@transaction.atomic
def deactivate_user(*, by: User, user: User) -> None:
    """Lock a person out at once: no login, every session ended, open invitations revoked."""
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    Invitation.objects.open().filter(username__iexact=user.username).update(revoked_at=timezone.now())
    end_sessions(user)
    log_event(action="accounts.user.deactivated", actor=by, object_ref=user.username)
