"""The loader's side tables: the quarantine `<raw>._rejected_rows` and the load ledger
`<raw>._load_ledger` (table, file, sha256 of its bytes, row counts, outcome)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bizstats.config import Target
from bizstats.contract import LOADED_AT
from bizstats.db import DB_ERRORS, create_table, placeholder, qualified, quote

REJECTED_TABLE = "_rejected_rows"
LEDGER_TABLE = "_load_ledger"
COMMITTED = "committed"  # a ledger outcome: the file's rows are stored
ROLLED_BACK = "rolled back"  # the file failed in the database: nothing of it is stored

# name, DuckDB type, MySQL type; every column but `field` is not null
QUARANTINE_COLUMNS = (
    ("source_table", "varchar", "varchar(64)"),
    ("file", "varchar", "text"),
    ("line", "bigint", "bigint"),
    ("field", "varchar", "varchar(64)"),
    ("reason", "varchar", "text"),
    ("raw_values", "varchar", "longtext"),
    (LOADED_AT, "timestamp", "datetime(6)"),
)
# the load ledger: name, DuckDB type, MySQL type; every column is not null
_LEDGER_COLUMNS = (
    ("source_table", "varchar", "varchar(64)"),
    ("file", "varchar", "text"),
    ("sha256", "varchar", "char(64)"),
    ("rows_read", "bigint", "bigint"),
    ("rows_loaded", "bigint", "bigint"),
    ("rows_rejected", "bigint", "bigint"),
    ("duplicates", "bigint", "bigint"),
    ("outcome", "varchar", "varchar(20)"),
    (LOADED_AT, "timestamp", "datetime(6)"),
)


def ensure_side_tables(con: Any, target: Target) -> None:
    """Create `<raw schema>._rejected_rows` (the quarantine) and `._load_ledger` if missing."""
    _ensure_side_table(con, target, REJECTED_TABLE, QUARANTINE_COLUMNS, f"idx_loaded_at (`{LOADED_AT}`)")
    _ensure_side_table(con, target, LEDGER_TABLE, _LEDGER_COLUMNS, "idx_table_sha256 (source_table, sha256)")


def _ensure_side_table(
    con: Any, target: Target, name: str, columns: Sequence[tuple[str, str, str]], mysql_key: str
) -> None:
    """One loader table of (name, DuckDB type, MySQL type) columns, all but `field` not null."""
    nullable = {"field"}
    required = [
        (col, duck, mysql) if col in nullable else (col, f"{duck} not null", f"{mysql} not null")
        for col, duck, mysql in columns
    ]
    create_table(con.cursor(), target, target.raw_schema, name, required, [f"key {mysql_key}"])


def ledger_loaded_at(con: Any, target: Target, table: str, sha256: str) -> datetime | None:
    """When this content was first loaded into the table, per the ledger; None if never."""
    mark = placeholder(target)
    cur = con.cursor()
    cur.execute(
        f"select min({quote(target, LOADED_AT)}) from {qualified(target, target.raw_schema, LEDGER_TABLE)} "
        f"where source_table = {mark} and sha256 = {mark} and outcome = {mark}",
        (table, sha256, COMMITTED),
    )
    row = cur.fetchone()
    return row[0] if row else None


def record(con: Any, target: Target, entry: Sequence[Any]) -> None:
    """Add a file's row to the ledger (in the caller's transaction): table, file, sha256,
    rows read, loaded, rejected, duplicates, outcome, `_loaded_at`."""
    con.cursor().execute(*record_statement(target, entry))


def record_statement(target: Target, entry: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """The INSERT of `record` and its parameters."""
    mark = placeholder(target)
    names = ", ".join(quote(target, name) for name, _, _ in _LEDGER_COLUMNS)
    values = ", ".join([mark] * len(_LEDGER_COLUMNS))
    table = qualified(target, target.raw_schema, LEDGER_TABLE)
    return f"insert into {table} ({names}) values ({values})", tuple(entry)


def record_failure(con: Any, target: Target, table: str, file: str, sha256: str, loaded_at: datetime) -> None:
    """Note in the ledger that the file was rolled back (nothing of it stored), if the
    database still answers; a re-run loads it."""
    try:
        con.begin()
        record(con, target, (table, file, sha256, 0, 0, 0, 0, ROLLED_BACK, loaded_at))
        con.commit()
    except DB_ERRORS:
        rollback(con)


def rollback(con: Any) -> None:
    """Roll back, ignoring a connection that is already gone (its work is lost anyway)."""
    with contextlib.suppress(*DB_ERRORS):
        con.rollback()
