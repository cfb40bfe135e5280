"""Read the marts back out: daily_stats rows for a range (optionally one channel and/or one
device type), as CSV or JSON.

The key columns come first: stat_date, channel, device_type; then every published metric in
registry order (vars.metrics of dbt_project.yml), then created_at and updated_at."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from bizstats.config import Target, project_dir
from bizstats.db import connect, fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError
from bizstats.registry import MetricSpec, load_registry
from bizstats.spark import sql as spark_sql

FORMATS = ("csv", "json")
_KEYS_BEFORE = ("stat_date", "channel", "device_type")
_KEYS_AFTER = ("created_at", "updated_at")
# the slice filters: column -> the seed that lists its values (plus `all`, every value summed)
SLICE_SEEDS = {"channel": "channels", "device_type": "device_types"}


def daily_metrics() -> tuple[MetricSpec, ...]:
    """The metric columns of daily_stats: the registry's published metrics, in its order."""
    return load_registry().mart_metrics("daily_stats")


def daily_stats_columns() -> tuple[str, ...]:
    """daily_stats' columns as exported: the keys, the metrics, the row's timestamps."""
    return (*_KEYS_BEFORE, *(m.name for m in daily_metrics()), *_KEYS_AFTER)


def slice_values(column: str) -> tuple[str, ...]:
    """The values a slice column may hold: `all` and the first column of its seed."""
    seed = project_dir() / "seeds" / f"{SLICE_SEEDS[column]}.csv"
    with seed.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return ("all", *(row[0].strip() for row in rows if row and row[0].strip()))


def _check_slices(slices: dict[str, str | None]) -> dict[str, str]:
    """The given filters, each checked against its seed (one line naming the choices)."""
    chosen = {}
    for column, value in slices.items():
        if value is None:
            continue
        known = slice_values(column)
        if value not in known:
            option = "--device" if column == "device_type" else f"--{column}"
            raise BizstatsError(f"{option} {value}: no such {column}; choose one of {', '.join(known)}")
        chosen[column] = value
    return chosen


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


def read_daily_stats(
    target: Target, start: date, end: date, channel: str | None = None, device_type: str | None = None
) -> list[dict[str, Any]]:
    """daily_stats rows with stat_date in [start, end] (and the given channel / device type,
    `all` for the sum over them), ordered by date, channel, device.

    Reads only: a missing DuckDB file is an error (nothing is created), and a database
    error (daily_stats not built yet, server unreachable, ...) is one BizstatsError
    naming the target and what to do."""
    slices = _check_slices({"channel": channel, "device_type": device_type})
    columns = daily_stats_columns()
    ph = placeholder(target)
    where = " and ".join([f"stat_date between {ph} and {ph}", *(f"{column} = {ph}" for column in slices)])
    sql = (
        f"select {', '.join(columns)} "
        f"from {qualified(target, target.models_schema, 'daily_stats')} "
        f"where {where} order by stat_date, channel, device_type"
    )
    params = (start, end, *slices.values())
    with connect(target, create=False) as con:
        # Spark: live over PyHive, its rows typed as DuckDB's (dates as dates)
        rows = spark_sql.fetch(con, sql, params) if target.is_spark else fetch_all(con, sql, params)
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
