"""Statements and rows over a PyHive connection to Spark, for the readers of the marts (the
query API, `bizstats export`, the report, the checks).

Parameters are written into the statement here, as Spark SQL literals, not by PyHive: PyHive's
escaper doubles a quote (`'it''s'`), which Spark reads as two adjacent literals (`its`), and it
refuses a Decimal. A `%s` of the statement is the next parameter (`%%` a percent sign), as in
the other targets' pyformat statements.

Rows come back as on DuckDB: a DATE column as a `date` (PyHive gives its text), a DECIMAL as a
`Decimal`, a TIMESTAMP as a naive `datetime` (UTC: the session's time zone), counts as `int`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_MARK = re.compile(r"%%|%s")


def literal(value: Any) -> str:
    """`value` as a Spark SQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")  # 1E+2 would be a double: 100
    if isinstance(value, float):
        return f"cast({value!r} as double)"
    if isinstance(value, datetime):
        return f"timestamp'{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    if isinstance(value, date):
        return f"date'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(f"no Spark SQL literal for {type(value).__name__}")


def render(sql: str, params: Sequence[Any] = ()) -> str:
    """`sql` with each `%s` replaced by the literal of the next parameter (`%%`: `%`)."""
    values = iter(params)

    def one(match: re.Match[str]) -> str:
        return "%" if match.group() == "%%" else literal(next(values))

    text = _MARK.sub(one, sql) if params else sql
    if next(values, _MARK) is not _MARK:
        raise ValueError("more parameters than %s marks")
    return text


def execute(cur: Any, sql: str, params: Sequence[Any] = ()) -> None:
    """Run `sql` with `params` on a PyHive cursor (PyHive formats nothing)."""
    cur.execute(render(sql, params))


def rows(cur: Any) -> list[tuple[Any, ...]]:
    """The cursor's rows with DATE columns as `date`."""
    fetched = cur.fetchall()
    dates = [i for i, col in enumerate(cur.description or ()) if col[1] == "DATE_TYPE"]
    if not dates:
        return [tuple(row) for row in fetched]
    out = []
    for row in fetched:
        values = list(row)
        for i in dates:
            if isinstance(values[i], str):
                values[i] = date.fromisoformat(values[i])
        out.append(tuple(values))
    return out


def fetch(con: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """All rows of a query on a PyHive connection."""
    cur = con.cursor()
    try:
        execute(cur, sql, params)
        return rows(cur)
    finally:
        cur.close()


def run(con: Any, sql: str, params: Sequence[Any] = ()) -> None:
    """Run a statement that returns no rows (DDL, insert) on a PyHive connection: the Thrift
    server finishes it before answering (its empty "Result" is not fetched: PyHive cannot)."""
    cur = con.cursor()
    try:
        execute(cur, sql, params)
    finally:
        cur.close()


def tables(con: Any, schema: str) -> set[str]:
    """The tables and views of `schema` (Spark 3.5 has no information_schema); none when the
    schema does not exist."""
    if not fetch(con, "show databases like %s", [schema]):
        return set()
    quoted = "`" + schema.replace("`", "``") + "`"
    return {str(row[1]) for row in fetch(con, f"show tables in {quoted}") if not row[2]}
