"""The audit trail (审计日志): one append-only row per state-changing command.

Table `audit_log` in the raw-side schema (`<schema>_raw` on MySQL/MariaDB, `main_raw` in the
DuckDB file). It lives raw-side, not beside the models, because the models schema belongs
to the builder account (dbt creates, drops and renames tables there and holds every
privilege on it), while raw-side every account holds only the grants of its job: each one
that runs a state-changing command may SELECT and INSERT here, and only the admin account
may UPDATE or DELETE (`bizstats db roles --print`). On DuckDB there are no accounts:
append-only means bizstats itself only ever inserts (this module is the one writer and has
no update or delete); whoever can write the file could still change it.

A row: when (UTC), who (`--by`, else the OS user; `schedule` for the jobs' own runs), what
(the command, e.g. `build`, `keys revoke`), the target, the arguments as JSON (secrets
masked), the reason of a rebuild or backfill, the outcome (`ok` or `error`) and the error's
one line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
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
    create_table,
    fetch_all,
    placeholder,
    qualified,
    quote,
)
from bizstats.redact import MASK, redact_text

TABLE = "audit_log"
OK, ERROR = "ok", "error"

# (column, DuckDB type, MySQL type)
COLUMNS = (
    ("happened_at", "timestamp not null", "datetime(6) not null"),
    ("who", "varchar not null", "varchar(100) not null"),
    ("what", "varchar not null", "varchar(60) not null"),
    ("target", "varchar not null", "varchar(10) not null"),
    ("arguments", "varchar not null", "text not null"),
    ("reason", "varchar not null", "text not null"),
    ("outcome", "varchar not null", "varchar(10) not null"),
    ("error", "varchar not null", "text not null"),
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


def _table(target: Target) -> str:
    return qualified(target, target.raw_schema, TABLE)


def _identity(target: Target) -> tuple[str, str, str]:
    seq = qualified(target, target.raw_schema, f"{TABLE}_id_seq").replace("'", "''")
    mysql = "bigint not null auto_increment primary key"
    return ("id", f"bigint primary key default nextval('{seq}')", mysql)


def create_sql(target: Target) -> list[str]:
    """MySQL/MariaDB: the statements creating the table (for the roles' SQL, which grants on
    it before any command has run)."""
    cols = ", ".join(f"{quote(target, c)} {m}" for c, _, m in (_identity(target), *COLUMNS))
    keys = "key idx_happened_at (`happened_at`), key idx_what (`what`)"
    return [f"create table if not exists {_table(target)} ({cols}, {keys}) {MYSQL_TABLE_OPTIONS}"]


def _ensure(cur: Any, target: Target) -> None:
    if target.name == "duckdb":
        cur.execute(f"create schema if not exists {quote(target, target.raw_schema)}")
        seq = qualified(target, target.raw_schema, TABLE + "_id_seq")
        cur.execute(f"create sequence if not exists {seq}")
        create_table(cur, target, target.raw_schema, TABLE, [_identity(target), *COLUMNS])
    else:
        create_mysql_database(cur, target, target.raw_schema)
        for stmt in create_sql(target):
            cur.execute(stmt)


def ensure(target: Target) -> None:
    """Create the table if it is missing (an administrator's step before the grants)."""
    with connect(target) as con:
        _ensure(con.cursor(), target)
        con.commit()


def check_writable(target: Target) -> None:
    """DuckDB: open the warehouse file for writing and close it (a BizstatsError naming the
    process that holds it, when one does)."""
    with connect(target, create=False):
        pass


def _missing(exc: BaseException) -> bool:
    """The error of a statement on a table (or schema) that does not exist yet."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return code in (1049, 1146) or "does not exist" in str(exc)


def record(target: Target, entry: Entry) -> None:
    """Append `entry` (the one writer of the table). The insert comes first and the table is
    created only when it is missing, so an account without CREATE can write it."""
    at = entry.at or datetime.now(UTC).replace(tzinfo=None)
    values = (
        at, entry.who[:100], entry.what[:60], entry.target,
        json.dumps(redact_arguments(entry.arguments), ensure_ascii=False, sort_keys=True),
        _masked(entry.reason), entry.outcome, _masked(entry.error),
    )
    ph = placeholder(target)
    sql = f"insert into {_table(target)} ({', '.join(_NAMES)}) values ({', '.join([ph] * len(values))})"
    with connect(target, create=False) as con:
        cur = con.cursor()
        try:
            cur.execute(sql, values)
        except DB_ERRORS as exc:
            if not _missing(exc):
                raise
            if target.name == "mysql":
                con.rollback()
            cur = con.cursor()
            _ensure(cur, target)
            cur.execute(sql, values)
        con.commit()


def list_entries(
    target: Target, since: date | None = None, what: str | None = None, limit: int = 100
) -> list[Stored]:
    """The newest `limit` rows (newest first), from day `since` (UTC) on, of one command
    `what` (`keys` matches `keys create` and `keys revoke`); none when nothing was audited."""
    ph = placeholder(target)
    where, params = ["1 = 1"], []  # type: list[str], list[Any]
    if since is not None:
        where.append(f"happened_at >= {ph}")
        params.append(datetime(since.year, since.month, since.day))
    if what:
        where.append(f"(what = {ph} or what like {ph})")
        params += [what, what.replace("%", "").replace("_", "") + " %"]
    sql = (f"select id, {', '.join(_NAMES)} from {_table(target)} where {' and '.join(where)} "
           f"order by happened_at desc, id desc limit {int(limit)}")
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
