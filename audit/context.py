"""The id of the request (or command) being served, for the audit events it writes.

Set once at the edge (RequestIdMiddleware, or a management command) and read
by ``log_event``, the way vault.keys keeps its per-request key scope: services
never pass it by hand. A ContextVar is private to its thread or asyncio task,
so concurrent requests never see each other's id.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("haven_request_id", default="")


def current_request_id() -> str:
    """The id set by the innermost ``request_id_scope``; "" outside one (Celery tasks, shells)."""
    return _request_id.get()


@contextmanager
def request_id_scope(request_id: str) -> Iterator[None]:
    """Make ``request_id`` (at most 64 characters are kept) the current id until the block ends."""
    token = _request_id.set(request_id[:64])
    try:
        yield
    finally:
        _request_id.reset(token)
