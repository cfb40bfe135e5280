"""Read the marts back out: daily_stats rows for a range, as CSV or JSON."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from bizstats.config import Target
from bizstats.db import connect, fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError

# The seed's daily_stats columns (§5.2.1), in its order, minus the surrogate id.
DAILY_STATS_COLUMNS = (
    "stat_date",
    "pv",
    "uv",
    "avg_visit_duration",
    "real_name_count",
    "bind_card_count",
    "new_member_count",
    "credit_order_count",
    "daily_member_deduction",
    "history_member_deduction",
    "total_deduction",
    "channel",
    "device_type",
    "created_at",
    "updated_at",
)
MONEY_COLUMNS = ("daily_member_deduction", "history_member_deduction", "total_deduction")
FORMATS = ("csv", "json")


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def read_daily_stats(target: Target, start: date, end: date) -> list[dict[str, Any]]:
    """daily_stats rows with stat_date in [start, end], ordered by date, channel, device.

    Reads only: a missing DuckDB file is an error (nothing is created), and a database
    error (daily_stats not built yet, server unreachable, ...) is one BizstatsError
    naming the target and what to do."""
    ph = placeholder(target)
    sql = (
        f"select {', '.join(DAILY_STATS_COLUMNS)} "
        f"from {qualified(target, target.models_schema, 'daily_stats')} "
        f"where stat_date between {ph} and {ph} order by stat_date, channel, device_type"
    )
    with connect(target, create=False) as con:
        rows = fetch_all(con, sql, (start, end))
    return [dict(zip(DAILY_STATS_COLUMNS, row, strict=True)) for row in rows]


def write_rows(rows: list[dict[str, Any]], fmt: str, out: IO[str]) -> None:
    """CSV with a header, or a JSON array; dates as YYYY-MM-DD, money as exact decimals
    (in JSON a string such as "12.30", never a float)."""
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(DAILY_STATS_COLUMNS)
        for row in rows:
            writer.writerow([_text(row[c]) for c in DAILY_STATS_COLUMNS])
    elif fmt == "json":
        records = [{k: _text(v) for k, v in row.items()} for row in rows]
        json.dump(records, out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        raise BizstatsError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
