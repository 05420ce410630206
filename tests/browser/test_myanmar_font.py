"""The vendored Myanmar font loads for Burmese text and is never fetched by an English-only page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Request

pytestmark = pytest.mark.browser

BURMESE = "မြန်မာ"
FONT_FILE = "/static/fonts/noto-sans-myanmar-myanmar-"


def test_a_page_with_burmese_text_loads_the_font(new_context, site):
    page = new_context().new_page()
    fonts: list[str] = []
    page.on("request", lambda request: fonts.append(request.url) if FONT_FILE in request.url else None)
    page.goto(f"{site}/accounts/login/")
    page.set_content(
        f'<!DOCTYPE html><html lang="my"><link rel="stylesheet" href="{site}/static/css/haven.css">'
        f"<body><h1>{BURMESE}</h1><p>Haven {BURMESE}</p></body></html>"
    )
    page.evaluate("document.fonts.ready")
    assert page.evaluate(f"document.fonts.check('16px \"Noto Sans Myanmar\"', '{BURMESE}')")
    assert page.evaluate(
        "[...document.fonts].some(f => f.family === 'Noto Sans Myanmar' && f.weight === '400' && f.status === 'loaded')"
    )
    assert sorted(fonts) == [f"{site}{FONT_FILE}400-normal.woff2", f"{site}{FONT_FILE}700-normal.woff2"]  # p and h1
    # Burmese text gets the taller line it needs.
    assert page.evaluate("getComputedStyle(document.querySelector('p')).lineHeight") == "30.4px"  # 16 px * 1.9


def test_an_english_only_page_does_not_fetch_the_font(new_context, site):
    page = new_context().new_page()
    requested: list[Request] = []
    page.on("request", lambda request: requested.append(request))
    page.goto(f"{site}/accounts/login/")
    page.evaluate("document.fonts.ready")
    assert any(
        r.url.endswith("/static/css/haven.css") for r in requested
    )  # the stylesheet with the @font-face did load
    assert not [r.url for r in requested if FONT_FILE in r.url]
    assert page.evaluate("[...document.fonts].every(f => f.status === 'unloaded')")
