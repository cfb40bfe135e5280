"""The counters' Redis keys (实时统计键): `stats:real_time:<metric>:<date>` for the
day's total and `stats:real_time:<metric>:<date>:<channel>:<device_type>` per slice; the date
is the local day (dbt var stats_utc_offset_hours, UTC+8 by default) of the event time
(bizstats.local_time.local_date); the prefix is BIZSTATS_REALTIME_PREFIX."""

from __future__ import annotations

import functools
from datetime import date, datetime

from bizstats.config import project_dir
from bizstats.local_time import local_date
from bizstats.settings import settings

PREFIX_ENV = "BIZSTATS_REALTIME_PREFIX"


def ttl_seconds() -> int:
    """How long a counter key lives after its last write: BIZSTATS_REALTIME_TTL_DAYS days
    (default 7, the settings' retention section); then only the marts hold
    the day."""
    return settings().retention.realtime_ttl_seconds


def prefix() -> str:
    """The counters' key prefix (BIZSTATS_REALTIME_PREFIX, default stats:real_time)."""
    return settings().realtime.prefix


def key(
    metric: str, day: date, channel: str | None = None, device: str | None = None, base: str | None = None
) -> str:
    """The key of `metric` on local `day` (a slice's with `channel` and `device`); `base` is
    the prefix when the caller read it once for many keys (default: `prefix()`)."""
    name = f"{prefix() if base is None else base}:{metric}:{day.isoformat()}"
    return name if channel is None else f"{name}:{channel}:{device}"


def local_day(event_time: datetime, offset_hours: int) -> date:
    """The local day of a UTC event time (bizstats.local_time.local_date)."""
    return local_date(event_time, offset_hours)


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
