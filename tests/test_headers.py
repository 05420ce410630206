"""Security headers on every response, and pages that load nothing from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import reauthenticated
from tests.test_access import ROLES, TABLE, world  # noqa: F401  (the world fixture)

EXTERNAL = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
CSS_EXTERNAL = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//)""", re.IGNORECASE)


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "http" not in csp  # no other origin is allowed anywhere
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_sends_every_security_header(client, db):
    response = client.get("/accounts/login/", secure=True)
    assert_security_headers(response)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_signed_in_pages_send_them_too_and_are_never_cached(client_for, make_user):
    client = client_for(make_user())
    for url in ["/", "/accounts/2fa/", "/accounts/sessions/"]:
        assert_security_headers(client.get(url, secure=True))


def test_error_pages_send_them_too(client_for, make_user):
    client = client_for(make_user())
    for response in [client.get("/no-such-page/"), client.get("/people/")]:
        assert response.status_code in (403, 404)
        assert_security_headers(response)


def test_session_and_csrf_cookies_are_host_only_secure_and_http_only(client, make_user):
    from tests.factories import PASSWORD

    client.get("/accounts/login/")
    user = make_user()
    response = client.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    cookies = response.cookies | client.cookies
    for name, samesite in [("__Host-haven-session", "Strict"), ("__Host-haven-csrf", "Lax")]:
        cookie = cookies[name]
        assert cookie["secure"] and cookie["httponly"], name
        assert cookie["samesite"] == samesite, name
        assert cookie["path"] == "/" and not cookie["domain"], name


@pytest.mark.parametrize("role", ROLES)
def test_no_page_references_another_host(client, world, role):  # noqa: F811
    from tests.conftest import login_with_mfa

    login_with_mfa(client, world[role])
    pages = [name for name, rule in TABLE.items() if rule.roles[role] == 200 and name != "account_logout"]
    assert pages, role
    for name in pages:
        response = client.get(reverse(name, kwargs=TABLE[name].kwargs(world)))
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (an XLSForm), not a page
        html = response.content.decode()
        assert not EXTERNAL.search(html), f"{name}: {EXTERNAL.search(html)}"
        assert "<script>" not in html and " style=" not in html, name  # the CSP would block them


def test_public_pages_reference_no_other_host(client, world):  # noqa: F811
    for name, rule in TABLE.items():
        if rule.anonymous == 200:
            html = client.get(reverse(name, kwargs=rule.kwargs(world))).content.decode()
            assert not EXTERNAL.search(html), name


def test_stylesheets_load_nothing_from_another_host():
    sheets = list(Path(settings.BASE_DIR, "static").rglob("*.css"))
    assert sheets
    for sheet in sheets:
        assert not CSS_EXTERNAL.search(sheet.read_text()), sheet


def test_a_role_without_access_gets_403_with_the_same_headers(client_for, donor):
    response = client_for(donor).get("/audit/")
    assert response.status_code == 403
    assert_security_headers(response)


def test_a_form_sent_without_its_csrf_token_gets_a_plain_explanation(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x", "password": "y"})
    assert response.status_code == 403
    assert "This form expired" in response.content.decode()
    assert_security_headers(response)


def test_messages_are_kept_in_the_session_not_in_a_cookie(admin_client, make_user):
    subject = make_user()
    response = reauthenticated(admin_client).post(f"/people/{subject.username}/role/", {"role": "donor"})
    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert "Role saved." in admin_client.get(response["Location"]).content.decode()
