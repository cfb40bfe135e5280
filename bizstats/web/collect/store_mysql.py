"""Events into MySQL/MariaDB `event_logs`, exactly once, acknowledged after COMMIT.

`_loaded_at` and the build's scan: the build finds new rows by `_loaded_at`
(bizstats.changes), reading the highest committed value as its new watermark. A row
committed later with a lower `_loaded_at` would be missed, so every commit of the collectors
of one warehouse is serialized by the named lock `bizstats:collect:<schema>` (held from the
stamp to the COMMIT), and the stamp is the server's clock, never below the newest stored
`_loaded_at` + 1 µs: commits are stamped in commit order, whatever the number of collector
processes and whatever their clocks. The build's own lock is not needed (a build never waits
for the collector, nor the collector for a build).

Duplicates: a group is first inserted whole with a plain INSERT (the usual case: every id
new, no lookup). If an id is already stored or repeated within the group, that statement
fails whole and the ids already stored are looked up and left out; that insert still carries
the loader's ON DUPLICATE KEY clause (earliest created_at wins) in case a `bizstats load`
stores the same id meanwhile. Each commit adds a row to the load ledger
(rows delivered, duplicates, the same `_loaded_at`), which the duplicate-rate check reads.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
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
_DUPLICATE_KEY = 1062  # ER_DUP_ENTRY


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
        literals = _literals(con, rows)  # the costly part, before the lock is taken
        ids = [row["event_id"] for row in rows]
        cur = con.cursor()
        cur.execute("select get_lock(%s, %s)", (self._lock, _LOCK_WAIT))
        if cur.fetchone()[0] != 1:
            raise pymysql.err.OperationalError(0, "another collector holds the commit lock")
        try:
            cur.execute(
                f"select greatest(now(6), coalesce(max(`{LOADED_AT}`) + interval 1 microsecond, "
                f"now(6))) from {self._raw}"
            )
            (stamp,) = cur.fetchone()
            new = self._insert_rows(cur, ids, literals, f", '{stamp.isoformat(' ')}')")
            digest = hashlib.sha256(f"{stamp.isoformat()} {ids[0]} {len(ids)}".encode()).hexdigest()
            duplicates = new.count(False)
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

    def _insert_rows(self, cur: Any, ids: list[str], literals: list[str], tail: str) -> list[bool]:
        """Insert the rows (each literal closed by `tail`, its `_loaded_at`), _CHUNK a
        statement; per row, True if its event_id is new."""
        new: list[bool] = []
        for start in range(0, len(ids), _CHUNK):
            end = start + _CHUNK
            new += self._insert_chunk(cur, ids[start:end], literals[start:end], tail)
        return new

    def _insert_chunk(self, cur: Any, ids: list[str], literals: list[str], tail: str) -> list[bool]:
        """Optimistic: a plain INSERT of every row, the usual case. When an id is already
        stored (or repeated) it fails whole (InnoDB undoes the statement, not the
        transaction); then the ids stored, by earlier statements of this transaction too, are
        looked up and only the others inserted, with the loader's keep-earliest clause against
        a concurrent load of the same id."""
        try:
            cur.execute(self._insert + ", ".join(lit + tail for lit in literals))
            return [True] * len(ids)
        except pymysql.err.IntegrityError as exc:
            if exc.args[0] != _DUPLICATE_KEY:
                raise
        marks = ", ".join(["%s"] * len(ids))
        cur.execute(f"select event_id from {self._raw} where event_id in ({marks})", ids)
        stored = {r[0] for r in cur.fetchall()}
        new = []
        for event_id in ids:
            new.append(event_id not in stored)
            stored.add(event_id)
        fresh = [lit + tail for lit, is_new in zip(literals, new, strict=True) if is_new]
        if fresh:
            cur.execute(self._insert + ", ".join(fresh) + self._upsert)
        return new

    def close(self) -> None:
        if self._con is not None:
            with contextlib.suppress(pymysql.err.MySQLError):
                self._con.close()
            self._con = None


def _literals(con: Any, rows: list[Row]) -> list[str]:
    """Each row's VALUES tuple without its closing `_loaded_at`. Datetimes are written here:
    the driver's per-value formatting of them cost more than the insert itself; strings (and
    anything else) go through the driver's `escape`, which honours the server's SQL mode."""
    escape = con.escape
    out = []
    for row in rows:
        values = []
        for name in COLUMNS:
            value = row[name]
            if value is None:
                values.append("NULL")
            elif type(value) is datetime:
                values.append("'" + value.isoformat(" ") + "'")
            else:
                values.append(escape(value))
        out.append("(" + ", ".join(values))
    return out
