"""Who held a session that has just expired: so that what they posted at that moment is not lost.

A step of a form posted after the idle timeout arrives without a user. The
browser still sends the session cookie (HttpOnly, Secure, SameSite=Lax, never
readable by a page's script), and the expired row stays in the database until
``clearsessions`` removes it. Holding that cookie proves the browser is the one
the person signed in with, in the same way as a live session does; a logout or
Quick exit deletes the row, so nothing can be attributed after those. No field
of the posted form is trusted to say who posted it.
"""

from __future__ import annotations

import datetime

from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from vault.models import Session
from vault.sessions import SessionStore, stored_key

# How long after its expiry a session still vouches for a post: long enough for the
# person who pressed "Save" on a timed-out page, short enough not to be a second session.
GRACE = datetime.timedelta(minutes=30)


def user_of_expired_session(request: HttpRequest) -> User | None:
    """The active user whose session, named by this request's cookie, expired at most GRACE ago.

    None when there is no cookie, the session is live (then the request is
    already authenticated) or gone, expired longer ago, never passed the
    second factor, or its user is deactivated. One or two queries.
    """
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not 8 <= len(key) <= 40:
        return None
    now = timezone.now()
    rows = Session.objects.filter(expire_date__lte=now, expire_date__gt=now - GRACE)
    row = rows.filter(session_key=stored_key(key)).first()
    if row is None:
        return None
    data = SessionStore(session_key=key).decode(row.session_data)  # a row that does not open: {}
    records = data.get(AUTHENTICATION_METHODS_SESSION_KEY) or []
    if not any(isinstance(record, dict) and record.get("method") == "mfa" for record in records):
        return None
    user_id = data.get(SESSION_KEY)
    if not user_id:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
