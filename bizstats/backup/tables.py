"""Every table's row count and an order-independent checksum, the figures a backup records and
a restore must reproduce exactly (the restore drill, 恢复演练).

- DuckDB: every base table of the file, `sum(hash(row))` over its rows (DuckDB's hash of the
  whole row; the same DuckDB version reads source and copy).
- MySQL/MariaDB: every base table of the models and raw databases, the sum of the first 60
  bits of MD5 over each row's columns, each written with QUOTE() (NULL apart from 'NULL') and
  joined by a unit separator.

A sum, not an XOR: two equal rows do not cancel out, so a duplicated or lost row changes it.
"""

from __future__ import annotations

from typing import Any

from bizstats.backup.manifest import TableFigure


def duckdb_figures(con: Any) -> list[TableFigure]:
    """The figures of every base table of a DuckDB connection's database."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_catalog = current_database() order by 1, 2"
    ).fetchall()
    figures = []
    for schema, table in tables:
        name = f'"{schema.replace(chr(34), chr(34) * 2)}"."{table.replace(chr(34), chr(34) * 2)}"'
        rows, checksum = con.execute(
            f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {name} t"
        ).fetchone()
        figures.append(TableFigure(schema, table, int(rows), str(checksum)))
    return figures


def _tick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def mysql_figures(cur: Any, schemas: dict[str, str]) -> list[TableFigure]:
    """The figures of every base table of the databases `schemas` (role -> database name),
    each under its role, on a MySQL cursor (the caller chooses the snapshot)."""
    figures = []
    for role, database in sorted(schemas.items()):
        cur.execute(
            "select c.table_name, c.column_name from information_schema.columns c "
            "join information_schema.tables t "
            "on t.table_schema = c.table_schema and t.table_name = c.table_name "
            "where c.table_schema = %s and t.table_type = 'BASE TABLE' "
            "order by c.table_name, c.ordinal_position",
            (database,),
        )
        columns: dict[str, list[str]] = {}
        for table, column in list(cur.fetchall()):
            columns.setdefault(str(table), []).append(str(column))
        for table, names in columns.items():
            row = ", ".join(f"quote({_tick(c)})" for c in names)
            bits = f"cast(conv(substr(md5(concat_ws(char(31), {row})), 1, 15), 16, 10) as unsigned)"
            cur.execute(f"select count(*), coalesce(sum({bits}), 0) from {_tick(database)}.{_tick(table)}")
            rows, checksum = cur.fetchone()
            figures.append(TableFigure(role, str(table), int(rows), str(checksum)))
    return figures


def settled(before: list[TableFigure], after: list[TableFigure]) -> list[TableFigure]:
    """The figures of a MySQL backup from those taken before and after its dump: a table equal
    in both kept as is; one that changed (or came or went) meanwhile as `changing`."""
    later = {(f.schema, f.table): f for f in after}
    figures = []
    for first in before:
        last = later.get((first.schema, first.table))
        if last == first:
            figures.append(first)
        else:
            rows_after = last.rows if last else 0
            figures.append(TableFigure(first.schema, first.table, first.rows, "", rows_after))
    return figures


def differences(expected: list[TableFigure] | tuple[TableFigure, ...], found: list[TableFigure]) -> list[str]:
    """What differs between the figures a backup recorded and a restored copy's, one phrase
    per table (missing, extra, rows, checksum); empty when they are equal table by table."""
    want = {(f.schema, f.table): f for f in expected}
    have = {(f.schema, f.table): f for f in found}
    lines = []
    for key in sorted(want.keys() | have.keys()):
        name = f"{key[0]}.{key[1]}"
        if key not in have:
            lines.append(f"{name} is missing")
        elif key not in want:
            lines.append(f"{name} is not in the backup")
        elif want[key].changing:
            low, high = sorted((want[key].rows, want[key].rows_after or 0))
            if not low <= have[key].rows <= high:
                lines.append(
                    f"{name} has {have[key].rows} rows, not {low} to {high} (written during the backup)"
                )
        elif want[key].rows != have[key].rows:
            lines.append(f"{name} has {have[key].rows} rows, not {want[key].rows}")
        elif want[key].checksum != have[key].checksum:
            lines.append(f"{name} has other values (checksum {have[key].checksum}, not {want[key].checksum})")
    return lines
