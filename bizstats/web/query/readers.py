"""Read-only connections for the query API, one kind per target, safe to use from the
threads FastAPI runs requests on.

- DuckDB: the current snapshot of the warehouse (snapshot.py), opened read-only; a query
  takes a cursor of it (DuckDB cursors are connections of their own, one per thread) and the
  reader moves to a newer snapshot as soon as one is published. Every REFRESH_SECONDS it also
  takes a new snapshot itself when the warehouse changed without a build (e.g. `bizstats
  alerts ack`) and no build or load holds the warehouse.
- MySQL/MariaDB: one autocommit connection per thread, reconnected when the server dropped
  it. Autocommit: every statement sees the last committed build (a long transaction under
  REPEATABLE READ would keep showing the numbers of its first read); InnoDB's MVCC lets reads
  run while a build replaces a range in a transaction.
- Spark: the marts are read live over a small pool of PyHive sessions to the Thrift server
  (at most POOL_SIZE at once; a session that failed is closed, not reused). A server that is
  down is one BizstatsError (the API's 503), and the next request tries again. The
  bookkeeping the API reads (the warehouse id, the builds log, the alerts) is in the target's
  control database, a DuckDB file: read through its snapshots like a DuckDB warehouse
  (`control_reader`).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
import pymysql

from bizstats.config import Target
from bizstats.db import DB_ERRORS, database_error, describe, mysql_connect, placeholder, spark_connect
from bizstats.errors import BizstatsError
from bizstats.publish.snapshot import current_snapshot, ensure_snapshot
from bizstats.settings import settings
from bizstats.spark import sql as spark_sql

REFRESH_SECONDS = 30.0
POOL_SIZE = 4  # Spark: sessions open at once per API process
SESSION_WAIT_SECONDS = 30.0  # Spark: how long a request waits for a free session (then a 503)
T = TypeVar("T")


class Reader(Protocol):
    target: Target

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a read-only query (placeholders as bizstats.db.placeholder says)."""

    def tables(self) -> set[str]:
        """The tables of the target's models schema."""


def _information_schema(reader: Reader) -> set[str]:
    rows = reader.fetch(
        f"select table_name from information_schema.tables where table_schema = {placeholder(reader.target)}",
        [reader.target.models_schema],
    )
    return {str(r[0]) for r in rows}


class DuckDBSnapshotReader:
    """Queries on the current DuckDB snapshot."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._path: Path | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._checked = 0.0

    def _connection(self) -> duckdb.DuckDBPyConnection:
        now = time.monotonic()
        with self._lock:
            path: Path | None
            if self._con is None or now - self._checked > REFRESH_SECONDS:
                path = ensure_snapshot(self.target)
                self._checked = now
            else:
                path = current_snapshot(self.target) or self._path
            if path != self._path or self._con is None:
                try:
                    con = duckdb.connect(str(path), read_only=True)
                except duckdb.Error as exc:
                    raise database_error(self.target, exc) from exc
                # the previous connection is left to its cursors still running; it closes
                # when the last of them is gone
                self._path, self._con = path, con
            return self._con

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._connection().cursor()
        try:
            return cur.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise database_error(self.target, exc) from exc
        finally:
            cur.close()

    def tables(self) -> set[str]:
        return _information_schema(self)


class MySQLReader:
    """Queries on MySQL/MariaDB, one autocommit connection per thread."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._settings = settings().mysql
        self._local = threading.local()

    def _connection(self) -> pymysql.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = mysql_connect(self._settings, self.target.models_schema)
            con.autocommit(True)
            self._local.con = con
        return con

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._connection().cursor() as cur:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._run(sql, params)
        except pymysql.err.MySQLError as exc:
            self._local.con = None
            if not _dropped(exc):
                raise database_error(self.target, exc) from exc
        try:  # once more on a new connection
            return self._run(sql, params)
        except pymysql.err.MySQLError as exc:
            self._local.con = None
            raise database_error(self.target, exc) from exc

    def tables(self) -> set[str]:
        return _information_schema(self)


class SparkReader:
    """Queries on Spark over a pool of PyHive sessions (at most POOL_SIZE at once). A session
    taken from the pool that fails (the server restarted, the connection dropped) is closed and
    the query tried once more on a new session."""

    def __init__(self, target: Target, size: int = POOL_SIZE) -> None:
        self.target = target
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._slots = threading.BoundedSemaphore(size)

    def _run(self, work: Callable[[Any], T]) -> T:
        if not self._slots.acquire(timeout=SESSION_WAIT_SECONDS):  # a server that hangs: not forever
            raise BizstatsError(
                f"{describe(self.target)}: all {POOL_SIZE} sessions of the query API were busy for "
                f"{SESSION_WAIT_SECONDS:.0f} s; is the Spark Thrift server overloaded or hanging?"
            )
        try:
            return self._run_on_a_session(work)
        finally:
            self._slots.release()

    def _run_on_a_session(self, work: Callable[[Any], T]) -> T:
        try:
            con, reused = self._idle.get_nowait(), True
        except queue.Empty:
            con, reused = None, False
        for attempt in (1, 2):
            if con is None:
                con = spark_connect(settings().spark)  # a BizstatsError when the server is down
            try:
                result = work(con)
            except DB_ERRORS as exc:
                _close(con)
                con = None
                if reused and attempt == 1:
                    continue
                raise database_error(self.target, exc) from exc
            except BaseException:
                _close(con)
                raise
            self._idle.put(con)
            return result
        raise AssertionError("unreachable")

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(lambda con: spark_sql.fetch(con, sql, params))

    def tables(self) -> set[str]:
        return self._run(lambda con: spark_sql.tables(con, self.target.models_schema))

    def close(self) -> None:
        while True:
            try:
                _close(self._idle.get_nowait())
            except queue.Empty:
                return


def _close(con: Any) -> None:
    with contextlib.suppress(Exception):  # a broken session is dropped either way
        con.close()


def _dropped(exc: BaseException) -> bool:
    """A connection the server closed (idle timeout, restart): worth one reconnect."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    return isinstance(exc, pymysql.err.InterfaceError) or code in (2006, 2013)


def make_reader(target: Target) -> Reader:
    """The reader of `target`'s marts."""
    if target.name == "spark":
        return SparkReader(target)
    return DuckDBSnapshotReader(target) if target.name == "duckdb" else MySQLReader(target)


def control_reader(target: Target, marts: Reader) -> Reader:
    """The reader of `target`'s bookkeeping (warehouse id, builds log, alerts, job runs): the
    marts' reader `marts`, except on Spark, whose bookkeeping is in its control database."""
    return make_reader(target.control) if target.control != target else marts
