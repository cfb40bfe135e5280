"""The embedded (DuckDB) path: a durable local spool the build ingests.

A DuckDB file has one writer process, and the nightly build needs it, so the collector never
opens it. It commits events to a SQLite database next to it (`<db file>.spool`, or
BIZSTATS_SPOOL_PATH) in WAL mode with synchronous=FULL: a commit is on disk (fsynced) before
the client is answered, and any number of collector processes may share the spool (SQLite
serializes their commits).

Every delivery is spooled, a repeated event_id marked as a duplicate: on DuckDB the raw table
keeps every delivery and staging de-duplicates, so the duplicate-rate check sees the repeats.
A quarantined delivery (bizstats.quarantine) is spooled with its reason (column
`quarantine`) and ingested into `_quarantined_events` instead, once per event_id.

The spool holds events as they were sent (user ids, IP addresses): it is created 0600 in a
folder created 0700 (SQLite gives its -wal and -shm files the same mode).

`ingest_spool(target)` moves the spooled rows into the raw `event_logs` under the warehouse
lock (like a load), stamped with one `_loaded_at`: a row's `seq` only grows (one writer at a
time, AUTOINCREMENT), and the last `seq` ingested is stored in DuckDB by the same transaction
as the rows, so an ingest killed at any point neither loses nor repeats a row. Ingested rows
stay in the spool for `KEEP_DAYS` (the ids recognised as duplicates), then are pruned.
Every ingest also copies the spool's collection tally (bizstats.web.collect.tally) into the
raw table `collect_daily_tally`, replacing the days it holds (the spool's counts of a day only
grow), even when no event is new.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bizstats import quarantine
from bizstats.config import Target
from bizstats.contract import LOADED_AT
from bizstats.db import connect, create_table, ensure_raw_tables, qualified
from bizstats.load_ledger import COMMITTED, LEDGER_TABLE, ensure_side_tables
from bizstats.web.collect.events import COLUMNS
from bizstats.web.collect.group_commit import QUARANTINE, Row, StoreUnavailable
from bizstats.web.collect.tally import COLUMNS as TALLY_COLUMNS
from bizstats.web.collect.tally import SPOOL_TABLE as TALLY_SPOOL_TABLE
from bizstats.web.collect.tally import TABLE as TALLY_TABLE

KEEP_DAYS = 7
STATE_TABLE = "_collector_spool"  # DuckDB raw schema: the last seq ingested, per spool
_PARAMS = 500  # ids per lookup (SQLite's parameter limit is higher; this keeps plans small)
_SCHEMA = (
    "create table if not exists spool (seq integer primary key autoincrement, "
    "event_id text not null, duplicate integer not null, received_at text not null, row blob not null, "
    "quarantine text)",
    "create index if not exists spool_event_id on spool (event_id)",
    TALLY_SPOOL_TABLE,  # what the collector did with what it received (bizstats.web.collect.tally)
)


def spool_path(target: Target) -> Path:
    """Where the DuckDB target's collector spools (BIZSTATS_SPOOL_PATH or `<db file>.spool`)."""
    from bizstats.web.collect.settings import CollectorSettings

    path = CollectorSettings.from_env(target).spool_path
    assert path is not None
    return path


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
                _ingest_tally(con, target, spool)
                cutoff = f"{datetime.now(UTC) - timedelta(days=KEEP_DAYS):%Y-%m-%d %H:%M:%S}"
                spool.execute("delete from spool where seq <= ? and received_at < ?", (got, cutoff))
                spool.execute("delete from tally where stat_date < ?", (cutoff[:10],))  # copied above
            finally:
                spool.close()
    return ingested


def _ingest(con: Any, target: Target, spool: sqlite3.Connection, name: str, after: int, upto: int) -> int:
    """One DuckDB transaction: the rows (after, upto] of the spool, the new last seq, a
    ledger entry."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="bizstats-spool-") as tmp:
        rows_file, held_file = Path(tmp) / "rows.ndjson", Path(tmp) / "quarantined.ndjson"
        count = duplicates = held = 0
        with open(rows_file, "wb") as out, open(held_file, "wb") as out_held:
            query = "select row, duplicate, quarantine from spool where seq > ? and seq <= ? order by seq"
            for raw, dup, reason in spool.execute(query, (after, upto)):
                if reason is not None:
                    out_held.write(raw[:-1] + b',"reason":' + orjson.dumps(reason) + b"}\n")
                    held += 1
                    continue
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
            if count:
                con.execute(
                    f"insert into {raw_table} ({names}, {LOADED_AT}) select {names}, ? from "
                    f"read_json('{path_literal}', format = 'newline_delimited', columns = {spec})",
                    (loaded_at,),
                )
            if held:
                _hold(con, target, held_file, spec, loaded_at)
            con.execute(f"delete from {state} where spool = ?", (name,))
            con.execute(f"insert into {state} values (?, ?)", (name, upto))
            digest = hashlib.sha256(f"{name} {after} {upto}".encode()).hexdigest()
            file = f"collector spool {name} seq {after + 1}..{upto}"
            # on the same connection (a DuckDB cursor would be another transaction)
            ledger = qualified(target, target.raw_schema, LEDGER_TABLE)
            if count:
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


def _hold(con: Any, target: Target, rows_file: Path, spec: str, loaded_at: datetime) -> None:
    """The quarantined rows of an ingest into `_quarantined_events` (in the caller's
    transaction), quarantined_at the ingest's time; an event_id already held is kept once."""
    for statement in quarantine.create_statements(target):
        con.execute(statement)
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    held = quarantine.table(target)
    columns = spec[:-1] + ", 'reason': 'varchar'}"
    path_literal = str(rows_file).replace("'", "''")
    con.execute(
        f"insert into {held} ({names}, reason, quarantined_at) "
        f"select distinct on (event_id) {names}, reason, ? from "
        f"read_json('{path_literal}', format = 'newline_delimited', columns = {columns}) as sent "
        f"where not exists (select 1 from {held} as h where h.event_id = sent.event_id)",
        (loaded_at,),
    )


def _ingest_tally(con: Any, target: Target, spool: sqlite3.Connection) -> None:
    """The spool's tally rows into the raw `collect_daily_tally` (one transaction): each
    (day, outcome) the spool holds replaces the stored one; days pruned from the spool stay."""
    rows = spool.execute("select stat_date, outcome, delivered, events from tally").fetchall()
    if not rows:
        return
    table = create_table(con.cursor(), target, target.raw_schema, TALLY_TABLE, TALLY_COLUMNS)
    con.execute("begin")
    try:
        for stat_date, outcome, delivered, events in rows:
            con.execute(f"delete from {table} where stat_date = ? and outcome = ?", (stat_date, outcome))
            con.execute(f"insert into {table} values (?, ?, ?, ?)", (stat_date, outcome, delivered, events))
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise
