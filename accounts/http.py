from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """The request a view sees behind LoginRequiredMiddleware (for type checking)."""

    user: User
