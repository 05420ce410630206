"""The byte streams of a backup: database -> zstd -> age -> file, and back.

Nothing here writes plaintext anywhere but a pipe or memory: the dump is read
from ``pg_dump``'s stdout (or SQLite's in-memory copy), compressed and
encrypted in fixed-size chunks, and only ciphertext reaches the disk. Memory
stays bounded by the buffers below, whatever the database size (SQLite, the
laptop default, is copied into memory whole).

zstd was chosen by measuring (README, "Backups"): ``pg_dump -Z0`` piped
through zstd level 1 is several times faster than pg_dump's own gzip at a
similar size, and ``zstd -d`` is a standard tool for restoring by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import queue
import re
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyrage
import zstandard
from pyrage import x25519

CHUNK = 1 << 20  # bytes read from the dump at a time
PREFETCH = 8  # chunks read ahead of the compressor: the most plaintext held in memory
ZSTD_LEVEL = 1  # measured: on dumps that are mostly ciphertext, level 3 costs twice the CPU for no smaller file
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


class HashingWriter:
    """Writes to a file, keeping the SHA-256 and size of what went through; reports progress."""

    def __init__(self, file: IO[bytes], progress: Callable[[int], None] | None = None) -> None:
        self.file = file
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._progress = progress
        self._reported = 0

    def write(self, data: bytes) -> int:
        self.file.write(data)
        self.sha256.update(data)
        self.size += len(data)
        if self._progress and self.size - self._reported >= 16 * CHUNK:
            self._reported = self.size
            self._progress(self.size)
        return len(data)

    def flush(self) -> None:
        self.file.flush()


@dataclass(frozen=True)
class WrittenFile:
    name: str
    size: int
    sha256: str


def create_private(path: Path) -> IO[bytes]:
    # O_EXCL and 0600 from the first byte: never another file's content, never world-readable.
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


class Compressing(io.RawIOBase):
    """``source`` zstd-compressed by a thread of its own, up to PREFETCH chunks ahead.

    Reading, compressing (zstd releases the GIL) and encrypting then run at
    once, as the three processes of ``pg_dump | zstd | age`` would; without
    it pg_dump would block on a full 64 KB pipe whenever this process is busy
    encrypting. Memory stays bounded by PREFETCH chunks either side.
    """

    def __init__(self, source: IO[bytes]) -> None:
        super().__init__()
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=PREFETCH)
        self._pending = memoryview(b"")
        self._done = False
        self._thread = threading.Thread(target=self._pump, args=(source,), daemon=True)
        self._thread.start()

    def _pump(self, source: IO[bytes]) -> None:
        try:
            compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj()
            for chunk in iter(lambda: source.read(CHUNK), b""):
                out = compressor.compress(chunk)
                if out:
                    self._chunks.put(out)
            self._chunks.put(compressor.flush())
            self._chunks.put(b"")
        except BaseException as exc:  # handed to the reading thread, which raises it
            self._chunks.put(exc)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._done:
            item = self._chunks.get()
            if isinstance(item, BaseException):
                raise item
            self._pending, self._done = memoryview(item), not item
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def encrypt_stream(
    source: IO[bytes],
    path: Path,
    recipients: list[x25519.Recipient],
    progress: Callable[[int], None] | None = None,
) -> WrittenFile:
    """zstd-compress and age-encrypt ``source`` into a new file at ``path`` (mode 0600)."""
    # pyrage pulls 8 KB at a time: a buffer keeps those calls in C.
    reader = io.BufferedReader(Compressing(source), buffer_size=CHUNK)
    with create_private(path) as file:
        writer = HashingWriter(file, progress)
        pyrage.encrypt_io(reader, writer, recipients)
        file.flush()
        os.fsync(file.fileno())
    return WrittenFile(path.name, writer.size, writer.sha256.hexdigest())


def encrypt_bytes(data: bytes, path: Path, recipients: list[x25519.Recipient]) -> WrittenFile:
    """A small file (the keyring), age-encrypted without compression, at ``path`` (mode 0600)."""
    ciphertext = pyrage.encrypt(data, recipients)
    with create_private(path) as file:
        file.write(ciphertext)
        file.flush()
        os.fsync(file.fileno())
    return WrittenFile(path.name, len(ciphertext), hashlib.sha256(ciphertext).hexdigest())


def postgres_env(database: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for a Django DATABASES entry: the password never goes on a command line."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
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
    """``pg_dump -Fc -Z0`` streamed through zstd and age into ``path``."""
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
        written = encrypt_stream(process.stdout, path, recipients, **kwargs)
    finally:
        process.stdout.close()
        code = process.wait()
    if code != 0:
        raise BackupError(f"pg_dump failed (exit {code}): {stderr.text()}")
    return written


def dump_sqlite(database: dict[str, Any], path: Path, recipients: list[x25519.Recipient], **kwargs: Any) -> WrittenFile:
    """A consistent copy of the SQLite database, made in memory, streamed through zstd and age."""
    source = sqlite3.connect(f"file:{database['NAME']}?mode=ro", uri=True)
    memory = sqlite3.connect(":memory:")
    try:
        source.backup(memory)
        image = memory.serialize()
    finally:
        source.close()
        memory.close()
    return encrypt_stream(io.BytesIO(image), path, recipients, **kwargs)


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
