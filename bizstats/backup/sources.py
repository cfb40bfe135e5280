"""What a backup reads, as streams of bytes: a file, a consistent copy of a SQLite file (the
spool, the API key store), a `mariadb-dump` of both databases of a MySQL/MariaDB warehouse; and
the `mariadb` client a restore pipes a dump into. The server's password reaches the dump and
the client through an option file of a private temporary folder (0700, deleted after), never a
command line, the environment or a backup."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from bizstats.config import MySQLSettings
from bizstats.errors import BizstatsError

READ = 1 << 20


def file_chunks(path: Path) -> Iterator[bytes]:
    """The bytes of `path`, 1 MiB at a time."""
    with open(path, "rb") as fh:
        while chunk := fh.read(READ):
            yield chunk


@contextlib.contextmanager
def private_folder() -> Iterator[Path]:
    """A temporary folder only this user reads (0700), removed with what it holds."""
    with tempfile.TemporaryDirectory(prefix="bizstats-backup-") as name:
        folder = Path(name)
        folder.chmod(0o700)
        yield folder


def sqlite_copy(path: Path, into: Path) -> Path:
    """A consistent copy of the SQLite database `path` (SQLite's online backup: writers may go
    on meanwhile), written to `into`."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(into)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return into


def _option_file(settings: MySQLSettings, folder: Path) -> Path:
    def value(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    path = folder / "client.cnf"
    path.touch(mode=0o600)
    path.write_text(
        f"[client]\nhost={value(settings.host)}\nport={settings.port}\nuser={value(settings.user)}\n"
        f"password={value(settings.password)}\n",
        encoding="utf-8",
    )
    return path


def _program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BizstatsError(f"{names[0]} is not installed (Debian: apt-get install mariadb-client)")


def _failure(what: str, log: IO[bytes]) -> BizstatsError:
    log.seek(0)
    lines = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return BizstatsError(f"{what} failed: {lines[-1] if lines else 'no message'}")


def mysql_dump(settings: MySQLSettings, databases: list[str], folder: Path) -> Iterator[bytes]:
    """`mariadb-dump --single-transaction` of `databases` (one snapshot for all of them: the
    InnoDB tables as of one moment, writers never blocked), as it comes; a failure of the dump
    is a BizstatsError once its output has ended."""
    command = [
        _program("mariadb-dump", "mysqldump"),
        f"--defaults-extra-file={_option_file(settings, folder)}",
        "--single-transaction",
        "--skip-lock-tables",
        "--no-create-db",
        "--hex-blob",
        "--skip-dump-date",
        "--default-character-set=utf8mb4",
        "--no-tablespaces",
        "--databases",
        *databases,
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        assert process.stdout is not None
        try:
            while chunk := process.stdout.read(READ):
                yield chunk
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            raise _failure("mariadb-dump", log)


def lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a byte stream (each with its newline; the last maybe without)."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split(b"\n")
        for line in whole:
            yield line + b"\n"
    if rest:
        yield rest


def mysql_client(settings: MySQLSettings, stream: Iterable[bytes], folder: Path) -> None:
    """Pipe the SQL `stream` into the `mariadb` client (binary mode: a dump's bytes as they are);
    a statement that fails stops it, and that is a BizstatsError with the client's last line."""
    command = [
        _program("mariadb", "mysql"),
        f"--defaults-extra-file={_option_file(settings, folder)}",
        "--binary-mode",
        "--batch",
        "--default-character-set=utf8mb4",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        assert process.stdin is not None
        try:
            for piece in stream:
                process.stdin.write(piece)
            process.stdin.close()
        except BrokenPipeError:  # the client stopped at an error: its message says which
            pass
        except BaseException:
            process.kill()
            process.wait()
            raise
        if process.wait() != 0:
            raise _failure("the mariadb client", log)
