"""The byte streams of a backup: database -> zstd -> age -> file, and back.

Nothing here writes plaintext anywhere but a pipe or memory: ``pg_dump``'s
stdout (or SQLite's in-memory copy, through a pipe) goes straight into a lean
child process (``backups/pipeline.py``: no Django) that compresses and
encrypts it in fixed-size chunks, and only ciphertext reaches the disk. Memory
stays bounded by that process's buffers, whatever the database size (SQLite,
the laptop default, is copied into memory whole).

zstd was chosen by measuring (README, "Backups"): ``pg_dump -Z0`` piped
through zstd level 1 is several times faster than pg_dump's own gzip at a
similar size, and ``zstd -d`` is a standard tool for restoring by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyrage
import zstandard
from pyrage import x25519

PIPELINE = Path(__file__).with_name("pipeline.py")  # run by path with python -I: see lean_env
AGE_MAGIC = b"age-encryption.org/v1\n"
MAX_HEADER = 64 * 1024  # an age header with a few recipients is well under 1 KB
STDERR_KEEP = 2000


class BackupError(Exception):
    """A backup, verification or restore that cannot go on; the message says why, never with data."""


def parse_recipients(values: list[str]) -> list[x25519.Recipient]:
    """age X25519 public keys (``age1...``) -> recipients; BackupError names the bad one."""
    if not values:
        raise BackupError("no backup recipients: set HAVEN_BACKUP_RECIPIENTS to one or more age public keys")
    recipients = []
    for value in values:
        try:
            recipients.append(x25519.Recipient.from_str(value.strip()))
        except pyrage.RecipientError:
            raise BackupError(f"recipient {value[:20]}... is not an age X25519 public key (age1...)") from None
    return recipients


def read_identities(path: str | Path) -> list[x25519.Identity]:
    """The age identities (``AGE-SECRET-KEY-1...`` lines) in an age-keygen file."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise BackupError(f"identity file {path} cannot be read ({exc.strerror})") from None
    identities = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                identities.append(x25519.Identity.from_str(line))
            except pyrage.IdentityError:
                raise BackupError(f"identity file {path} holds a line that is not an age identity") from None
    if not identities:
        raise BackupError(f"identity file {path} holds no age identity")
    return identities


@dataclass(frozen=True)
class WrittenFile:
    name: str
    size: int
    sha256: str
    peak_kb: int = 0  # the stream process's peak resident memory (0: not measured)


def create_private(path: Path) -> IO[bytes]:
    # O_EXCL and 0600 from the first byte: never another file's content, never world-readable.
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def lean_env() -> dict[str, str]:
    """The stream process's whole environment: no secret, no database password, no Django setting."""
    return {key: os.environ[key] for key in ("PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL") if key in os.environ}


def encrypt_in_child(
    path: Path,
    recipients: list[x25519.Recipient],
    *,
    stdin: IO[bytes] | None = None,
    data: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> WrittenFile:
    """zstd-compress and age-encrypt a stream into a new file at ``path`` (mode 0600), in a lean process.

    The stream is ``stdin`` (a pipe, e.g. pg_dump's stdout, handed to the
    child directly: its bytes never pass through this process) or ``data``
    (written into a pipe by a thread here); ``stdin`` is closed here once the
    child holds it. The child is ``backups/pipeline.py``
    run with ``python -I``: no Django, an environment with no secret in it. It
    reports progress and the file's size and SHA-256 as JSON lines. Raises
    BackupError when the child fails or dies (OSError when it could not write the
    file: a full disk); the child removes its partial
    file when it fails, the caller removes it when the child was killed.
    """
    child = subprocess.Popen(  # noqa: S603 (this interpreter, our own script, public keys)
        [sys.executable, "-I", str(PIPELINE), str(path), *(str(recipient) for recipient in recipients)],
        stdin=stdin if stdin is not None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=lean_env(),
    )
    if stdin is not None:
        stdin.close()  # handed over: if the child dies, the writer into this pipe sees it at once
    assert child.stdout is not None and child.stderr is not None
    stderr = _StderrTail(child.stderr)
    stderr.start()
    feeder = None
    if stdin is None:
        feeder = threading.Thread(target=_feed, args=(child.stdin, data or b""), daemon=True)
        feeder.start()
    last: dict[str, Any] = {}
    try:
        for line in child.stdout:
            try:
                last = json.loads(line)
            except ValueError:
                continue
            if progress is not None and "sha256" not in last and "size" in last:
                progress(int(last["size"]))
    except BaseException:
        child.kill()  # this side gave up (e.g. the progress update failed): the stream stops too
        raise
    finally:
        child.stdout.close()
        code = child.wait()
        if feeder is not None:
            feeder.join(timeout=5)
    if code == 0 and "sha256" in last:
        return WrittenFile(path.name, int(last["size"]), str(last["sha256"]), int(last.get("peak_kb", 0)))
    if isinstance(last.get("errno"), int):  # the disk (full, read-only): the caller's reason names it
        raise OSError(last["errno"], os.strerror(last["errno"]))
    if "error" in last:
        raise BackupError(str(last["error"])[:200])
    if code < 0:
        raise BackupError(f"the backup stream process stopped (killed by signal {-code})")
    raise BackupError(f"the backup stream process failed (exit {code}): {stderr.text()}")


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except BrokenPipeError:
        pass  # the child stopped early: its exit code says why


def encrypt_bytes(data: bytes, path: Path, recipients: list[x25519.Recipient]) -> WrittenFile:
    """A small file (the keyring), age-encrypted without compression, at ``path`` (mode 0600)."""
    ciphertext = pyrage.encrypt(data, recipients)
    with create_private(path) as file:
        file.write(ciphertext)
        file.flush()
        os.fsync(file.fileno())
    return WrittenFile(path.name, len(ciphertext), hashlib.sha256(ciphertext).hexdigest())


def postgres_env(database: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for a Django DATABASES entry: the password never goes on a command line.

    Nothing else of this process's environment goes with it (lean_env: no SECRET_KEY, no
    token, no DATABASE_URL): pg_dump and pg_restore need only where to connect.
    """
    env = lean_env()
    pairs = {
        "PGHOST": database.get("HOST", ""),
        "PGPORT": database.get("PORT", ""),
        "PGUSER": database.get("USER", ""),
        "PGPASSWORD": database.get("PASSWORD", ""),
        "PGDATABASE": database.get("NAME", ""),
        "PGSSLMODE": (database.get("OPTIONS") or {}).get("sslmode", ""),
    }
    env.update({key: str(value) for key, value in pairs.items() if value})
    return env


class _StderrTail(threading.Thread):
    """Drains a child's stderr (so it can never block on a full pipe), keeping its end."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.tail = b""

    def run(self) -> None:
        for chunk in iter(lambda: self.stream.read(4096), b""):
            self.tail = (self.tail + chunk)[-STDERR_KEEP:]

    def text(self) -> str:
        self.join(timeout=5)
        return error_lines(self.tail.decode(errors="replace"))


# A quoted name after one of these words is a schema object's name, kept; any other quoted
# text in an error line may be a value from the dump (an invalid input, a key), so it goes.
_NAMED = re.compile(
    r"\b(relation|table|column|constraint|index|schema|function|trigger|type|database|sequence|role|extension|"
    r'view|file|server at)\s+"([A-Za-z0-9_.:$ -]{1,63})"'
)


def error_lines(stderr: str, *, keep: int = 3) -> str:
    """What a PostgreSQL client tool said went wrong, fit for a log and a row: never data from the dump.

    Only its ``error:`` lines count (not the ``Command was:``, DETAIL or CONTEXT lines
    after them, which quote SQL and rows); quoted text in them is kept only when it
    names a schema object. Falls back to the last line when no line says ``error:``.
    """
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.-]+: error: ", line)] or lines[-1:]
    return "; ".join(_without_values(line)[:200] for line in errors[:keep])


def _without_values(line: str) -> str:
    """``line`` with every quoted text replaced by an ellipsis, except schema objects' names."""
    parts, start = [], 0
    for match in _NAMED.finditer(line):
        parts += [_unquote(line[start : match.start()]), match.group(0)]
        start = match.end()
    return "".join([*parts, _unquote(line[start:])])


def _unquote(text: str) -> str:
    return re.sub(r'"[^"]*"?', '"…"', re.sub(r"'[^']*'?", "'…'", text))


def tool_version(tool: str) -> str:
    try:
        result = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
        return result.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise BackupError(f"{tool} is not installed (PostgreSQL client tools are needed)") from None


def dump_postgres(
    database: dict[str, Any], path: Path, recipients: list[x25519.Recipient], **kwargs: Any
) -> WrittenFile:
    """``pg_dump -Fc -Z0``'s stdout handed straight to the stream process, which writes ``path``."""
    # From PATH on purpose: the operator's PostgreSQL client tools (README, "Backups").
    process = subprocess.Popen(
        ["pg_dump", "--format=custom", "--compress=0", "--no-password"],  # noqa: S607
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=postgres_env(database),
    )
    assert process.stdout is not None and process.stderr is not None
    stderr = _StderrTail(process.stderr)
    stderr.start()
    try:
        written = encrypt_in_child(path, recipients, stdin=process.stdout, **kwargs)
    except BaseException:
        process.terminate()  # the stream is gone: pg_dump must not wait on a pipe nobody reads
        process.wait()
        raise
    code = process.wait()
    if code != 0:
        raise BackupError(f"pg_dump failed (exit {code}): {stderr.text()}")
    return written


def dump_sqlite(database: dict[str, Any], path: Path, recipients: list[x25519.Recipient], **kwargs: Any) -> WrittenFile:
    """A consistent copy of the SQLite database, made in memory, piped into the stream process."""
    source = sqlite3.connect(f"file:{database['NAME']}?mode=ro", uri=True)
    memory = sqlite3.connect(":memory:")
    try:
        source.backup(memory)
        image = memory.serialize()
    finally:
        source.close()
        memory.close()
    return encrypt_in_child(path, recipients, data=image, **kwargs)


def decrypt_to(path: Path, identities: list[x25519.Identity], sink: IO[bytes]) -> None:
    """age-decrypt and zstd-decompress ``path`` into ``sink`` (a pipe or memory), chunk by chunk."""
    decompressor = zstandard.ZstdDecompressor().stream_writer(sink, closefd=False)
    try:
        with path.open("rb") as file:
            pyrage.decrypt_io(file, decompressor, identities)
        decompressor.flush()
    except pyrage.DecryptError:
        raise BackupError(f"{path.name} does not decrypt with the identity given") from None
    except zstandard.ZstdError:
        raise BackupError(f"{path.name} decrypts but does not decompress: not a Haven backup") from None
    except BrokenPipeError:
        raise  # the reader stopped: its own message says why
    except OSError as exc:
        if exc.errno is not None:
            raise BackupError(f"reading {path.name} failed: {exc.strerror}") from None
        # age authenticates each chunk: a damaged or cut-off file stops at the first bad one.
        raise BackupError(f"{path.name} is damaged or truncated: it stops decrypting part-way") from None


def restore_postgres(database: dict[str, Any], path: Path, identities: list[x25519.Identity]) -> None:
    """Decrypt ``path`` straight into ``pg_restore`` (an empty database); no plaintext file.

    One transaction, stopping at the first error: a damaged archive or a refused
    statement leaves the target as it was, never half-restored.
    """
    command = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    process = subprocess.Popen(  # noqa: S603
        [*command, "--no-password", "-d", database["NAME"]],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=postgres_env(database),
    )
    assert process.stdin is not None and process.stderr is not None
    stderr = _StderrTail(process.stderr)
    stderr.start()
    failed_decrypting: BackupError | None = None
    try:
        decrypt_to(path, identities, process.stdin)
    except BrokenPipeError:
        pass  # pg_restore stopped early: its exit code and message say why
    except BackupError as exc:
        failed_decrypting = exc
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        code = process.wait()
    target = database["NAME"]
    if failed_decrypting is not None:
        raise BackupError(
            f"restoring into {target} stopped, nothing was restored: {failed_decrypting}"
            + (f" (pg_restore: exit {code})" if code else "")
        )
    if code != 0:
        raise BackupError(f"pg_restore into {target} failed (exit {code}), nothing was restored: {stderr.text()}")


def restore_sqlite(database: dict[str, Any], path: Path, identities: list[x25519.Identity]) -> None:
    """Decrypt into memory and copy into the (new) SQLite file named by the target URL."""
    buffer = io.BytesIO()
    decrypt_to(path, identities, buffer)
    memory = sqlite3.connect(":memory:")
    target = sqlite3.connect(database["NAME"])
    try:
        memory.deserialize(buffer.getbuffer())
        memory.backup(target)
    finally:
        memory.close()
        target.close()


def read_age_header(path: Path) -> list[str]:
    """The recipient stanza types of an age file (``X25519`` each), read without any key.

    Raises BackupError when the file does not start with a well-formed age header.
    """
    with path.open("rb") as file:
        head = file.read(MAX_HEADER)
    if not head.startswith(AGE_MAGIC):
        raise BackupError(f"{path.name} is not an age file (its header is missing)")
    stanzas: list[str] = []
    lines = head[len(AGE_MAGIC) :].split(b"\n")
    for line in lines:
        if line.startswith(b"--- "):
            if not stanzas:
                break
            return stanzas
        if line.startswith(b"-> "):
            args = line[3:].split(b" ")
            if not args or not args[0]:
                break
            stanzas.append(args[0].decode("ascii", errors="replace"))
        elif len(line) > 64:
            break  # stanza bodies are base64 lines of at most 64 characters
    raise BackupError(f"{path.name} has a damaged age header")
