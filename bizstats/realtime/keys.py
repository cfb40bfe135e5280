"""The counters' Redis keys (实时统计键): `stats:real_time:<metric>:<date>` for the
day's total and `stats:real_time:<metric>:<date>:<channel>:<device_type>` per slice; the date
is the local day (dbt var stats_utc_offset_hours, UTC+8 by default) of the event time."""

from __future__ import annotations

import functools
import os
from datetime import date, datetime, timedelta

from bizstats.config import project_dir

PREFIX_ENV = "BIZSTATS_REALTIME_PREFIX"


def ttl_seconds() -> int:
    """How long a counter key lives after its last write: BIZSTATS_REALTIME_TTL_DAYS days
    (default 7, the retention section bizstats.retention.settings); then only the marts hold
    the day."""
    from bizstats.retention.settings import RetentionSettings

    return RetentionSettings.from_env(os.environ).realtime_ttl_seconds


def prefix() -> str:
    return os.environ.get(PREFIX_ENV, "stats:real_time")


def key(metric: str, day: date, channel: str | None = None, device: str | None = None) -> str:
    base = f"{prefix()}:{metric}:{day.isoformat()}"
    return base if channel is None else f"{base}:{channel}:{device}"


def local_day(event_time: datetime, offset_hours: int) -> date:
    return (event_time + timedelta(0, offset_hours * 3600)).date()


@functools.cache
def _seed(name: str) -> tuple[str, ...]:
    lines = (project_dir() / "seeds" / f"{name}.csv").read_text(encoding="utf-8").splitlines()
    return tuple(line.split(",", 1)[0].strip() for line in lines[1:] if line.strip())


def channels() -> tuple[str, ...]:
    return _seed("channels")


def devices() -> tuple[str, ...]:
    return _seed("device_types")


def normalise(value: str | None, known: tuple[str, ...]) -> str:
    """As staging does: lower(trim(x)), unknown or missing -> other."""
    cleaned = (value or "").strip().lower()
    return cleaned if cleaned in known else "other"
