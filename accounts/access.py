"""The one way a view fetches a role request: Http404 for whoever may not see it, as for one that does not exist."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from accounts.models import RoleRequest, User


def get_role_request_for_user(user: User, pk: int) -> RoleRequest:
    """A role request with its account, requester and invitation; Http404 unless ``user`` is an administrator."""
    queryset = RoleRequest.objects.visible_to(user).select_related("user", "requested_by", "decided_by", "invitation")
    return get_object_or_404(queryset, pk=pk)
