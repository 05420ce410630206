from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vault.keys import key_scope


class VaultMiddleware:
    """Unwrapped keys live for one request (a damaged record's page: audit.middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_scope():
            return self.get_response(request)
