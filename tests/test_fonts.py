"""The vendored Myanmar font: present, licensed, served by WhiteNoise, and loaded only for Burmese text."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

FONTS = ("fonts/noto-sans-myanmar-myanmar-400-normal.woff2", "fonts/noto-sans-myanmar-myanmar-700-normal.woff2")
STYLESHEET = Path(settings.BASE_DIR, "static", "css", "haven.css")
FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}")


def font_faces() -> list[str]:
    return FONT_FACE.findall(STYLESHEET.read_text())


def test_the_font_files_and_their_licence_are_vendored():
    for name in FONTS:
        path = finders.find(name)
        assert path, name
        assert Path(path).read_bytes()[:4] == b"wOF2", name
    licence = Path(settings.BASE_DIR, "static", "fonts", "OFL.txt").read_text()
    assert "SIL Open Font License" in licence and "Noto Project Authors" in licence


def test_whitenoise_serves_the_font_files(settings, db):
    settings.WHITENOISE_USE_FINDERS = True  # tests run without collectstatic
    for name in FONTS:
        response = Client().get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == "font/woff2"
        assert b"".join(response.streaming_content) == Path(finders.find(name)).read_bytes()  # type: ignore[arg-type]


def test_each_face_is_limited_to_the_myanmar_blocks_and_swaps():
    faces = font_faces()
    assert len(faces) == 2
    for face, weight, name in zip(faces, ("400", "700"), FONTS, strict=True):
        assert 'font-family: "Noto Sans Myanmar"' in face
        assert f"font-weight: {weight};" in face
        assert f'url("../{name}") format("woff2")' in face
        assert "unicode-range: U+1000-109F, U+A9E0-A9FF, U+AA60-AA7F;" in face
        assert "font-display: swap;" in face
        assert "size-adjust: 115%;" in face


def test_the_family_heads_the_body_font_stack():
    assert re.search(r'--font: "Noto Sans Myanmar", system-ui,', STYLESHEET.read_text())


def test_collectstatic_with_the_production_storage_resolves_the_font_urls(settings, tmp_path):
    """The manifest storage rewrites url(...) in the stylesheet and fails on one it cannot find."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    [css] = tmp_path.glob("css/haven.*.css")
    hashed = re.findall(
        r'url\("\.\./fonts/(noto-sans-myanmar-myanmar-[47]00-normal\.[0-9a-f]{12}\.woff2)"\)', css.read_text()
    )
    assert len(hashed) == 2
    for name in hashed:
        assert (tmp_path / "fonts" / name).exists()
