"""One writer at a time per warehouse: `bizstats build` and `bizstats load` hold a lock.

- DuckDB: an OS file lock (`flock`) on `<database file>.lock`, next to the database. The
  file holds who has it (pid, command, start time); the OS drops the lock when the process
  ends, however it ends.
- MySQL/MariaDB: `GET_LOCK('bizstats:<schema>')` on a connection of its own, held until the
  command ends; the server drops it with the connection if the process dies. Who holds it is
  recorded in the models schema's `bizstats_lock` table.

A second command waits up to BIZSTATS_LOCK_WAIT seconds (default 0: it does not wait) and
then fails with one line naming the command that holds the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql

from bizstats.config import Target
from bizstats.db import (
    create_mysql_database,
    database_error,
    describe,
    mysql_connect,
    mysql_exists,
    qualified,
    single_row,
)
from bizstats.errors import BizstatsError
from bizstats.settings import settings as current_settings
from bizstats.undo_log import recover

WAIT_ENV = "BIZSTATS_LOCK_WAIT"
HOLDERS = "bizstats_lock"  # MySQL: who holds the warehouse lock (one row)

# Locks this process holds, by warehouse: a command inside another one (e.g. a load and a
# build run by the same process) does not wait for itself.
_held: dict[str, int] = {}


@dataclass(frozen=True)
class Holder:
    pid: int | None
    what: str
    started: str


def wait_seconds() -> float:
    """How long a command waits for the lock (BIZSTATS_LOCK_WAIT, seconds; default 0)."""
    return current_settings().load.lock_wait


def _started() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


def _busy(target: Target, what: str, holder: Holder | None, waited: float) -> BizstatsError:
    who = holder.what if holder else "build or load"
    details = (
        f" (pid {holder.pid if holder.pid is not None else 'unknown'}, started {holder.started})"
        if holder
        else ""
    )
    waiting = f"waited {waited:g} s; " if waited else ""
    return BizstatsError(
        f"another bizstats {who} is running on {describe(target)}{details}; cannot {what} now: "
        f"{waiting}retry when it has finished (or set {WAIT_ENV}=SECONDS to wait for it)"
    )


@contextlib.contextmanager
def warehouse_lock(
    target: Target, what: str, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's lock for the `with` block; `what` names the command ("build",
    "load") for the message another command gets meanwhile. Once it has the lock, it puts
    back the marts of a build that never finished (killed midway: bizstats.undo_log), so no
    command works on half a build; `progress` hears which."""
    key = describe(target)
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    acquire = _duckdb_lock if target.name == "duckdb" else _mysql_lock
    with acquire(target, what) as lock_con:
        _held[key] = 1
        try:
            restored = recover(target, lock_con)  # MySQL: over the lock's own connection
            if restored and progress:
                progress(f"put back {', '.join(restored)}: a build before this one did not finish")
            yield
        finally:
            del _held[key]


def lock_file_path(target: Target) -> Path:
    """`<database file>.lock`: the lock is never taken on the database file itself."""
    path = target.duckdb_path
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def _duckdb_lock(target: Target, what: str) -> Iterator[None]:
    """The OS file lock (no database connection: yields None)."""
    path = lock_file_path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BizstatsError(
            f"{describe(target)}: cannot open the lock file {path}: {exc.strerror}; "
            "check BIZSTATS_DUCKDB_PATH and the folder's permissions"
        ) from exc
    try:
        waited = _poll(lambda: _try_flock(fd))
        if waited is None:
            raise _busy(target, what, _settled(lambda: _read_holder(fd)), wait_seconds())
        record = json.dumps({"pid": os.getpid(), "what": what, "started": _started()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _poll(attempt: Any) -> float | None:
    """Call `attempt` until it returns True or the wait is over: the seconds waited, or None."""
    limit = wait_seconds()
    began = time.monotonic()
    while True:
        if attempt():
            return time.monotonic() - began
        if time.monotonic() - began >= limit:
            return None
        time.sleep(min(0.2, limit))


def _settled(read: Callable[[], Holder | None]) -> Holder | None:
    """Who holds the lock: a holder that has just taken it records itself a moment later."""
    for _attempt in range(10):
        holder = read()
        if holder is not None:
            return holder
        time.sleep(0.1)
    return None


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "null")
        return Holder(int(data["pid"]), str(data["what"]), str(data["started"]))
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None


def _lock_name(schema: str) -> str:
    name = f"bizstats:{schema}"
    if len(name) > 64:  # the server's limit for a lock name
        name = "bizstats:" + hashlib.sha1(schema.encode()).hexdigest()
    return name


@contextlib.contextmanager
def _mysql_lock(target: Target, what: str) -> Iterator[Any]:
    """GET_LOCK on a connection of its own, which it yields (the unfinished build is put back
    over it: no other connection to open for that)."""
    settings = current_settings().mysql
    name = _lock_name(settings.schema)
    con = mysql_connect(settings)
    try:
        with con.cursor() as cur:
            cur.execute("select get_lock(%s, %s)", (name, wait_seconds()))
            (got,) = single_row(cur)
            if got != 1:
                holder = _settled(lambda: _mysql_holder(con, target, name))
                raise _busy(target, what, holder, wait_seconds())
            _record_mysql_holder(con, target, what)
        try:
            yield con
        finally:
            with contextlib.suppress(pymysql.err.MySQLError), con.cursor() as cur:
                cur.execute("select release_lock(%s)", (name,))
    except pymysql.err.MySQLError as exc:
        raise database_error(target, exc) from exc
    finally:
        with contextlib.suppress(pymysql.err.MySQLError):
            con.close()


def _record_mysql_holder(con: Any, target: Target, what: str) -> None:
    table = qualified(target, target.models_schema, HOLDERS)
    with con.cursor() as cur:
        if not mysql_exists(cur, target.models_schema, HOLDERS):  # the loader account has no CREATE
            create_mysql_database(cur, target, target.models_schema)
            cur.execute(
                f"create table if not exists {table} (lock_key varchar(20) not null primary key, "
                "connection_id bigint not null, pid bigint, command varchar(40), started varchar(40))"
            )
        cur.execute(f"delete from {table} where lock_key = 'warehouse'")
        cur.execute(
            f"insert into {table} values ('warehouse', connection_id(), %s, %s, %s)",
            (os.getpid(), what, _started()),
        )
    con.commit()


def _mysql_holder(con: Any, target: Target, name: str) -> Holder | None:
    """Who holds the lock, if it recorded itself (the row of the connection holding it)."""
    table = qualified(target, target.models_schema, HOLDERS)
    try:
        con.rollback()  # a new snapshot: see the row the holder has just committed
        with con.cursor() as cur:
            cur.execute(
                f"select pid, command, started from {table} "
                "where lock_key = 'warehouse' and connection_id = is_used_lock(%s)",
                (name,),
            )
            row = cur.fetchone()
    except pymysql.err.MySQLError:  # no table yet: the holder has not recorded itself
        return None
    if row is None:
        return None
    return Holder(row[0], row[1] or "build or load", row[2] or "unknown")
