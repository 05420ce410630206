"""The request id reaches audit events from the middleware, never from a service's arguments."""

from __future__ import annotations

import threading

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from audit.context import current_request_id, request_id_scope
from audit.middleware import RequestIdMiddleware
from audit.models import AuditEvent
from audit.services import log_event


def test_an_audited_request_stamps_its_event_with_the_response_id(admin_client):
    response = admin_client.post("/people/invite/", {"username": "newcomer", "email": "", "role": "caseworker"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.invitation.sent")
    assert len(event.request_id) == 32 and event.request_id == response["X-Request-ID"]


def test_a_proxys_request_id_is_kept_on_the_event(admin_client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    response = admin_client.post(
        "/people/invite/",
        {"username": "newcomer", "email": "", "role": "caseworker"},
        headers={"X-Request-ID": "proxy-4f1c-9a2b"},
    )
    assert response["X-Request-ID"] == "proxy-4f1c-9a2b"
    assert AuditEvent.objects.get(action="accounts.invitation.sent").request_id == "proxy-4f1c-9a2b"


def test_without_a_trusted_proxy_a_clients_request_id_is_replaced(admin_client, settings):
    """The header came from the client itself: it must not choose how the auditor correlates its events."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    response = admin_client.post(
        "/people/invite/",
        {"username": "newcomer", "email": "", "role": "caseworker"},
        headers={"X-Request-ID": "deadbeefdeadbeefdeadbeefdeadbeef"},
    )
    event = AuditEvent.objects.get(action="accounts.invitation.sent")
    assert event.request_id == response["X-Request-ID"] != "deadbeefdeadbeefdeadbeefdeadbeef"
    assert len(event.request_id) == 32


def test_the_id_is_forgotten_when_the_response_is_made(admin_client, admin):
    admin_client.get("/people/")
    assert current_request_id() == ""
    # Work done after the request (a shell, a Celery task) carries no request's id.
    assert log_event(action="test.after", actor=admin).request_id == ""


def test_a_command_sets_its_own_id(db):
    with request_id_scope("command-line"):
        event = log_event(action="test.command")
    assert event.request_id == "command-line" and current_request_id() == ""


def test_two_concurrent_requests_keep_their_own_ids(settings):
    """Both requests are inside the middleware at the same moment; each sees only its own id."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    both_inside = threading.Barrier(2, timeout=5)
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        both_inside.wait()
        return HttpResponse(current_request_id())

    middleware = RequestIdMiddleware(view)

    def serve(name: str) -> None:
        response = middleware(RequestFactory().get("/", headers={"X-Request-ID": f"request-{name}-0000"}))
        seen[name] = response.content.decode()

    threads = [threading.Thread(target=serve, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"one": "request-one-0000", "two": "request-two-0000"}


def test_services_take_no_request_id():
    import inspect

    from accounts import services as account_services
    from audit import services as audit_services
    from defectors import services as case_services
    from vault import services as vault_services

    for module in (account_services, case_services, vault_services, audit_services):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__:
                assert "request_id" not in inspect.signature(function).parameters, f"{module.__name__}.{name}"
