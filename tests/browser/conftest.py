"""Browser tests: headless Debian Chromium (pytest-playwright) against pytest-django's live_server.

Run with: make test PYTEST_ARGS="-q tests/browser -p no:randomly"
Never `playwright install`: the system's /usr/bin/chromium is launched instead.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, expect

from tests.factories import PASSWORD, totp_code, totp_secret

# Playwright's sync API runs an event loop in the main thread, so Django sees
# the ORM used from "async context" in test code and fixtures.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("HAVEN_CHROMIUM", "/usr/bin/chromium")
# Screenshots of each step go here; HAVEN_SHOTS_DIR= (empty) turns them off.
SHOTS_DIR = os.environ.get("HAVEN_SHOTS_DIR", "/tmp/haven-shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


def browser_url(live_server) -> str:  # type: ignore[no-untyped-def]
    """The live server's base URL, on a host name Chromium treats as a secure context.

    With debug off the session and CSRF cookies are Secure and __Host- prefixed;
    over plain HTTP Chromium keeps them only for localhost (a "potentially
    trustworthy" origin).
    """
    url: str = live_server.url.replace("127.0.0.1", "localhost").replace("[::1]", "localhost")
    assert url.startswith("http://localhost:"), url
    return url


@pytest.fixture
def new_context(new_context):  # type: ignore[no-untyped-def]
    """pytest-playwright's contexts, failing after 5 s rather than 30 when something is missing."""

    def make(**kwargs: Any) -> BrowserContext:
        context: BrowserContext = new_context(**kwargs)
        context.set_default_timeout(5_000)
        return context

    return make


@pytest.fixture
def site(live_server, transactional_db) -> str:  # type: ignore[no-untyped-def]
    return browser_url(live_server)


@pytest.fixture
def neutral_site() -> Iterator[str]:
    """A harmless page on another origin (127.0.0.1, not localhost): where Quick exit lands.

    The real exit URL is on the internet, which the tests cannot reach, and
    Playwright's routes do not catch the redirect from /exit/ to another host.
    """

    class Weather(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!DOCTYPE html><title>Weather</title><h1>Today: sunny</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Weather)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def shoot() -> Callable[[Page, str], None]:
    """Full-page screenshots of the current page at phone and desktop widths."""
    shots = Path(SHOTS_DIR) if SHOTS_DIR else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        if shots is None:
            return
        original = page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            path = shots / f"{name}-{label}.png"
            path.parent.mkdir(parents=True, exist_ok=True)  # names may hold a folder: "cases/01-start"
            page.screenshot(path=str(path), full_page=True)
        if original is not None:
            page.set_viewport_size(original)

    return take


@pytest.fixture
def no_horizontal_overflow() -> Callable[[Page], None]:
    """Fail when the page scrolls sideways at its current width (tables scroll inside .table-wrap)."""

    def check(page: Page) -> None:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{page.url} overflows sideways by {overflow}px"

    return check


@pytest.fixture
def console_errors() -> Callable[[Page], list[str]]:
    """Collect a page's console errors and uncaught exceptions (a CSP violation shows up here)."""

    def watch(page: Page) -> list[str]:
        problems: list[str] = []
        sent: set[str] = set()  # forms sent by static/js/send.js: their 4xx and dropped requests are handled

        def on_request(request: Request) -> None:
            if request.method == "POST" and request.headers.get("x-haven-send") == "1":
                sent.add(request.url)

        def on_console(message: ConsoleMessage) -> None:
            where = message.location.get("url", "")
            if message.text.startswith("Failed to load resource") and where in sent:
                return
            # Haven has no favicon yet: the browser's own request for one is not the page's fault.
            if message.type == "error" and not where.endswith("/favicon.ico"):
                problems.append(f"{message.text} ({where})")

        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        return problems

    return watch


# Haven's own login page says "Log in"; allauth's second-factor page still says "Sign In".
LOG_IN = re.compile(r"^(Log in|Sign in)", re.IGNORECASE)


@pytest.fixture
def log_in_as(site: str) -> Callable[..., None]:
    """Log a factory-made user in through the real pages: username and password, then a TOTP code.

    Each user can log in once per 30 s (a code is spent when used), so a test
    logs each user in only once.
    """

    def log_in(page: Page, user: Any, password: str = PASSWORD) -> None:
        page.goto(f"{site}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name=LOG_IN).click()
        expect(page).to_have_url(f"{site}/accounts/2fa/authenticate/")
        page.get_by_label("Code").fill(totp_code(totp_secret(user)))
        page.get_by_role("button", name=LOG_IN).click()
        # A button, or a link on pages that carry no per-request token (donor reports).
        expect(page.get_by_role("button", name="Log out").or_(page.get_by_role("link", name="Log out"))).to_be_visible()

    return log_in
