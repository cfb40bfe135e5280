"""The embedded (DuckDB) path: the collector's durable local spool, which the build ingests
(bizstats.load.collected.ingest).

A DuckDB file has one writer process, and the nightly build needs it, so the collector never
opens it. It commits events to a SQLite database next to it (`<db file>.spool`, or
BIZSTATS_SPOOL_PATH) in WAL mode with synchronous=FULL: a commit is on disk (fsynced) before
the client is answered, and any number of collector processes may share the spool (SQLite
serializes their commits).

Every delivery is spooled, a repeated event_id marked as a duplicate: on DuckDB the raw table
keeps every delivery and staging de-duplicates, so the duplicate-rate check sees the repeats.
A quarantined delivery (bizstats.load.quarantine) is spooled with its reason (column
`quarantine`) and ingested into `_quarantined_events` instead, once per event_id.

The spool holds events as they were sent (user ids, IP addresses): it is created 0600 in a
folder created 0700 (SQLite gives its -wal and -shm files the same mode).

"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.load.collected.group_commit import QUARANTINE, Row, StoreUnavailable
from bizstats.settings import settings

COLUMNS = TABLES["event_logs"].column_names
_PARAMS = 500  # ids per lookup (SQLite's parameter limit is higher; this keeps plans small)
_SCHEMA = (
    "create table if not exists spool (seq integer primary key autoincrement, "
    "event_id text not null, duplicate integer not null, received_at text not null, row blob not null, "
    "quarantine text)",
    "create index if not exists spool_event_id on spool (event_id)",
    # what the collector did with what it received, per local day (bizstats.load.collected.tally)
    "create table if not exists tally (stat_date text not null, outcome text not null, "
    "delivered integer not null, events integer not null, primary key (stat_date, outcome))",
)


def spool_path(target: Target) -> Path:
    """Where the DuckDB target's collector spools: BIZSTATS_SPOOL_PATH, else `<db file>.spool`.
    Read alone, so that no other collector setting can fail a build."""
    spool = settings().storage.spool_path
    if spool is not None:
        return spool.resolve()
    return target.duckdb_path.with_name(target.duckdb_path.name + ".spool")


def open_spool(path: Path) -> sqlite3.Connection:
    """A connection to the spool, created if missing (0600, its folder 0700); autocommit
    (explicit BEGINs). A spool of an earlier version gets the `quarantine` column."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("pragma journal_mode = wal")
    con.execute("pragma synchronous = full")
    for stmt in _SCHEMA:
        con.execute(stmt)
    if "quarantine" not in {column for _, column, *_ in con.execute("pragma table_info(spool)")}:
        with contextlib.suppress(sqlite3.OperationalError):  # another process added it first
            con.execute("alter table spool add column quarantine text")
    return con


def _encode(row: Row) -> bytes:
    return orjson.dumps({c: row[c] for c in COLUMNS})


class SpoolStore:
    """The group-commit store of the DuckDB target."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._con: sqlite3.Connection | None = None

    def encode(self, row: Row) -> bytes:
        return _encode(row)

    def write(self, rows: list[Row], encoded: list[bytes]) -> list[bool]:
        try:
            if self._con is None:
                self._con = open_spool(self._path)
            return self._write(self._con, rows, encoded)
        except sqlite3.Error as exc:
            self.close()
            raise StoreUnavailable(f"spool {self._path}: {exc}") from exc

    def _write(self, con: sqlite3.Connection, rows: list[Row], encoded: list[bytes]) -> list[bool]:
        con.execute("begin immediate")
        try:
            ids = [row["event_id"] for row in rows]
            seen: set[str] = set()
            for start in range(0, len(ids), _PARAMS):
                chunk = sorted(set(ids[start : start + _PARAMS]))
                marks = ", ".join("?" * len(chunk))
                found = con.execute(f"select event_id from spool where event_id in ({marks})", chunk)
                seen.update(r[0] for r in found)
            new = []
            for event_id in ids:
                new.append(event_id not in seen)
                seen.add(event_id)
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
            con.executemany(
                "insert into spool (event_id, duplicate, received_at, row, quarantine) "
                "values (?, ?, ?, ?, ?)",
                [
                    (row["event_id"], int(not n), now, blob, row.get(QUARANTINE))
                    for row, n, blob in zip(rows, new, encoded, strict=True)
                ],
            )
            con.execute("commit")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                con.execute("rollback")
            raise
        return new

    def close(self) -> None:
        if self._con is not None:
            with contextlib.suppress(sqlite3.Error):
                self._con.close()
            self._con = None


def spooled_rows(path: Path) -> list[Row]:
    """Every delivery still in the spool, oldest first (the real-time rebuild's input)."""
    if not path.is_file():
        return []
    con = open_spool(path)
    try:
        query = "select row from spool where quarantine is null order by seq"
        return [orjson.loads(raw) for (raw,) in con.execute(query)]
    finally:
        con.close()
