"""The embedded (DuckDB) path: a durable local spool the build ingests.

A DuckDB file has one writer process, and the nightly build needs it, so the collector never
opens it. It commits events to a SQLite database next to it (`<db file>.spool`, or
BIZSTATS_SPOOL_PATH) in WAL mode with synchronous=FULL: a commit is on disk (fsynced) before
the client is answered, and any number of collector processes may share the spool (SQLite
serializes their commits).

Every delivery is spooled, a repeated event_id marked as a duplicate: on DuckDB the raw table
keeps every delivery and staging de-duplicates, so the duplicate-rate check sees the repeats.

`ingest_spool(target)` moves the spooled rows into the raw `event_logs` under the warehouse
lock (like a load), stamped with one `_loaded_at`: a row's `seq` only grows (one writer at a
time, AUTOINCREMENT), and the last `seq` ingested is stored in DuckDB by the same transaction
as the rows, so an ingest killed at any point neither loses nor repeats a row. Ingested rows
stay in the spool for `KEEP_DAYS` (the ids recognised as duplicates), then are pruned.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from bizstats.config import Target
from bizstats.contract import LOADED_AT
from bizstats.db import connect, ensure_raw_tables, qualified
from bizstats.load_ledger import COMMITTED, LEDGER_TABLE, ensure_side_tables
from bizstats.web.collect.events import COLUMNS
from bizstats.web.collect.group_commit import Row, StoreUnavailable

KEEP_DAYS = 7
STATE_TABLE = "_collector_spool"  # DuckDB raw schema: the last seq ingested, per spool
_PARAMS = 500  # ids per lookup (SQLite's parameter limit is higher; this keeps plans small)
_SCHEMA = (
    "create table if not exists spool (seq integer primary key autoincrement, "
    "event_id text not null, duplicate integer not null, received_at text not null, row blob not null)",
    "create index if not exists spool_event_id on spool (event_id)",
)


def spool_path(target: Target) -> Path:
    """Where the DuckDB target's collector spools (BIZSTATS_SPOOL_PATH or `<db file>.spool`)."""
    from bizstats.web.collect.settings import CollectorSettings

    path = CollectorSettings.from_env(target).spool_path
    assert path is not None
    return path


def open_spool(path: Path) -> sqlite3.Connection:
    """A connection to the spool, created if missing; autocommit (explicit BEGINs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("pragma journal_mode = wal")
    con.execute("pragma synchronous = full")
    for stmt in _SCHEMA:
        con.execute(stmt)
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
            now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            con.executemany(
                "insert into spool (event_id, duplicate, received_at, row) values (?, ?, ?, ?)",
                [(i, int(not n), now, blob) for i, n, blob in zip(ids, new, encoded, strict=True)],
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
        return [orjson.loads(raw) for (raw,) in con.execute("select row from spool order by seq")]
    finally:
        con.close()


def _ingested_seq(con: Any, target: Target, spool: str) -> int:
    state = qualified(target, target.raw_schema, STATE_TABLE)
    con.execute(f"create table if not exists {state} (spool varchar primary key, last_seq bigint not null)")
    found = con.execute(f"select last_seq from {state} where spool = ?", (spool,)).fetchall()
    return int(found[0][0]) if found else 0


def ingest_spool(target: Target) -> int:
    """Move the spooled events into the DuckDB raw `event_logs`, under the warehouse lock;
    returns the rows ingested. Call it before a build plans its range (the build then sees
    the rows through their `_loaded_at` like any load). A no-op on MySQL."""
    from bizstats.lock import warehouse_lock

    if target.name != "duckdb":
        return 0
    path = spool_path(target)
    if not path.is_file():
        return 0
    with warehouse_lock(target, "ingest"):
        ensure_raw_tables(target)
        with connect(target) as con:
            ensure_side_tables(con, target)
            after = _ingested_seq(con, target, str(path))
            spool = open_spool(path)
            try:
                got = spool.execute("select max(seq) from spool").fetchone()[0] or 0
                ingested = _ingest(con, target, spool, str(path), after, got) if got > after else 0
                cutoff = f"{datetime.now(timezone.utc) - timedelta(days=KEEP_DAYS):%Y-%m-%d %H:%M:%S}"
                spool.execute("delete from spool where seq <= ? and received_at < ?", (got, cutoff))
            finally:
                spool.close()
    return ingested


def _ingest(con: Any, target: Target, spool: sqlite3.Connection, name: str, after: int, upto: int) -> int:
    """One DuckDB transaction: the rows (after, upto] of the spool, the new last seq, a
    ledger entry."""
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="bizstats-spool-") as tmp:
        rows_file = Path(tmp) / "rows.ndjson"
        count = duplicates = 0
        with open(rows_file, "wb") as out:
            query = "select row, duplicate from spool where seq > ? and seq <= ? order by seq"
            for raw, dup in spool.execute(query, (after, upto)):
                out.write(raw + b"\n")
                count += 1
                duplicates += dup
        types = {c: ("varchar" if c not in ("amount", "event_time", "created_at") else
                     "decimal(18,2)" if c == "amount" else "timestamp") for c in COLUMNS}  # fmt: skip
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
        names = ", ".join(f'"{c}"' for c in COLUMNS)
        raw_table = qualified(target, target.raw_schema, "event_logs")
        state = qualified(target, target.raw_schema, STATE_TABLE)
        path_literal = str(rows_file).replace("'", "''")
        con.execute("begin")
        try:
            con.execute(
                f"insert into {raw_table} ({names}, {LOADED_AT}) select {names}, ? from "
                f"read_json('{path_literal}', format = 'newline_delimited', columns = {spec})",
                (loaded_at,),
            )
            con.execute(f"delete from {state} where spool = ?", (name,))
            con.execute(f"insert into {state} values (?, ?)", (name, upto))
            digest = hashlib.sha256(f"{name} {after} {upto}".encode()).hexdigest()
            file = f"collector spool {name} seq {after + 1}..{upto}"
            # on the same connection (a DuckDB cursor would be another transaction)
            ledger = qualified(target, target.raw_schema, LEDGER_TABLE)
            con.execute(
                f"insert into {ledger} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ("event_logs", file, digest, count, count, 0, duplicates, COMMITTED, loaded_at),
            )
            con.execute("commit")
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("rollback")
            raise
    return count
