from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """The request a view sees behind LoginRequiredMiddleware and RequestIdMiddleware (for type checking)."""

    user: User
    request_id: str
