"""Store a checked file (bizstats.load.scan) in its target: the good rows in one statement
(DuckDB: `insert ... select` from the scan; MySQL/MariaDB: `LOAD DATA LOCAL INFILE` of a
tab-separated copy of them), the refused rows into the quarantine.

On MySQL, event_logs keeps one row per event_id, the delivery with the earliest created_at:
when an event_id of the file repeats within it or is already stored, its rows are loaded
into a temporary table, then inserted in file order with ON DUPLICATE KEY UPDATE
(`keep_earliest`), as if inserted one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pymysql

from bizstats.config import Target
from bizstats.contract import LOADED_AT, RawTable
from bizstats.db import _column_type, describe, qualified, quote, single_row
from bizstats.errors import BizstatsError
from bizstats.load.ledger import QUARANTINE_COLUMNS, REJECTED_TABLE
from bizstats.load.scan import POSITION, Scan
from bizstats.load.sql import literal

QUARANTINE_PAGE_ROWS = 5_000
_PAGE = "_bizstats_load_quarantine"
_MYSQL_STAGE = "_bizstats_load_stage"
_MYSQL_KEYS = "_bizstats_load_event_ids"
# MariaDB / MySQL errors of a server with local_infile off
_LOCAL_INFILE_REFUSED = (1148, 3948, 4166)
# LOAD DATA's default format: tab-separated, backslash escapes, \N for NULL
_ESCAPES = ((92, "\\\\"), (9, "\\t"), (10, "\\n"), (13, "\\r"))  # backslash, tab, newline, CR


class DuckDBWriter:
    """Writes into the DuckDB warehouse on the connection that scanned the file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: Target, table: RawTable) -> None:
        self.con = con
        self.target = target
        self.table = table
        self.raw = qualified(target, target.raw_schema, table.name)

    def quarantine(self, rows: list[list[Any]]) -> None:
        """Insert `_rejected_rows` rows (values in QUARANTINE_COLUMNS order)."""
        import pandas as pd  # imported here, not with the module: the build needs none of it

        columns = [name for name, _, _ in QUARANTINE_COLUMNS]
        self.con.register(_PAGE, pd.DataFrame(rows, columns=columns, dtype="string"))
        casts = ", ".join(f'cast("{name}" as {type_})' for name, type_, _ in QUARANTINE_COLUMNS)
        table = qualified(self.target, self.target.raw_schema, REJECTED_TABLE)
        self.con.execute(f"insert into {table} select {casts} from {_PAGE}")
        self.con.unregister(_PAGE)

    def write(self, scan: Scan, loaded_at: datetime) -> tuple[int, int]:
        """Append the good rows; (rows loaded, event_logs rows whose event_id was already
        stored or repeated)."""
        names = ", ".join(quote(self.target, c.name) for c in self.table.columns)
        casts = ", ".join(
            f"cast(v{i} as {_column_type(self.target, c)})" for i, c in enumerate(self.table.columns)
        )
        before = self._last_id()
        (loaded,) = single_row(self.con.execute(
            f"insert into {self.raw} ({names}, {LOADED_AT}) select {casts}, ? from ({scan.rows})"
            + (f" order by {POSITION}" if scan.ordered else ""),
            [loaded_at],
        ))
        return loaded, self._duplicates(before)

    def _last_id(self) -> int:
        if self.table.name != "event_logs":
            return 0
        return int(single_row(self.con.execute(f"select coalesce(max(id), 0) from {self.raw}"))[0])

    def _duplicates(self, before: int) -> int:
        """Rows appended after id `before` whose event_id repeats one of them or a stored one."""
        if self.table.name != "event_logs":
            return 0
        (duplicates,) = single_row(self.con.execute(
            f"select (select count(*) - count(distinct event_id) from {self.raw} where id > $1)"
            f" + (select count(distinct event_id) from {self.raw} where id > $1 and event_id in"
            f" (select event_id from {self.raw} where id <= $1))",
            [before],
        ))
        return int(duplicates)


class MySQLWriter:
    """Writes into MySQL/MariaDB (a connection with `local_infile`) from the DuckDB
    connection that scanned the file, through a tab-separated file in `workdir`."""

    def __init__(
        self,
        con: pymysql.Connection,
        scanner: duckdb.DuckDBPyConnection,
        target: Target,
        table: RawTable,
        workdir: Path,
    ) -> None:
        self.con = con
        self.scanner = scanner
        self.target = target
        self.table = table
        self.raw = qualified(target, target.raw_schema, table.name)
        self.tsv = workdir / "rows.tsv"

    def quarantine(self, rows: list[list[Any]]) -> None:
        """Insert `_rejected_rows` rows (values in QUARANTINE_COLUMNS order)."""
        names = ", ".join(f"`{name}`" for name, _, _ in QUARANTINE_COLUMNS)
        marks = ", ".join(["%s"] * len(QUARANTINE_COLUMNS))
        table = qualified(self.target, self.target.raw_schema, REJECTED_TABLE)
        cur = self.con.cursor()
        for start in range(0, len(rows), QUARANTINE_PAGE_ROWS):
            cur.executemany(
                f"insert into {table} ({names}) values ({marks})", rows[start : start + QUARANTINE_PAGE_ROWS]
            )

    def write(self, scan: Scan, loaded_at: datetime) -> tuple[int, int]:
        """Load the good rows; (rows loaded, event_logs rows whose event_id was already
        stored or repeated)."""
        rows = self._export(scan)
        cur = self.con.cursor()
        if self.table.name == "event_logs" and self._may_repeat(cur, scan):
            return rows, self._keep_earliest(cur, rows, loaded_at)
        self._load_data(cur, self.raw, self.table.column_names, self.tsv, rows, loaded_at)
        return rows, 0

    def _may_repeat(self, cur: Any, scan: Scan) -> bool:
        """Whether an event_id of the file repeats within it or is already stored (checked
        through a temporary table of the file's event_ids)."""
        key = f"v{self.table.column_names.index('event_id')}"
        (repeats,) = single_row(self.scanner.execute(
            f"select count(*) - count(distinct {key}) from ({scan.rows})"
        ))
        if repeats:
            return True
        cur.execute(f"select exists (select 1 from {self.raw})")
        if not cur.fetchone()[0]:
            return False
        keys_tsv = self.tsv.with_name("event_ids.tsv")
        (rows,) = single_row(self.scanner.execute(
            f"copy (select {key} from ({scan.rows})) to {literal(str(keys_tsv))} "
            "(format csv, delimiter '\t', quote '', escape '', header false)"
        ))  # an event_id holds no tab, newline or backslash escape: it is an id
        keys = qualified(self.target, self.target.raw_schema, _MYSQL_KEYS)
        cur.execute(f"drop temporary table if exists {keys}")
        cur.execute(
            f"create temporary table {keys} (`event_id` varchar(64) not null) "
            "default charset=utf8mb4 collate=utf8mb4_bin"
        )
        self._load_data(cur, keys, ("event_id",), keys_tsv, rows, None)
        cur.execute(f"select exists (select 1 from {keys} k join {self.raw} e on e.event_id = k.event_id)")
        (stored,) = cur.fetchone()
        cur.execute(f"drop temporary table {keys}")
        return bool(stored)

    def _keep_earliest(self, cur: Any, rows: int, loaded_at: datetime) -> int:
        """Insert the rows in file order keeping the earliest delivery of each event_id,
        through a temporary table; how many repeated an event_id."""
        stage = qualified(self.target, self.target.raw_schema, _MYSQL_STAGE)
        columns = ", ".join(f"`{c.name}` {_column_type(self.target, c)}" for c in self.table.columns)
        cur.execute(f"drop temporary table if exists {stage}")
        cur.execute(
            f"create temporary table {stage} (_seq bigint not null auto_increment primary key, "
            f"{columns}, `{LOADED_AT}` datetime(6) not null) default charset=utf8mb4 collate=utf8mb4_bin"
        )
        self._load_data(cur, stage, self.table.column_names, self.tsv, rows, loaded_at)
        cur.execute(
            f"select count(*) - count(distinct s.event_id) + count(distinct e.event_id) "
            f"from {stage} s left join {self.raw} e on e.event_id = s.event_id"
        )
        (duplicates,) = cur.fetchone()
        names = ", ".join(f"`{c}`" for c in [*self.table.column_names, LOADED_AT])
        cur.execute(
            f"insert into {self.raw} ({names}) select {names} from {stage} order by _seq"
            + keep_earliest(self.table, self.raw)
        )
        cur.execute(f"drop temporary table {stage}")
        return int(duplicates)

    def _export(self, scan: Scan) -> int:
        """Write the good rows to the tab-separated file LOAD DATA reads; how many."""
        fields = []
        for i, col in enumerate(self.table.columns):
            value = f"v{i}"
            if col.kind == "decimal":
                value = f"cast(cast({value} as decimal(18,2)) as varchar)"
            elif col.kind != "datetime":
                for code, escaped in _ESCAPES:
                    value = f"replace({value}, chr({code}), {literal(escaped)})"
            fields.append(f"coalesce({value}, '\\N')")
        order = f" order by {POSITION}" if scan.ordered else ""
        (rows,) = single_row(self.scanner.execute(
            f"copy (select {', '.join(fields)} from ({scan.rows}){order}) to {literal(str(self.tsv))} "
            "(format csv, delimiter '\t', quote '', escape '', header false)"
        ))
        return int(rows)

    def _load_data(
        self, cur: Any, table: str, columns: Sequence[str], tsv: Path, rows: int, loaded_at: datetime | None
    ) -> None:
        """LOAD DATA `tsv` into `table`; a row it did not store (a warning) fails the file."""
        names = ", ".join(f"`{c}`" for c in columns)
        stamp = f" set `{LOADED_AT}` = %s" if loaded_at else ""
        try:
            loaded = cur.execute(
                f"load data local infile %s into table {table} character set utf8mb4 ({names}){stamp}",
                (str(tsv), loaded_at) if loaded_at else (str(tsv),),
            )
        except pymysql.err.OperationalError as exc:
            if exc.args[0] in _LOCAL_INFILE_REFUSED:
                raise BizstatsError(
                    f"{describe(self.target)}: the server refuses LOAD DATA LOCAL INFILE, which "
                    "`bizstats load` uses: enable it with `SET GLOBAL local_infile = ON` (or "
                    "local_infile=1 in the server's configuration); nothing of this file was loaded"
                ) from exc
            raise
        cur.execute("show warnings")
        warnings = cur.fetchall()
        if warnings or loaded != rows:
            _, code, message = warnings[0] if warnings else ("", 0, f"{loaded} of {rows} rows stored")
            raise pymysql.err.DataError(code, f"LOAD DATA: {message}")


def keep_earliest(table: RawTable, into: str) -> str:
    """ON DUPLICATE KEY UPDATE keeping the delivery with the earliest created_at.

    A new delivery wins only with a non-NULL created_at earlier than the stored one (or the
    stored one NULL); then it replaces every column and takes this load's `_loaded_at`.
    MySQL assigns left to right, so `created_at` goes last and the test sees the old value.
    The stored row's columns are qualified by `into`, the table inserted into.
    """
    stored = f"{into}.`created_at`"
    newer = f"values(`created_at`) is not null and ({stored} is null or values(`created_at`) < {stored})"
    columns: Sequence[str] = [c for c in table.column_names if c not in ("event_id", "created_at")]
    columns = [*columns, LOADED_AT, "created_at"]
    sets = ", ".join(f"`{c}` = if({newer}, values(`{c}`), {into}.`{c}`)" for c in columns)
    return f" on duplicate key update {sets}"
