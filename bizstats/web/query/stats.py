"""Answer a checked stats request from the marts: one statement (the page and the total row
count together), values as JSON wants them — dates YYYY-MM-DD (local days, UTC+8), counts as
integers, money as exact decimal strings ("12.30"), decimals and percents (a fraction, e.g.
"0.1250") as exact decimal strings, never floats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bizstats.db import placeholder, qualified
from bizstats.metrics_catalog import Metric
from bizstats.web.query.params import StatsQuery
from bizstats.web.query.readers import Reader


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _money(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def _decimal(value: Any) -> str | None:
    return None if value is None else str(Decimal(value))


def _count(value: Any) -> int | str | None:
    """A whole number as an integer (a fraction, which an integer format never stores, as
    its exact decimal string)."""
    if value is None:
        return None
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else str(number)


def _encoder(metric: Metric | None) -> Callable[[Any], Any]:
    """How a column's values go into JSON: keys as text, metrics by their format."""
    if metric is None:
        return _text
    return {"money": _money, "decimal": _decimal, "percent": _decimal}.get(metric.format, _count)


def _where(query: StatsQuery, ph: str) -> tuple[str, list[Any]]:
    """The filter of `query` (its periods, slices and dimensions) with its parameters."""
    grain = query.grain
    where = [f"{grain.period_column} between {ph} and {ph}"]
    params: list[Any] = list(grain.period_bounds(query.start, query.end))
    for column, values in (
        ("channel", query.channels), ("device_type", query.device_types), ("dimension", query.dimensions)
    ):
        if values:
            where.append(f"{column} in ({', '.join([ph] * len(values))})")
            params += values
    return " and ".join(where), params


def statement(query: StatsQuery, table: str, ph: str) -> tuple[str, list[Any]]:
    """The SQL of one page of `query` on `table`, with its parameters; the last column of
    every row is the count of all rows of the request."""
    grain = query.grain
    cols = [*grain.keys, *(m.name for m in query.metrics)]
    where, params = _where(query, ph)
    sql = (
        f"select {', '.join(cols)}, count(*) over () from {table} where {where} "
        f"order by {', '.join(grain.keys)} limit {query.size} offset {(query.page - 1) * query.size}"
    )
    return sql, params


def run_stats(reader: Reader, query: StatsQuery, utc_offset_hours: int) -> dict[str, Any]:
    """The JSON body of a stats response: the request as understood, the page, the paging."""
    target = reader.target
    table = qualified(target, target.models_schema, query.grain.mart)
    rows = reader.fetch(*statement(query, table, placeholder(target)))
    total = int(rows[0][-1]) if rows else _row_count(reader, query, table)
    metric_of = {m.name: m for m in query.metrics}
    names = [*query.grain.keys, *metric_of]
    columns = [(name, _encoder(metric_of.get(name))) for name in names]
    shown = query.page * query.size
    return {
        "grain": query.grain.name,
        "table": query.grain.mart,
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "timezone": f"UTC{utc_offset_hours:+d}",
        "channel": list(query.channels),
        "device_type": list(query.device_types),
        **({"dimension": list(query.dimensions)} if query.dimensions else {}),
        "metrics": list(metric_of),
        "page": query.page,
        "size": query.size,
        "total": total,
        "next_page": query.page + 1 if shown < total else None,
        "rows": [
            # zip stops before a row's last value: the total
            {name: encode(value) for (name, encode), value in zip(columns, row, strict=False)}
            for row in rows
        ],
    }


def _row_count(reader: Reader, query: StatsQuery, table: str) -> int:
    """The row count of a page past the end (no row carries the total)."""
    where, params = _where(query, placeholder(reader.target))
    return int(reader.fetch(f"select count(*) from {table} where {where}", params)[0][0])
