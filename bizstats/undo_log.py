"""A failed build changes no mart: the undo log of `bizstats build`.

A build is many dbt models, each committed on its own (MySQL/MariaDB commit DDL implicitly,
and dbt uses several connections), so a build that fails or is killed midway would leave
some marts with the new rows and others with the old. Instead, every mart (dbt config
`undo_log`, models/marts) saves what it is about to lose before it changes, in its own
transaction (macros/materialisation/undo_log/), and records that in the table `bizstats_build_undo`
(models schema: build id, model, kind, key columns):

- `rows`: an incremental run saved, in `<mart>__undo`, the stored rows it deletes (part
  `old`: the build range's rows and those whose key the new rows carry) and its new rows
  (part `new`). Putting it back: delete the rows with any of those keys, insert the old
  ones. Cost: the build range's rows, never history.
- `table`: a full refresh copied the whole table to `<mart>__undo_full`; put back by
  swapping the copy in (RENAME on MySQL/MariaDB, which is atomic). A run that alters the
  mart's columns (a build after a registry change, var sync_columns: macros/materialisation/sync_columns.sql)
  copies it the same way before its first ALTER, and saves no rows: putting it back restores
  the old columns with the old rows, however many ALTERs MySQL/MariaDB had committed.
- `absent`: a first build created the table; put back by dropping it.

The build **commits** by deleting its rows from bizstats_build_undo, one statement, after dbt
and every error-severity test succeeded. Until then `rollback` puts every logged mart back:
at once when dbt fails, or, after a build that never finished (killed, machine down), in
`recover`, which the warehouse lock (bizstats.lock) runs for the first command that takes it:
a build, a load, the checks, the DuckDB query API's snapshot. On MySQL/MariaDB the rows are
put back in one transaction for all marts; on DuckDB everything is one transaction.

DuckDB: a marker file `<database file>.undo` exists while a build is uncommitted, so a
command taking the lock knows without opening the database whether there is anything to
put back. The checks' models (models/monitoring) are not covered: they hold the history of
judgements, each run replaces the rows it judges, and a failed run is simply run again.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

from bizstats.config import Target
from bizstats.db import DB_ERRORS, create_table, database_error, fetch_all, qualified, quote, using
from bizstats.errors import BizstatsError

LOG_TABLE = "bizstats_build_undo"
BUILD_ID_ENV = "BIZSTATS_BUILD_ID"  # read by macros/materialisation/undo_log/ at execution time
ROWS_SUFFIX, TABLE_SUFFIX = "__undo", "__undo_full"
_DISCARD_SUFFIX = "__undo_discard"
_UNDO_COLUMNS = ("_undo_build", "_undo_part")


def marker_path(target: Target) -> Path:
    """DuckDB: `<database file>.undo`, present while a build is not committed."""
    path = target.duckdb_path
    return path.with_name(path.name + ".undo")


def begin(target: Target, con: Any | None = None) -> str:
    """Start a build's undo log (the caller holds the warehouse lock): put back what an
    unfinished build left, create the log table, drop stale undo tables; the new build id
    (for BIZSTATS_BUILD_ID). Over the build's connection `con` (None: one of its own)."""
    rollback(target, con)
    build_id = uuid.uuid4().hex
    with using(target, con) as con:
        cur = _cursor(con, target)
        create_table(
            cur,
            target,
            target.models_schema,
            LOG_TABLE,
            [
                ("build_id", "varchar", "varchar(32) not null"),
                ("model", "varchar", "varchar(128) not null"),
                ("kind", "varchar", "varchar(10) not null"),
                ("key_columns", "varchar", "varchar(1000) not null"),
            ],
        )
        con.commit()
        for table in _undo_tables(con, target):
            cur.execute(f"drop table if exists {qualified(target, target.models_schema, table)}")
        con.commit()
    if target.name == "duckdb":
        marker_path(target).write_text(build_id + "\n", encoding="utf-8")
    return build_id


def commit(target: Target, build_id: str, con: Any | None = None) -> None:
    """The build succeeded: its changes stay (one DELETE is the commit point); then its undo
    tables are dropped. Over the build's connection `con` (None: one of its own)."""
    with using(target, con) as con:
        cur = _cursor(con, target)
        log = qualified(target, target.models_schema, LOG_TABLE)
        cur.execute(f"delete from {log} where build_id = {_mark(target)}", (build_id,))
        con.commit()
        _drop_undo_tables(con, target)
    if target.name == "duckdb":
        marker_path(target).unlink(missing_ok=True)


def recover(target: Target, con: Any | None = None) -> list[str]:
    """Put back the marts of a build that never finished, if any (cheap when there is none:
    on DuckDB a file check, on MySQL one query, over `con` when given: the lock's own
    connection); the marts put back."""
    if target.name == "duckdb" and not marker_path(target).exists():
        return []
    return rollback(target, con)


def rollback(target: Target, con: Any | None = None) -> list[str]:
    """Put back every mart in the undo log (the caller holds the warehouse lock, so no build
    is running): the marts as they were before the unfinished build; returns their names.
    Over `con` when given (None: a connection of its own)."""
    try:
        with using(target, con) as con:
            if not _log_exists(con, target):
                restored: list[str] = []
                con.commit()  # a connection passed in is left with no transaction open
            else:
                log = qualified(target, target.models_schema, LOG_TABLE)
                entries = fetch_all(con, f"select build_id, model, kind, key_columns from {log}")
                restored = _put_back(con, target, entries)
                _drop_undo_tables(con, target)
    except BizstatsError as exc:
        raise BizstatsError(
            f"cannot put back the marts of an unfinished build: {exc}; they are put back by the "
            "next command that takes the warehouse lock (e.g. `bizstats build`)"
        ) from exc
    if target.name == "duckdb":
        marker_path(target).unlink(missing_ok=True)
    return restored


def _cursor(con: Any, target: Target) -> Any:
    """What executes statements within `con`'s transaction: on DuckDB the connection itself
    (a DuckDB cursor is a connection of its own, with its own transaction)."""
    return con if target.name == "duckdb" else con.cursor()


def _mark(target: Target) -> str:
    return "?" if target.name == "duckdb" else "%s"


def _log_exists(con: Any, target: Target) -> bool:
    rows = fetch_all(
        con,
        "select count(*) from information_schema.tables where table_schema = "
        f"{_mark(target)} and table_name = {_mark(target)}",
        (target.models_schema, LOG_TABLE),
    )
    return bool(rows[0][0] > 0)


def _tables(con: Any, target: Target) -> set[str]:
    rows = fetch_all(
        con,
        f"select table_name from information_schema.tables where table_schema = {_mark(target)}",
        (target.models_schema,),
    )
    return {name for (name,) in rows}


def _undo_tables(con: Any, target: Target) -> list[str]:
    suffixes = (ROWS_SUFFIX, TABLE_SUFFIX, _DISCARD_SUFFIX)
    return sorted(t for t in _tables(con, target) if t.endswith(suffixes))


def _drop_undo_tables(con: Any, target: Target) -> None:
    cur = _cursor(con, target)
    for table in _undo_tables(con, target):
        cur.execute(f"drop table if exists {qualified(target, target.models_schema, table)}")
    con.commit()


def _put_back(con: Any, target: Target, entries: list[tuple[Any, ...]]) -> list[str]:
    """Restore each logged mart and empty the log. MySQL/MariaDB: the whole-table steps first
    (DDL, each repeatable and unlogged once done), then every mart's rows and the log in one
    transaction. DuckDB: all of it in one transaction."""
    cur = _cursor(con, target)
    duck = target.name == "duckdb"
    log = qualified(target, target.models_schema, LOG_TABLE)
    existing = _tables(con, target)
    if duck:
        cur.execute("begin transaction")
    try:
        for build_id, model, kind, _keys in entries:
            if kind in ("table", "absent"):
                _put_back_table(cur, target, model, kind, existing)
                if not duck:
                    cur.execute(f"delete from {log} where build_id = %s and model = %s", (build_id, model))
                    con.commit()
        for build_id, model, kind, keys in entries:
            if kind == "rows":
                _put_back_rows(con, target, build_id, model, keys.split(","))
        cur.execute(f"delete from {log}")
        con.commit()
    except DB_ERRORS as exc:
        with contextlib.suppress(*DB_ERRORS):
            con.rollback()
        raise database_error(target, exc) from exc
    return sorted({model for _build, model, _kind, _keys in entries})


def _put_back_table(cur: Any, target: Target, model: str, kind: str, existing: set[str]) -> None:
    table = qualified(target, target.models_schema, model)
    copy_name = model + TABLE_SUFFIX
    if kind == "absent":
        cur.execute(f"drop table if exists {table}")
        return
    # dbt's own copy of the old table, left when the swap it was part of was interrupted
    cur.execute(f"drop table if exists {qualified(target, target.models_schema, model + '__dbt_backup')}")
    if copy_name not in existing:  # already swapped back by an earlier, interrupted rollback
        return
    copy = qualified(target, target.models_schema, copy_name)
    if target.name == "duckdb":
        cur.execute(f"drop table if exists {table}")
        cur.execute(f"alter table {copy} rename to {quote(target, model)}")
    elif model in existing:
        discard = qualified(target, target.models_schema, model + _DISCARD_SUFFIX)
        cur.execute(f"drop table if exists {discard}")
        cur.execute(f"rename table {table} to {discard}, {copy} to {table}")
        cur.execute(f"drop table {discard}")
    else:
        cur.execute(f"rename table {copy} to {table}")


def _put_back_rows(con: Any, target: Target, build_id: str, model: str, keys: list[str]) -> None:
    """The rows of `model` the build replaced: delete those with a key the build touched,
    insert the saved ones (within the caller's transaction)."""
    cur = _cursor(con, target)
    table = qualified(target, target.models_schema, model)
    undo = qualified(target, target.models_schema, model + ROWS_SUFFIX)
    cur.execute(f"select * from {undo} where 1 = 0")
    columns = [quote(target, d[0]) for d in cur.description if d[0] not in _UNDO_COLUMNS]
    key_list = ", ".join(quote(target, k) for k in keys)
    if target.name == "duckdb":
        match = " and ".join(f"saved.{quote(target, k)} = {table}.{quote(target, k)}" for k in keys)
        cur.execute(
            f"delete from {table} where exists (select 1 from {undo} as saved "
            f"where saved._undo_build = ? and {match})",
            (build_id,),
        )
    else:
        # no alias for the table deleted from: MariaDB would look the alias up in the
        # connection's default database
        match = " and ".join(f"{table}.{quote(target, k)} = saved.{quote(target, k)}" for k in keys)
        cur.execute(
            f"delete {table} from {table} inner join (select distinct {key_list} from {undo} "
            f"where _undo_build = %s) as saved on {match}",
            (build_id,),
        )
    column_list = ", ".join(columns)
    cur.execute(
        f"insert into {table} ({column_list}) select {column_list} from {undo} "
        f"where _undo_build = {_mark(target)} and _undo_part = 'old'",
        (build_id,),
    )
