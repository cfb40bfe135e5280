"""The audit trail (审计日志): one append-only row per state-changing command.

It lives outside the warehouse it audits, so that a restore of the warehouse (or of a backup
of it) never rolls the trail back, and a backup's restored copy equals its source table by
table whatever was audited after the dump:

- MySQL/MariaDB: table `audit_log` of a database of its own, `<schema>_audit`. Append-only is
  enforced by the grants (`bizstats db roles --print`): the job accounts may INSERT there, the
  admin SELECT and INSERT; no account of bizstats may UPDATE or DELETE it.
- DuckDB: table `audit_log` of the SQLite file `<warehouse file>.audit.sqlite` beside the
  warehouse (like the API key store). Append-only is enforced by the file itself: triggers
  abort every UPDATE and DELETE. WAL journal and a busy timeout, so commands running at once
  each append their row (none fails because another holds the warehouse or the file).

This module is the one writer and has no update or delete. A row: when (UTC), who (`--by`,
else the OS user; `schedule` for the jobs' own runs), what (the command, e.g. `build`, `keys
revoke`), the target, the arguments as JSON (secrets masked), the reason of a rebuild or
backfill, the outcome (`ok` or `error`) and the error's one line.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bizstats.config import Target
from bizstats.db import (
    DB_ERRORS,
    MYSQL_TABLE_OPTIONS,
    connect,
    create_mysql_database,
    fetch_all,
    qualified,
    quote,
)
from bizstats.errors import BizstatsError
from bizstats.redact import MASK, redact_text

TABLE = "audit_log"
OK, ERROR = "ok", "error"

# (column, SQLite type, MySQL type)
COLUMNS = (
    ("happened_at", "text not null", "datetime(6) not null"),  # SQLite: ISO text, UTC
    ("who", "text not null", "varchar(100) not null"),
    ("what", "text not null", "varchar(60) not null"),
    ("target", "text not null", "varchar(10) not null"),
    ("arguments", "text not null", "text not null"),
    ("reason", "text not null", "text not null"),
    ("outcome", "text not null", "varchar(10) not null"),
    ("error", "text not null", "text not null"),
)
_NAMES = tuple(c for c, _, _ in COLUMNS)

# an argument whose name says it holds a credential: its value is never stored
_SECRET_NAME = re.compile(r"(?i)(password|passwd|secret|token|api_?key|private|credential)")
# a value that is a bizstats API key (`bzs_<id>_<secret>`): only its public id is kept
_TOKEN = re.compile(r"\bbzs_([0-9a-f]{12})_[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Entry:
    """One audit row."""

    who: str
    what: str
    target: str
    arguments: Mapping[str, Any]
    outcome: str = OK
    error: str = ""
    reason: str = ""
    at: datetime | None = None  # naive UTC; None: now


@dataclass(frozen=True)
class Stored:
    id: int
    at: datetime
    who: str
    what: str
    target: str
    arguments: str
    reason: str
    outcome: str
    error: str


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return _masked(str(value))


def _masked(text: str) -> str:
    """Free text as stored: an API key reduced to its id, a URL's password masked."""
    return redact_text(_TOKEN.sub(lambda m: f"bzs_{m.group(1)}_{MASK}", text))


def redact_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as stored: a credential-named one masked, an API key reduced to its id,
    a URL's password and secret query values masked, dates and paths as text."""
    return {
        name: MASK if _SECRET_NAME.search(name) and value not in (None, "") else _plain(value)
        for name, value in sorted(arguments.items())
    }


def sqlite_path(target: Target) -> Path:
    """DuckDB: the audit trail's SQLite file, `<warehouse file>.audit.sqlite` beside it."""
    path = target.duckdb_path
    return path.with_name(path.name + ".audit.sqlite")


def _table(target: Target) -> str:
    return qualified(target, target.audit_schema, TABLE)


def create_sql(target: Target) -> list[str]:
    """MySQL/MariaDB: the statements creating the table (for the roles' SQL, which grants on
    it before any command has run)."""
    identity = "`id` bigint not null auto_increment primary key"
    cols = ", ".join(f"{quote(target, c)} {m}" for c, _, m in COLUMNS)
    keys = "key idx_happened_at (`happened_at`), key idx_what (`what`)"
    return [f"create table if not exists {_table(target)} ({identity}, {cols}, {keys}) {MYSQL_TABLE_OPTIONS}"]


_SQLITE_SCHEMA = (
    f"create table if not exists {TABLE} (id integer primary key autoincrement, "
    + ", ".join(f"{c} {t}" for c, t, _ in COLUMNS) + ")",
    f"create index if not exists idx_{TABLE}_happened_at on {TABLE} (happened_at)",
    # append-only, enforced by the file (not only by this module having no update or delete)
    f"create trigger if not exists {TABLE}_no_update before update on {TABLE} "
    f"begin select raise(abort, '{TABLE} is append-only'); end",
    f"create trigger if not exists {TABLE}_no_delete before delete on {TABLE} "
    f"begin select raise(abort, '{TABLE} is append-only'); end",
)


@contextlib.contextmanager
def _sqlite(target: Target, create: bool) -> Iterator[sqlite3.Connection | None]:
    """DuckDB: a connection to the audit file (created with its table and triggers when
    `create`; None when it does not exist and `create` is false). WAL and a 30 s busy timeout:
    concurrent commands append one after the other."""
    path = sqlite_path(target)
    if not create and not path.is_file():
        yield None
        return
    try:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise BizstatsError(f"the audit trail {path} cannot be opened: {exc}") from None
    try:
        con.execute("pragma busy_timeout = 30000")
        if create:
            con.execute("pragma journal_mode = wal")
            for stmt in _SQLITE_SCHEMA:
                con.execute(stmt)
        yield con
    except sqlite3.Error as exc:
        raise BizstatsError(f"the audit trail {path}: {exc}") from None
    finally:
        con.close()


def _ensure_mysql(cur: Any, target: Target) -> None:
    create_mysql_database(cur, target, target.audit_schema)
    for stmt in create_sql(target):
        cur.execute(stmt)


def ensure(target: Target) -> None:
    """Create the store if it is missing (on MySQL, an administrator's step before the grants)."""
    if target.name == "duckdb":
        with _sqlite(target, create=True):
            return
    with connect(target) as con:
        _ensure_mysql(con.cursor(), target)
        con.commit()


def _missing(exc: BaseException) -> bool:
    """The error of a statement on a table (or database) that does not exist yet."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return code in (1049, 1146) or "does not exist" in str(exc)


def _stamp(at: datetime) -> str:
    """SQLite: a UTC time as fixed-width text (sorts and compares as the time does)."""
    return at.isoformat(sep=" ", timespec="microseconds")


def record(target: Target, entry: Entry) -> None:
    """Append `entry` (the one writer of the table). On MySQL the insert comes first and the
    table is created only when it is missing, so an account without CREATE can write it."""
    at = entry.at or datetime.now(UTC).replace(tzinfo=None)
    values = (
        entry.who[:100], entry.what[:60], entry.target,
        json.dumps(redact_arguments(entry.arguments), ensure_ascii=False, sort_keys=True),
        _masked(entry.reason), entry.outcome, _masked(entry.error),
    )
    if target.name == "duckdb":
        sql = f"insert into {TABLE} ({', '.join(_NAMES)}) values ({', '.join(['?'] * len(_NAMES))})"
        with _sqlite(target, create=True) as lite:
            assert lite is not None
            lite.execute(sql, (_stamp(at), *values))
        return
    sql = f"insert into {_table(target)} ({', '.join(_NAMES)}) values ({', '.join(['%s'] * len(_NAMES))})"
    with connect(target, create=False) as con:
        cur = con.cursor()
        try:
            cur.execute(sql, (at, *values))
        except DB_ERRORS as exc:
            if not _missing(exc):
                raise
            con.rollback()
            cur = con.cursor()
            _ensure_mysql(cur, target)
            cur.execute(sql, (at, *values))
        con.commit()


def list_entries(
    target: Target, since: date | None = None, what: str | None = None, limit: int = 100
) -> list[Stored]:
    """The newest `limit` rows (newest first), from day `since` (UTC) on, of one command
    `what` (`keys` matches `keys create` and `keys revoke`); none when nothing was audited."""
    lite = target.name == "duckdb"
    ph = "?" if lite else "%s"
    where, params = ["1 = 1"], []  # type: list[str], list[Any]
    if since is not None:
        where.append(f"happened_at >= {ph}")
        start = datetime(since.year, since.month, since.day)
        params.append(_stamp(start) if lite else start)
    if what:
        where.append(f"(what = {ph} or what like {ph})")
        params += [what, what.replace("%", "").replace("_", "") + " %"]
    table = TABLE if lite else _table(target)
    sql = (f"select id, {', '.join(_NAMES)} from {table} where {' and '.join(where)} "
           f"order by happened_at desc, id desc limit {int(limit)}")
    if lite:
        with _sqlite(target, create=False) as con:
            if con is None:
                return []
            try:
                rows = con.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                raise
        return [Stored(int(r[0]), datetime.fromisoformat(r[1]), *r[2:]) for r in rows]
    with connect(target, create=False) as con:
        try:
            rows = fetch_all(con, sql, params)
        except DB_ERRORS as exc:
            if _missing(exc):
                return []
            raise
    return [Stored(int(r[0]), r[1], *r[2:]) for r in rows]


def last_entry(target: Target, what: str) -> Stored | None:
    """The newest row of the command `what`, or None."""
    rows = list_entries(target, what=what, limit=1)
    return rows[0] if rows and rows[0].what == what else None
