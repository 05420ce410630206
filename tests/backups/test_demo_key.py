"""make run's demo trustee key: the backup journey on a laptop, and refused everywhere else."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from django.conf import settings
from django.urls import reverse
from pyrage import x25519

from backups import demo_key
from backups.checks import check_backup_recipients
from tests.test_settings import PRODUCTION, run_manage

ROOT = Path(__file__).resolve().parent.parent.parent
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def test_the_demo_key_is_the_one_derived_from_its_public_seed_and_says_so():
    identity = x25519.Identity.from_str(demo_key.demo_identity())
    assert str(identity.to_public()) == demo_key.DEMO_RECIPIENT
    assert (
        demo_key.demo_identity()
        == demo_key.bech32("age-secret-key-", hashlib.sha256(demo_key.SEED_TEXT).digest()).upper()
    )
    text = demo_key.file_text()
    assert text.splitlines()[0] == (
        "# DEMO ONLY: this key sits beside the server; anyone who takes the server can read backups made with it."
    )
    ciphertext = pyrage.encrypt(b"demo", [x25519.Recipient.from_str(demo_key.DEMO_RECIPIENT)])
    assert pyrage.decrypt(ciphertext, [identity]) == b"demo"


def test_the_demo_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "var" / demo_key.FILE_NAME
    assert demo_key.write_demo_key(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == demo_key.file_text()
    path.write_text("# someone's edit\n")
    assert demo_key.write_demo_key(path) is False
    assert path.read_text() == "# someone's edit\n"


def test_the_deploy_check_refuses_the_demo_key_however_it_is_written(settings, tmp_path):
    settings.BACKUP_DEMO_KEY_FILE = tmp_path / demo_key.FILE_NAME  # no file: the fixed key is still known
    real = str(x25519.Identity.generate().to_public())
    # the same key with other padding bits in its last character: age encrypts to it all the same
    padded = "age1sg5p9c4m3w6fgdh8xj82jqqdnvjkpq8va3hy2h93u8xmvm3hkpspfek90r"
    assert str(x25519.Recipient.from_str(padded)) == demo_key.DEMO_RECIPIENT != padded
    for recipients in ([demo_key.DEMO_RECIPIENT], [real, f" {demo_key.DEMO_RECIPIENT.upper()} "], [real, padded]):
        settings.BACKUP_RECIPIENTS = recipients
        [error] = check_backup_recipients()
        assert error.id == "backups.E001" and error.is_serious()
    settings.BACKUP_RECIPIENTS = [real]
    assert check_backup_recipients() == []


def test_the_deploy_check_refuses_any_identity_kept_at_the_demo_keys_place(settings, tmp_path):
    """A key whose identity sits beside the server, at the demo key's place, is as readable as the demo key."""
    identity = x25519.Identity.generate()
    settings.BACKUP_DEMO_KEY_FILE = tmp_path / demo_key.FILE_NAME
    settings.BACKUP_DEMO_KEY_FILE.write_text(f"# replaced by hand\n{identity}\n")
    settings.BACKUP_RECIPIENTS = [str(identity.to_public())]
    assert [error.id for error in check_backup_recipients()] == ["backups.E001"]


def test_check_deploy_and_start_up_with_debug_off_refuse_the_demo_recipient(tmp_path):
    # Debug on, no trustees: make run's case. The backups use the demo key, and check --deploy says no.
    debug = {
        "DJANGO_DEBUG": "1",
        "HAVEN_VAR_DIR": str(tmp_path),
        "HAVEN_KEYRING_FILE": PRODUCTION["HAVEN_KEYRING_FILE"],
    }
    result = run_manage(debug, "check", "--deploy")
    assert result.returncode == 1 and "backups.E001" in result.stderr, result.stdout + result.stderr
    # Debug off with the demo recipient copied into the configuration: start-up stops, in one line.
    for value in (demo_key.DEMO_RECIPIENT, demo_key.DEMO_RECIPIENT.upper()):
        result = run_manage({**PRODUCTION, "HAVEN_BACKUP_RECIPIENTS": value}, "check", "--deploy")
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            "Haven cannot start: HAVEN_BACKUP_RECIPIENTS holds the demo trustee key, whose identity is public "
            "(make run's var/demo-trustee-key.txt): anyone could read those backups. Give the trustees' own age keys."
        ]
    # And a trustee's own key passes.
    real = str(x25519.Identity.generate().to_public())
    result = run_manage({**PRODUCTION, "HAVEN_BACKUP_RECIPIENTS": real}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_with_debug_on_and_no_trustees_a_backup_verifies_and_restores_with_the_demo_identity(tmp_path):
    """make run's journey, on its SQLite database: the demo key written, back up, verify, restore."""
    var = tmp_path / "var"
    env = {
        **{key: value for key, value in os.environ.items() if key != "HAVEN_BACKUP_RECIPIENTS"},
        "DJANGO_DEBUG": "1", "HAVEN_VAR_DIR": str(var), "DATABASE_URL": "", "HAVEN_KEYRING_FILE": "",
    }  # fmt: skip
    var.mkdir(mode=0o700)
    subprocess.run([sys.executable, "-m", "vault.keyring", "generate", str(var / "keyring.json")], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "-m", "backups.demo_key", str(var / demo_key.FILE_NAME)], cwd=ROOT, check=True)
    subprocess.run([*MANAGE, "migrate", "-v0"], env=env, check=True)
    backed_up = subprocess.run([*MANAGE, "backup"], env=env, capture_output=True, text=True)
    assert backed_up.returncode == 0, backed_up.stderr
    subprocess.run([*MANAGE, "verify_backup"], env=env, check=True, capture_output=True)
    manifest = next((var / "backups").glob("*.manifest.json"))
    target = tmp_path / "restored.sqlite3"

    result = subprocess.run(
        [*MANAGE, "restore", str(manifest), "--identity", str(var / demo_key.FILE_NAME),
         "--database", f"sqlite:///{target}"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "checkpoint matches" in result.stdout
    assert target.read_bytes().startswith(b"SQLite format 3")

    # Again into the same file: refused before anything is decrypted.
    again = subprocess.run(
        [*MANAGE, "restore", str(manifest), "--identity", str(var / demo_key.FILE_NAME),
         "--database", f"sqlite:///{target}"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert again.returncode != 0 and "exists already: restore into a new file" in again.stdout + again.stderr
    assert "Decrypting" not in again.stdout


@pytest.mark.django_db
def test_the_backups_page_says_plainly_when_the_demo_key_is_in_use(admin_client, settings):
    settings.BACKUP_RECIPIENTS = [demo_key.DEMO_RECIPIENT]
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert 'id="demo-key-notice"' in page and "DEMO ONLY" in page
    assert str(settings.BACKUP_DEMO_KEY_FILE) in page
    assert "this server cannot read them" not in page

    settings.BACKUP_RECIPIENTS = [str(x25519.Identity.generate().to_public())]
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert "demo-key-notice" not in page and "this server cannot read them" in page


def test_the_test_settings_use_no_demo_key():
    assert not demo_key.demo_recipients(list(settings.BACKUP_RECIPIENTS), settings.BACKUP_DEMO_KEY_FILE)
