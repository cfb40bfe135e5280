"""`bizstats realtime rebuild`: a day's counters from the stored events (after Redis was
down or flushed). Reads `event_logs` (one delivery per event_id, the earliest created_at) —
on DuckDB plus the collector's spool, which holds what the build has not ingested yet."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import redis

from bizstats.config import Target
from bizstats.db import connect, ensure_raw_tables, fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError
from bizstats.load.collected.spool import spool_path, spooled_rows
from bizstats.local_time import local_today
from bizstats.project_vars import project_vars
from bizstats.realtime.counters import connect as redis_connect
from bizstats.realtime.counters import replace_day
from bizstats.realtime.facts import counters, facts
from bizstats.redact import redact_text, redact_url

_COLUMNS = ("event_id", "event_type", "user_id", "device_id", "amount", "extra_data",
            "channel", "device_type", "event_time", "created_at")  # fmt: skip


def day_rows(target: Target, day: date, offset_hours: int) -> list[dict[str, Any]]:
    """The events of a local day, one per event_id (earliest created_at, NULL last)."""
    start = datetime.combine(day, time()) - timedelta(hours=offset_hours)
    end = start + timedelta(days=1)
    ph = placeholder(target)
    raw = qualified(target, target.raw_schema, "event_logs")
    ensure_raw_tables(target)  # a warehouse whose events are all still in the spool
    with connect(target) as con:
        found = fetch_all(
            con,
            f"select {', '.join(_COLUMNS)} from {raw} where event_time >= {ph} and event_time < {ph}",
            (start, end),
        )
    rows = [dict(zip(_COLUMNS, values, strict=True)) for values in found]
    if target.name == "duckdb":
        for row in spooled_rows(spool_path(target)):
            event_time = datetime.fromisoformat(row["event_time"])
            if start <= event_time < end:
                rows.append({**row, "event_time": event_time,
                             "created_at": datetime.fromisoformat(row["created_at"])})  # fmt: skip
    earliest: dict[str, dict[str, Any]] = {}
    for row in rows:
        kept = earliest.get(row["event_id"])
        if kept is None or _earlier(row["created_at"], kept["created_at"]):
            earliest[row["event_id"]] = row
    return list(earliest.values())


def _earlier(candidate: datetime | None, kept: datetime | None) -> bool:
    """Whether a delivery wins over the kept one: earlier created_at, NULL last."""
    return candidate is not None and (kept is None or candidate < kept)


def rebuild_day(target: Target, redis_url: str, day: date, offset_hours: int, uv_exact: bool) -> int:
    """Replace the day's counters with the stored events'; returns the events counted."""
    rows = day_rows(target, day, offset_hours)
    client = redis_connect(redis_url)
    try:
        known = counters()
        replace_day(client, day, [f for row in rows for f in facts(row, offset_hours, known)], uv_exact)
    finally:
        client.close()
    return len(rows)


def rebuild_realtime(
    target: Target, day: date | None, redis_url: str | None, uv_exact: bool
) -> tuple[date, int]:
    """`bizstats realtime rebuild`: a local day's counters (default today) rebuilt from the
    stored events; returns (the day, the events counted)."""
    if redis_url is None:
        raise BizstatsError("BIZSTATS_REDIS_URL is not set: no real-time counters to rebuild")
    target = target.control  # spark: the stored events are its control database's (and spool's)
    offset = project_vars().utc_offset_hours
    if day is None:
        day = local_today(offset=offset)
    try:
        return day, rebuild_day(target, redis_url, day, offset, uv_exact)
    except redis.RedisError as exc:
        where = redact_url(redis_url)
        raise BizstatsError(f"Redis at {where}: {redact_text(str(exc))}; is it running?") from exc
