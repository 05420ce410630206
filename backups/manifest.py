"""The signed manifest beside each backup, and verifying a backup without any private key.

A manifest is JSON::

    {"format": "haven-backup-1",
     "body": {"name", "created_at", "finished_at", "database", "tool", "compression",
              "versions": {"server": "15.20", "pg_dump": "15.20", "archive": "custom 1.14"},
              "files": {"database": {"name", "size", "sha256"}, "keyring": {...}},
              "recipients": ["age1..."], "migrations": {"app": ["0001_initial", ...]},
              "checkpoint": {"seq", "head"}, "shred_list": ["<data key uuid>", ...]},
     "signature": "<base64 Ed25519 over the canonical JSON of body>",
     "signing_public_key": "<base64>"}

``versions`` (backups.versions) is in the signed body like the rest; manifests
written before it existed lack it and restore with a warning. The signature is
checked against a public key the verifier already trusts (the installation's, or
one the trustees keep), never only against the key the manifest itself names.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from backups.streams import BackupError, read_age_header

FORMAT = "haven-backup-1"
SUFFIX = ".manifest.json"


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(body: dict[str, Any], signer: Ed25519PrivateKey, public_key: str) -> dict[str, Any]:
    signature = base64.b64encode(signer.sign(canonical(body))).decode()
    return {"format": FORMAT, "body": body, "signature": signature, "signing_public_key": public_key}


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    """Write atomically (temporary name, then rename): a manifest is there whole or not at all."""
    path = directory / f"{manifest['body']['name']}{SUFFIX}"
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(manifest, file, indent=1, sort_keys=True)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk leaves no half-written manifest behind
        raise
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise BackupError(f"manifest {path.name} cannot be read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BackupError(f"manifest {path.name} is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("body"), dict):
        raise BackupError(f"manifest {path.name} is not a Haven backup manifest")
    return data


def check_signature(manifest: dict[str, Any], public_key: str, label: str) -> dict[str, Any]:
    """The manifest's body if ``public_key`` (base64 Ed25519) signed it; BackupError otherwise."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(str(manifest.get("signature", "")), validate=True), canonical(manifest["body"]))
    except (InvalidSignature, binascii.Error, ValueError):
        raise BackupError(
            f"manifest {label}: the signature does not match (changed, or signed by another key)"
        ) from None
    return manifest["body"]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Verification:
    """What ``verify`` found: ``problems`` is empty when the backup is whole and signed."""

    manifest_path: Path
    body: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def manifest_path_for(path: Path) -> Path:
    """The manifest of a backup given by its manifest, its database file or its name."""
    if path.name.endswith(SUFFIX):
        return path
    name = path.name.split(".")[0]
    return path.with_name(name + SUFFIX)


def verify(path: Path, public_key: str) -> Verification:
    """Check the signature, every file's size and SHA-256, and each age header; no private key.

    ``path`` is a manifest, a backup file or a backup's name in its directory.
    Each problem names the file (changed, truncated, missing, substituted).
    """
    result = Verification(manifest_path_for(path))
    try:
        body = check_signature(read_manifest(result.manifest_path), public_key, result.manifest_path.name)
    except BackupError as exc:
        result.problems.append(str(exc))
        return result
    result.body = body
    directory = result.manifest_path.parent
    expected_stanzas = len(body.get("recipients", []))
    for role, entry in sorted(body.get("files", {}).items()):
        file = directory / Path(entry["name"]).name
        if not file.exists():
            result.problems.append(f"{role} file {file.name} is missing")
            continue
        size = file.stat().st_size
        if size != entry["size"]:
            shorter = "truncated" if size < entry["size"] else "longer than it should be"
            result.problems.append(
                f"{role} file {file.name} is {shorter}: {size} bytes, the manifest says {entry['size']}"
            )
            continue
        if sha256_file(file) != entry["sha256"]:
            result.problems.append(f"{role} file {file.name} was changed or substituted: its SHA-256 does not match")
            continue
        try:
            stanzas = read_age_header(file)
        except BackupError as exc:
            result.problems.append(str(exc))
            continue
        if stanzas.count("X25519") != expected_stanzas:
            result.problems.append(f"{role} file {file.name} is not encrypted to the manifest's recipients")
    return result
