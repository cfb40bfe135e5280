"""Helpers of the loader tests: write a CSV file, name a raw table, query a target."""

from __future__ import annotations

import csv
from pathlib import Path

from bizstats.config import Target
from bizstats.db import connect, fetch_all, qualified


def write_lines(directory: Path, name: str, *lines: str) -> Path:
    """Write `lines` (one per line) to directory/name, creating the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def write_csvs(folder: Path, tables: dict[str, list[dict]]) -> None:
    """Write each table's rows to folder/<table>.csv (header: the union of the rows' keys in
    first-seen order; None as an empty cell), creating the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


def raw_table(target: Target, table: str) -> str:
    """The quoted name of a table of the target's raw schema."""
    return qualified(target, target.raw_schema, table)


def query_rows(target: Target, sql: str) -> list[tuple]:
    with connect(target) as con:
        return fetch_all(con, sql)
