"""Parquet parts of the archive: write a day's rows, read them back, checksum them.

The rows are written by DuckDB (`COPY ... (FORMAT parquet, COMPRESSION zstd)`) from an
in-memory table filled through a pandas frame of their canonical text, cast back to the raw
contract's types: the same path for rows read from DuckDB and from MySQL/MariaDB, with no
further dependency (no pyarrow). Every column of the raw table is kept, the surrogate (`id`
or `_row_id`) and `_loaded_at` included, so a restored row is the row that was archived.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from bizstats.contract import LOADED_AT, ROW_ID, TABLES, Column

Row = tuple[Any, ...]

_DUCK_TYPES = {"string": "varchar", "text": "varchar", "json": "varchar", "decimal": "decimal(18,2)",
               "datetime": "timestamp"}


def row_id(table: str) -> str:
    """The raw table's surrogate: event_logs' `id`, the business tables' `_row_id`."""
    return "id" if table == "event_logs" else ROW_ID


def columns(table: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a raw table as archived: surrogate, contract columns, _loaded_at."""
    contract: Sequence[Column] = TABLES[table].columns
    return [
        (row_id(table), "bigint"),
        *[(c.name, _DUCK_TYPES[c.kind]) for c in contract],
        (LOADED_AT, "timestamp"),
    ]


def canonical(value: Any) -> str | None:
    """A value as text, the same whichever database or file it was read from."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def rows_checksum(rows: Iterable[Row]) -> str:
    """SHA-256 of rows (in the order given: by surrogate), each as the JSON list of its
    canonical values."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([canonical(v) for v in row], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write(path: Path, table: str, rows: Sequence[Row]) -> None:
    """Write `rows` (ordered by surrogate) to the Parquet file `path`, durably: a temporary
    file, fsync, rename."""
    import pandas

    cols = columns(table)
    names = [name for name, _ in cols]
    frame = pandas.DataFrame(
        [[canonical(v) for v in row] for row in rows], columns=names, dtype=object
    )
    temporary = path.with_name(path.name + ".tmp")
    con = duckdb.connect()
    try:
        con.register("incoming", frame)
        select = ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind in cols)
        con.execute(
            f'copy (select {select} from incoming order by "{names[0]}") to {_literal(temporary)} '
            "(format parquet, compression zstd)"
        )
    finally:
        con.close()
    with open(temporary, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def read(paths: Sequence[Path], table: str) -> list[Row]:
    """The rows of Parquet parts, ordered by surrogate, in the raw table's column order."""
    if not paths:
        return []
    names = ", ".join(f'"{name}"' for name, _ in columns(table))
    files = "[" + ", ".join(_literal(p) for p in paths) + "]"
    con = duckdb.connect()
    try:
        return [
            tuple(row)
            for row in con.execute(
                f"select {names} from read_parquet({files}) order by 1"
            ).fetchall()
        ]
    finally:
        con.close()
