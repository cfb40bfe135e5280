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
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pymysql

from bizstats.config import Target
from bizstats.db import database_error, mysql_connect
from bizstats.publish.snapshot import current_snapshot, ensure_snapshot
from bizstats.settings import settings

REFRESH_SECONDS = 30.0


class Reader(Protocol):
    target: Target

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a read-only query (placeholders as bizstats.db.placeholder says)."""


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


def _dropped(exc: BaseException) -> bool:
    """A connection the server closed (idle timeout, restart): worth one reconnect."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    return isinstance(exc, pymysql.err.InterfaceError) or code in (2006, 2013)


def make_reader(target: Target) -> Reader:
    return DuckDBSnapshotReader(target) if target.name == "duckdb" else MySQLReader(target)
