"""One time zone (统计时区): the statistics offset, dbt var `stats_utc_offset_hours` (UTC+8 by
default), is the local day of everything — builds, schedules, checks, the real-time keys, the
collector's tally and the query API's "today". This module is the one home of "the local date
of a UTC moment" and of "today" and "yesterday" there; the schedules' zone is derived from the
same offset (`zone()`: Etc/GMT-8 for +8, UTC for 0)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bizstats import project_vars as _vars
from bizstats.errors import BizstatsError


def offset_hours() -> int:
    """The statistics offset from UTC, in hours (dbt var stats_utc_offset_hours)."""
    return _vars.project_vars().utc_offset_hours


def utc_now() -> datetime:
    """Now, as a naive UTC datetime (how the raw tables hold datetimes)."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_date(moment: datetime, offset: int | None = None) -> date:
    """The local day (at `offset` hours from UTC; default the statistics offset) of a UTC
    moment: naive (taken as UTC, like the raw tables' datetimes) or aware (any zone)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment + timedelta(hours=offset_hours() if offset is None else offset)).date()


def local_today(now: datetime | None = None, offset: int | None = None) -> date:
    """Today in the statistics time zone (at `now`, default the current moment)."""
    return local_date(utc_now() if now is None else now, offset)


def local_yesterday(now: datetime | None = None, offset: int | None = None) -> date:
    """Yesterday in the statistics time zone: the day a nightly build covers by default."""
    return local_today(now, offset) - timedelta(days=1)


def zone(offset: int | None = None) -> ZoneInfo:
    """The statistics offset as a time zone for schedules (cron): UTC for 0, else the fixed
    IANA zone Etc/GMT-N for UTC+N (the IANA names' sign is reversed), which Prefect accepts."""
    hours = offset_hours() if offset is None else offset
    if hours == 0:
        return ZoneInfo("UTC")
    if not -12 <= hours <= 14:
        raise BizstatsError(
            f"dbt var stats_utc_offset_hours must be from -12 to 14 for the schedules, got {hours}"
        )
    return ZoneInfo(f"Etc/GMT{-hours:+d}")
