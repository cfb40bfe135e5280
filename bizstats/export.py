"""Read the marts back out: daily_stats rows for a range, as CSV or JSON.

The columns are daily_stats' as the metric registry makes them: stat_date, every published
metric in registry order (vars.metrics of dbt_project.yml), then channel, device_type,
created_at and updated_at."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from bizstats.config import Target
from bizstats.db import connect, fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError
from bizstats.registry import MetricSpec, load_registry

FORMATS = ("csv", "json")
_KEYS_BEFORE = ("stat_date",)
_KEYS_AFTER = ("channel", "device_type", "created_at", "updated_at")


def daily_metrics() -> tuple[MetricSpec, ...]:
    """The metric columns of daily_stats: the registry's published metrics, in its order."""
    return load_registry().mart_metrics("daily_stats")


def daily_stats_columns() -> tuple[str, ...]:
    """daily_stats' columns (the seed's order, §5.2.1, minus the surrogate id)."""
    return (*_KEYS_BEFORE, *(m.name for m in daily_metrics()), *_KEYS_AFTER)


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _money(value: Any) -> Any:
    return None if value is None else f"{Decimal(value):.2f}"


def _exact(value: Any) -> Any:
    """A count as an integer, a decimal (a ratio, a percent as its fraction) as its exact
    text: never a float."""
    if value is None or isinstance(value, int):
        return value
    return str(value if isinstance(value, Decimal) else Decimal(str(value)))


def _encoders() -> dict[str, Callable[[Any], Any]]:
    """How each column's values are written: money with 2 decimals, other metrics exact."""
    return {m.name: _money if m.format == "money" else _exact for m in daily_metrics()}


def read_daily_stats(target: Target, start: date, end: date) -> list[dict[str, Any]]:
    """daily_stats rows with stat_date in [start, end], ordered by date, channel, device.

    Reads only: a missing DuckDB file is an error (nothing is created), and a database
    error (daily_stats not built yet, server unreachable, ...) is one BizstatsError
    naming the target and what to do."""
    columns = daily_stats_columns()
    ph = placeholder(target)
    sql = (
        f"select {', '.join(columns)} "
        f"from {qualified(target, target.models_schema, 'daily_stats')} "
        f"where stat_date between {ph} and {ph} order by stat_date, channel, device_type"
    )
    with connect(target, create=False) as con:
        rows = fetch_all(con, sql, (start, end))
    return [dict(zip(columns, row, strict=True)) for row in rows]


def write_rows(rows: list[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    """CSV with a header, or a JSON array; dates as YYYY-MM-DD, money as exact 2-decimal
    text (in JSON a string such as "12.30", never a float), counts as integers, ratios and
    percents (a fraction such as 0.1250) as exact decimal text."""
    if fmt not in FORMATS:
        raise BizstatsError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    columns = daily_stats_columns()
    encoders = _encoders()

    def cell(column: str, value: Any) -> Any:
        return encoders[column](value) if column in encoders else _text(value)

    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(c, row[c]) for c in columns])
    else:
        records = [{k: cell(k, v) for k, v in row.items()} for row in rows]
        json.dump(records, out, ensure_ascii=False, indent=1)
        out.write("\n")
