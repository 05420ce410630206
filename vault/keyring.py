"""The keyring: key-encryption keys (KEKs) and the other root keys, kept outside the database.

A keyring is a JSON file (mode 0600, owned by the service):

    {"format": "haven-keyring-1",
     "keks": [{"id": "k2", "key": "<base64 32 bytes>", "created": "..."}, {"id": "k1", ...}],
     "blind_index_key": "<base64 32 bytes>",
     "audit_key": "<base64 32 bytes>",
     "signing_key": "<base64 32-byte Ed25519 seed>"}

The first KEK wraps new data keys; the others only unwrap old ones until
``rotate_keys`` has rewrapped everything. The signing key (Ed25519) signs what
must be checked outside the database: audit checkpoints and backup manifests;
its public half is given to the trustees (``manage.py keyring_status``). This module imports nothing from
Django, so settings can load the keyring and ``python -m vault.keyring`` works
before Django is configured.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# cryptography, not Django: still importable before settings exist.
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT = "haven-keyring-1"
KEY_BYTES = 32


class KeyringError(Exception):
    """A keyring that cannot be used; the message is one line that says why."""


@dataclass(frozen=True)
class Keyring:
    keks: dict[str, bytes]  # insertion order: the first is active
    blind_index_key: bytes
    audit_key: bytes
    signing_key: bytes = b""  # Ed25519 private seed; empty only in the placeholder before a keyring loads

    @property
    def active_id(self) -> str:
        return next(iter(self.keks))

    @property
    def active_key(self) -> bytes:
        return self.keks[self.active_id]

    def signer(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs audit checkpoints and backup manifests."""
        if not self.signing_key:
            raise KeyringError("the keyring has no signing key")
        return Ed25519PrivateKey.from_private_bytes(self.signing_key)

    @property
    def signing_public_key(self) -> str:
        """The signing key's public half, base64 (raw 32 bytes): what trustees keep to verify signatures."""
        raw = self.signer().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def kek(self, kek_id: str) -> bytes:
        try:
            return self.keks[kek_id]
        except KeyError:
            raise KeyringError(
                f"key {kek_id!r} is not in the keyring (was it removed before rotate_keys finished?)"
            ) from None


def _key(value: object, name: str) -> bytes:
    try:
        key = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{name} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{name} must be {KEY_BYTES} bytes, not {len(key)}")
    return key


def parse_keyring(data: object) -> Keyring:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyringError(f"not a keyring (expected format {FORMAT!r})")
    entries = data.get("keks")
    if not isinstance(entries, list) or not entries:
        raise KeyringError("it holds no key-encryption key")
    keks: dict[str, bytes] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise KeyringError("a key-encryption key has no id")
        if entry["id"] in keks:
            raise KeyringError(f"key id {entry['id']!r} appears twice")
        keks[entry["id"]] = _key(entry.get("key"), f"key {entry['id']!r}")
    return Keyring(
        keks=keks,
        blind_index_key=_key(data.get("blind_index_key"), "blind_index_key"),
        audit_key=_key(data.get("audit_key"), "audit_key"),
        signing_key=_key(data.get("signing_key"), "signing_key"),
    )


def read_raw(path: str | Path) -> dict:
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise KeyringError(f"keyring file {path} does not exist (create one with generate_keyring)") from None
    except OSError as exc:
        raise KeyringError(f"keyring file {path} cannot be read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyringError(f"keyring file {path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise KeyringError(f"keyring file {path} is not a keyring")
    return data


def load_keyring(path: str | Path) -> Keyring:
    try:
        return parse_keyring(read_raw(path))
    except KeyringError as exc:
        if str(path) in str(exc):
            raise
        raise KeyringError(f"keyring file {path}: {exc}") from None


def _new_entry(kek_id: str) -> dict[str, str]:
    return {
        "id": kek_id,
        "key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _write_new_file(path: Path, data: dict) -> None:
    # O_EXCL: never overwrite a keyring, whatever races with us.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def generate_keyring(path: str | Path) -> None:
    """Write a new keyring; refuse if the file exists."""
    path = Path(path)
    if path.exists():
        raise KeyringError(f"{path} exists: a keyring is never overwritten (its keys may be the only way to read data)")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_new_file(
        path,
        {
            "format": FORMAT,
            "keks": [_new_entry("k1")],
            "blind_index_key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
            "audit_key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
            "signing_key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
        },
    )


def add_signing_key(path: str | Path) -> bool:
    """Give a keyring written before signing keys existed its signing key; False if it has one.

    Every other key is kept as it is; the file is replaced atomically.
    """
    path = Path(path)
    data = read_raw(path)
    if data.get("signing_key"):
        return False
    data["signing_key"] = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    parse_keyring(data)
    _replace_file(path, data)
    return True


def _replace_file(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _write_new_file(tmp, data)
    os.replace(tmp, path)


def add_key(path: str | Path) -> str:
    """Put a new KEK first (active). Writes a new file beside the old and renames it over atomically."""
    path = Path(path)
    data = read_raw(path)
    current = parse_keyring(data)
    number = 1
    while f"k{number}" in current.keks:
        number += 1
    new_id = f"k{number}"
    data["keks"] = [_new_entry(new_id), *data["keks"]]
    parse_keyring(data)
    _replace_file(path, data)
    return new_id


def main(argv: list[str]) -> int:
    """python -m vault.keyring generate PATH [--if-missing]: for make run and image builds, before Django starts.

    With --if-missing, an existing keyring is kept and only gains a signing key if it has none.
    """
    if len(argv) < 2 or argv[0] != "generate":
        print("usage: python -m vault.keyring generate PATH [--if-missing]", file=sys.stderr)
        return 2
    path = Path(argv[1])
    try:
        if "--if-missing" in argv and path.exists():
            if add_signing_key(path):
                print(f"Signing key added to {path}.")
            return 0
        generate_keyring(path)
    except KeyringError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"New keyring written to {path}. Back it up apart from the database.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
