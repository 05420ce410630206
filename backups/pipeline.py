"""The backup stream, in a lean process of its own: plaintext on stdin -> zstd -> age -> a new file.

    python -I backups/pipeline.py OUTPUT RECIPIENT [RECIPIENT ...]    (run by backups.streams)

Reads the dump from stdin (``pg_dump``'s stdout, handed over directly, or
SQLite's in-memory image written into a pipe), compresses it with zstd level 1
and encrypts it with age to the recipients (``age1...`` public keys) into
OUTPUT, a new file created with mode 0600 (O_EXCL). Plaintext is only ever in
the pipe and in this process's memory. Reports on stdout, one JSON object a
line: ``{"size": N}`` as the file grows, then ``{"size": N, "sha256": HEX,
"peak_kb": N}`` when the file is complete and fsynced; on failure one line
``{"error": TEXT}`` (never with data), the partial file removed, exit 1.

This file imports only the standard library, ``zstandard`` and ``pyrage``:
never Django, so the process that holds the backup stream costs a few MB, not
a whole application (README, "Backups"). Run it by path with ``-I`` (isolated:
no environment variables, no current directory on the import path).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import resource
import sys
from typing import IO, Any

import pyrage
import zstandard
from pyrage import x25519

CHUNK = 1 << 20  # bytes read from the dump at a time
ZSTD_LEVEL = 1  # measured: on dumps that are mostly ciphertext, level 3 costs twice the CPU for no smaller file
REPORT_EVERY = 16 * CHUNK  # progress lines: one per 16 MB written


def create_private(path: str) -> IO[bytes]:
    # O_EXCL and 0600 from the first byte: never another file's content, never world-readable.
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb", buffering=0)


def say(report: IO[str], **fields: Any) -> None:
    report.write(json.dumps(fields) + "\n")
    report.flush()


class HashingWriter:
    """Writes to a file, keeping the SHA-256 and size of what went through; reports progress."""

    def __init__(self, file: IO[bytes], report: IO[str] | None) -> None:
        self.file = file
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._report = report
        self._reported = 0
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        try:
            while view:  # a raw write may take less than it was given
                view = view[self.file.write(view) or 0 :]
        except OSError as exc:
            self.error = exc  # pyrage reports it as an EncryptError: the cause is kept here
            raise
        self.sha256.update(data)
        self.size += len(data)
        if self._report is not None and self.size - self._reported >= REPORT_EVERY:
            self._reported = self.size
            say(self._report, size=self.size)
        return len(data)

    def flush(self) -> None:
        pass


def encrypt(source: IO[bytes], path: str, recipients: list[x25519.Recipient], report: IO[str] | None) -> dict[str, Any]:
    """zstd-compress and age-encrypt ``source`` into a new file at ``path``; its size and SHA-256.

    On any failure the file is removed and the error raised (a disk error as the OSError,
    even when pyrage wraps it in an EncryptError).
    """
    file = create_private(path)  # FileExistsError: not ours, left alone
    writer = HashingWriter(file, report)
    try:
        with file:
            # zstd compresses in a worker thread of its own (threads=1), outside the GIL, while
            # this thread encrypts: the two run at once, as ``zstd | age`` would. pyrage pulls
            # 8 KB at a time: the buffer keeps those calls in C.
            compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=1)
            with compressor.stream_reader(source, read_size=CHUNK, closefd=False) as compressed:
                reader = io.BufferedReader(compressed, buffer_size=CHUNK)  # type: ignore[arg-type]
                try:
                    pyrage.encrypt_io(reader, writer, recipients)
                except pyrage.EncryptError:
                    if writer.error is not None:
                        raise writer.error from None
                    raise
            os.fsync(file.fileno())
    except BaseException:
        _remove(path)
        raise
    return {"size": writer.size, "sha256": writer.sha256.hexdigest()}


def main(argv: list[str]) -> int:
    report = sys.stdout
    if len(argv) < 2:
        say(report, error="usage: pipeline.py OUTPUT RECIPIENT [RECIPIENT ...]")
        return 2
    try:
        recipients = [x25519.Recipient.from_str(value) for value in argv[1:]]
    except pyrage.RecipientError:
        say(report, error="a recipient is not an age X25519 public key (age1...)")
        return 2
    try:
        source = os.fdopen(0, "rb", buffering=0, closefd=False)  # the pipe itself: zstd reads 1 MB at a time
        result = encrypt(source, argv[0], recipients, report)
    except FileExistsError:
        say(report, error="the output file exists already")
        return 1
    except OSError as exc:
        # errno travels too: the parent raises it as an OSError, so a full disk reads as one
        say(report, error=f"cannot write the backup ({exc.strerror or type(exc).__name__})", errno=exc.errno)
        return 1
    except (pyrage.EncryptError, zstandard.ZstdError) as exc:
        say(report, error=f"the backup stream failed ({type(exc).__name__})")
        return 1
    result["peak_kb"] = peak_kb()
    say(report, **result)
    return 0


def peak_kb() -> int:
    """This process's peak resident memory in KB since it started running this program.

    /proc's VmHWM, not getrusage: on Linux ru_maxrss survives exec, so it would count
    the (larger) process this one was forked from.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
