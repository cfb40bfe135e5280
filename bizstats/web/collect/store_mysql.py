"""Events into MySQL/MariaDB `event_logs`, exactly once, acknowledged after COMMIT.

`_loaded_at` and the build's scan: the build finds new rows by `_loaded_at`
(bizstats.changes), reading the highest committed value as its new watermark. A row
committed later with a lower `_loaded_at` would be missed, so every commit of the collectors
of one warehouse is serialized by the named lock `bizstats:collect:<schema>` (held from the
stamp to the COMMIT), and the stamp is the server's clock, never below the newest stored
`_loaded_at` + 1 µs: commits are stamped in commit order, whatever the number of collector
processes and whatever their clocks. The build's own lock is not needed (a build never waits
for the collector, nor the collector for a build).

Duplicates: the ids already stored (or repeated within the group) are not inserted; the
insert still carries the loader's ON DUPLICATE KEY clause (earliest created_at wins) in case
a `bizstats load` stores the same id meanwhile. Each commit adds a row to the load ledger
(rows delivered, duplicates, the same `_loaded_at`), which the duplicate-rate check reads.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

import pymysql

from bizstats.config import MySQLSettings, Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import ensure_raw_tables, mysql_connect, qualified
from bizstats.errors import BizstatsError
from bizstats.load_ledger import COMMITTED, ensure_side_tables, record
from bizstats.load_write import keep_earliest
from bizstats.web.collect.events import COLUMNS
from bizstats.web.collect.group_commit import Row, StoreUnavailable

LEDGER_FILE = "collector"  # the load ledger's `file` of the collector's commits
_CHUNK = 1000  # rows per INSERT statement
_LOCK_WAIT = 10  # seconds a commit waits for another collector's


class MySQLStore:
    """One connection, used by the group-commit thread only; reconnects after a failure."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._con: Any = None
        self._raw = qualified(target, target.raw_schema, "event_logs")
        settings = MySQLSettings.from_env()
        self._lock = f"bizstats:collect:{settings.schema}"[:64]
        names = ", ".join(f"`{c}`" for c in (*COLUMNS, LOADED_AT))
        self._insert = f"insert into {self._raw} ({names}) values "
        self._upsert = keep_earliest(TABLES["event_logs"], self._raw)
        self._row_sql = "(" + ", ".join(["%s"] * (len(COLUMNS) + 1)) + ")"

    def _connection(self) -> Any:
        if self._con is None:
            try:
                ensure_raw_tables(self._target)
                con = mysql_connect(MySQLSettings.from_env(), self._target.raw_schema)
                ensure_side_tables(con, self._target)
                con.commit()
            except BizstatsError as exc:
                raise StoreUnavailable(str(exc)) from exc
            self._con = con
        return self._con

    def write(self, rows: list[Row]) -> list[bool]:
        con = self._connection()
        try:
            return self._write(con, rows)
        except pymysql.err.MySQLError as exc:
            self.close()
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _write(self, con: Any, rows: list[Row]) -> list[bool]:
        cur = con.cursor()
        cur.execute("select get_lock(%s, %s)", (self._lock, _LOCK_WAIT))
        if cur.fetchone()[0] != 1:
            raise pymysql.err.OperationalError(0, "another collector holds the commit lock")
        try:
            ids = [row["event_id"] for row in rows]
            stored = set()
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                cur.execute(
                    f"select event_id from {self._raw} where event_id in ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
                stored.update(r[0] for r in cur.fetchall())
            new = []
            for event_id in ids:
                new.append(event_id not in stored)
                stored.add(event_id)
            cur.execute(
                f"select greatest(now(6), coalesce(max(`{LOADED_AT}`) + interval 1 microsecond, "
                f"now(6))) from {self._raw}"
            )
            (stamp,) = cur.fetchone()
            fresh = [row for row, is_new in zip(rows, new, strict=True) if is_new]
            for start in range(0, len(fresh), _CHUNK):
                chunk = fresh[start : start + _CHUNK]
                flat: list[Any] = []
                for row in chunk:
                    flat.extend(row[c] for c in COLUMNS)
                    flat.append(stamp)
                cur.execute(self._insert + ", ".join([self._row_sql] * len(chunk)) + self._upsert, flat)
            duplicates = len(rows) - len(fresh)
            digest = hashlib.sha256(f"{stamp.isoformat()} {ids[0]} {len(ids)}".encode()).hexdigest()
            entry = ("event_logs", LEDGER_FILE, digest, len(rows), len(rows), 0, duplicates, COMMITTED, stamp)
            record(con, self._target, entry)
            con.commit()
        except BaseException:
            with contextlib.suppress(pymysql.err.MySQLError):
                con.rollback()
            raise
        finally:
            with contextlib.suppress(pymysql.err.MySQLError):
                cur.execute("select release_lock(%s)", (self._lock,))
        return new

    def close(self) -> None:
        if self._con is not None:
            with contextlib.suppress(pymysql.err.MySQLError):
                self._con.close()
            self._con = None
