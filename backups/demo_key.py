"""The demo trustee key: what makes the backup journey work on a laptop (``make run``), and nowhere else.

    python -m backups.demo_key var/demo-trustee-key.txt     (make run: writes it if missing)

With debug on and no HAVEN_BACKUP_RECIPIENTS, backups are encrypted to this
key, so "Back up now", verifying and restoring (``--identity
var/demo-trustee-key.txt``) all work on a laptop. DEMO ONLY: its identity sits
beside the server (and is the same on every laptop: it is derived from a
constant below), so anyone who takes the server, or reads this file, can read
backups made with it.

It is one fixed key on purpose: a production server recognises its public key
whatever file is or is not beside it, so an operator who copies the recipient
from a laptop's configuration into production is refused at start-up with
debug off and by ``manage.py check --deploy`` (config/settings.py,
backups/checks.py). A per-laptop random key could only be recognised on the
laptop that made it. An identity file found at the demo key's place beside the
server is refused too, whatever key it holds.

No Django here: config/settings.py imports it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

FILE_NAME = "demo-trustee-key.txt"  # in HAVEN_VAR_DIR (var/)
LABEL = "DEMO ONLY: this key sits beside the server; anyone who takes the server can read backups made with it."
# The identity's 32 bytes are the SHA-256 of this text: public, the same everywhere, never secret.
SEED_TEXT = b"Haven demo trustee key. DEMO ONLY: never for real data; refused with debug off."
# Its public key (tests/backups/test_demo_key.py derives it again from SEED_TEXT).
DEMO_RECIPIENT = "age1sg5p9c4m3w6fgdh8xj82jqqdnvjkpq8va3hy2h93u8xmvm3hkpsq50zsj3"

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32(hrp: str, payload: bytes) -> str:
    """BIP 173 bech32, the encoding of age keys."""

    def polymod(values: list[int]) -> int:
        generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        check = 1
        for value in values:
            top = check >> 25
            check = (check & 0x1FFFFFF) << 5 ^ value
            for i in range(5):
                check ^= generator[i] if (top >> i) & 1 else 0
        return check

    data, acc, bits = [], 0, 0
    for byte in payload:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in data + checksum)


def demo_identity() -> str:
    """The demo key's age identity (``AGE-SECRET-KEY-1...``)."""
    return bech32("age-secret-key-", hashlib.sha256(SEED_TEXT).digest()).upper()


def file_text() -> str:
    return (
        f"# {LABEL}\n"
        "# Haven's demo trustee key (make run): the same on every laptop, derived from a constant in\n"
        '# backups/demo_key.py. Haven refuses it with debug off. Real trustees: README, "Backups".\n'
        f"# public key: {DEMO_RECIPIENT}\n"
        f"{demo_identity()}\n"
    )


def write_demo_key(path: Path) -> bool:
    """Write the demo identity file at ``path`` (mode 0600) unless it exists; True when written."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(file_text())
    return True


def _normalised(recipient: str) -> str:
    """The key's canonical spelling: bech32 is case-insensitive, and age accepts a key's last
    character in several spellings (the unused padding bits), all the same key. Compared as
    strings only when it does not parse (it then names no key pyrage would encrypt to)."""
    from pyrage import RecipientError, x25519

    try:
        return str(x25519.Recipient.from_str(recipient.strip()))
    except RecipientError:
        return recipient.strip().lower()


def recipients_in_file(path: Path) -> set[str]:
    """The public keys of the age identities in ``path`` (none when it does not exist or cannot be read)."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    from pyrage import IdentityError, x25519

    found = set()
    for line in lines:
        line = line.strip()
        if line.upper().startswith("AGE-SECRET-KEY-1"):
            try:
                found.add(_normalised(str(x25519.Identity.from_str(line).to_public())))
            except IdentityError:
                continue
    return found


def demo_recipients(recipients: list[str], key_file: Path | None = None) -> list[str]:
    """The recipients that are the demo key: the fixed one, or any identity in the demo key's file."""
    demo = {DEMO_RECIPIENT}
    if key_file is not None and recipients:
        demo |= recipients_in_file(key_file)
    return [recipient for recipient in recipients if _normalised(recipient) in demo]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else f"var/{FILE_NAME}")
    if write_demo_key(target):
        print(f"Wrote the demo trustee key {target} ({LABEL})")
