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
Quarantined rows (bizstats.load.quarantine) go to `_quarantined_events` in the same transaction.

A row the server refuses (a constraint such as extra_data's JSON check, a value too long or
out of range: ROW_ERRORS) rolls the transaction back and raises RowRefused, with a reason
naming the kind of error only (no schema or SQL); the connection stays open. Any other
error closes the connection and raises StoreUnavailable.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from typing import Any

import pymysql
from pymysql.converters import escape_item, escape_string

from bizstats.config import Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import ensure_raw_tables, mysql_connect, qualified
from bizstats.errors import BizstatsError
from bizstats.load import quarantine
from bizstats.load.collected.group_commit import QUARANTINE, Row, RowRefused, StoreUnavailable
from bizstats.load.ledger import COMMITTED, ensure_side_tables, record_statement
from bizstats.load.write import keep_earliest
from bizstats.settings import settings

COLUMNS = TABLES["event_logs"].column_names

LEDGER_FILE = "collector"  # the load ledger's `file` of the collector's commits
_CHUNK = 1000  # rows per INSERT statement
_LOCK_WAIT = 10  # seconds a commit waits for another collector's
_DUPLICATE_KEY = 1062  # ER_DUP_ENTRY
# errors about a row's values (MySQL 8 and MariaDB codes): that row is refused, not the store
ROW_ERRORS = {
    1048: "a required value is missing",
    1264: "a number is out of range",
    1265: "a value was truncated",
    1292: "a value has the wrong format",
    1366: "a value has the wrong type or encoding",
    1406: "a value is too long",
    1644: "a trigger refused it",
    1690: "a number is out of range",
    3140: "extra_data is not JSON the database accepts",
    3141: "extra_data is not JSON the database accepts",
    3146: "extra_data is not JSON the database accepts",
    3819: "a value breaks a check constraint",
    4025: "a value breaks a check constraint (e.g. extra_data not JSON the database accepts)",
}


class MySQLStore:
    """One connection, used by the group-commit thread only; reconnects after a failure.

    A commit is three round trips: the lock and the stamp; the insert; the ledger row, COMMIT
    and the lock's release (statements sent together, each group run in order by the server,
    stopping at the first error). The rows' SQL text is made by the requests' threads
    (`encode`): the group-commit thread, whose work is serialized, only sends it."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._con: Any = None
        self._raw = qualified(target, target.raw_schema, "event_logs")
        lock = quarantine.event_commit_lock(target)
        names = ", ".join(f"`{c}`" for c in (*COLUMNS, LOADED_AT))
        self._insert = f"insert into {self._raw} ({names}) values "
        held = ", ".join(f"`{c}`" for c in (*COLUMNS, "reason", "quarantined_at"))
        self._quarantine = f"insert into {quarantine.table(target)} ({held}) values "
        self._keep_first = " on duplicate key update `quarantine_id` = `quarantine_id`"
        self._upsert = keep_earliest(TABLES["event_logs"], self._raw)
        self._lock_and_stamp = (
            f"select get_lock({escape_item(lock, 'utf8mb4')}, {_LOCK_WAIT}); "
            f"select greatest(now(6), coalesce(max(`{LOADED_AT}`) + interval 1 microsecond, now(6))) "
            f"from {self._raw}"
        )
        self._release = f"select release_lock({escape_item(lock, 'utf8mb4')})"

    def _connection(self) -> Any:
        if self._con is None:
            try:
                ensure_raw_tables(self._target)
                con = mysql_connect(settings().mysql, self._target.raw_schema, multi_statements=True)
                # the rows' text is escaped without the connection (encode): backslashes must
                # be escapes in this session whatever the server's default sql_mode
                con.cursor().execute("set session sql_mode = replace(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')")
                ensure_side_tables(con, self._target)
                quarantine.ensure_table(con.cursor(), self._target)
                con.commit()
            except BizstatsError as exc:
                raise StoreUnavailable(str(exc)) from exc
            self._con = con
        return self._con

    def encode(self, row: Row) -> str:
        """The row's VALUES tuple without its closing `_loaded_at` (the commit's stamp).
        Datetimes are written here (the driver's per-value formatting of them cost more
        than the insert itself); anything else is escaped as the driver does."""
        values = []
        for name in COLUMNS:
            value = row[name]
            if value is None:
                values.append("NULL")
            elif type(value) is str:
                values.append("'" + escape_string(value) + "'")
            elif type(value) is datetime:
                values.append("'" + value.isoformat(" ") + "'")
            else:
                values.append(escape_item(value, "utf8mb4"))
        return "(" + ", ".join(values)

    def write(self, rows: list[Row], encoded: list[str]) -> list[bool]:
        con = self._connection()
        try:
            return self._write(con, rows, encoded)
        except pymysql.err.MySQLError as exc:
            code = exc.args[0] if exc.args else None
            if code in ROW_ERRORS:
                reason = f"the database refused this event: {ROW_ERRORS[code]} (error {code})"
                raise RowRefused(reason) from exc
            self.close()
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _write(self, con: Any, rows: list[Row], literals: list[str]) -> list[bool]:
        original = rows
        held = [(row, lit) for row, lit in zip(rows, literals, strict=True) if QUARANTINE in row]
        if held:
            kept = [(row, lit) for row, lit in zip(rows, literals, strict=True) if QUARANTINE not in row]
            rows, literals = [row for row, _ in kept], [lit for _, lit in kept]
        ids = [row["event_id"] for row in rows]
        cur = con.cursor()
        cur.execute(self._lock_and_stamp)
        (locked,) = cur.fetchone()
        cur.nextset()
        (stamp,) = cur.fetchone()
        if locked != 1:
            raise pymysql.err.OperationalError(0, "another collector holds the commit lock")
        released = False
        stamp_literal = f"'{stamp.isoformat(' ')}'"
        try:
            new = self._insert_rows(cur, ids, literals, f", {stamp_literal})")
            if held:
                values = ", ".join(
                    f"{lit}, '{escape_string(row[QUARANTINE])}', {stamp_literal})" for row, lit in held
                )
                cur.execute(self._quarantine + values + self._keep_first)
            if ids:
                digest = hashlib.sha256(f"{stamp.isoformat()} {ids[0]} {len(ids)}".encode()).hexdigest()
                duplicates = new.count(False)
                count = len(rows)
                entry = ("event_logs", LEDGER_FILE, digest, count, count, 0, duplicates, COMMITTED, stamp)
                ledger = cur.mogrify(*record_statement(self._target, entry)) + "; "
            else:
                ledger = ""
            cur.execute(f"{ledger}commit; {self._release}")
            while cur.nextset():  # the server runs the rest as they are read
                pass
            released = True
        except BaseException:
            with contextlib.suppress(pymysql.err.MySQLError):
                con.rollback()
            raise
        finally:
            if not released:
                with contextlib.suppress(pymysql.err.MySQLError):
                    cur.execute(self._release)
        if not held:
            return new
        stored = iter(new)  # the event rows' outcomes, in order; a quarantined row is stored
        return [True if QUARANTINE in row else next(stored) for row in original]

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
