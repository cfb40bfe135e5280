"""The four scheduled jobs (定时任务): when each runs and which local days it covers.

| job     | runs (in the statistics time zone, UTC+8 by default) | covers (default day)       |
|---------|-------------------------------------------------------|----------------------------|
| hourly  | 5 minutes past every hour                        | today so far (a partial day)    |
| daily   | 02:00                                            | yesterday, with the lookback    |
| weekly  | Monday 03:00                                     | last ISO week, Monday to Sunday |
| monthly | the 1st, 04:00                                   | last month                      |
| backup  | 03:00                                            | today: a backup (备份), no build |

A run for another day (`bizstats run JOB --date D`, a backfill) covers D's day, week or month.
One time zone: the schedules, the days they cover and the marts all use the statistics offset,
dbt var stats_utc_offset_hours (bizstats.local_time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bizstats.errors import BizstatsError
from bizstats.local_time import local_today


@dataclass(frozen=True)
class Job:
    name: str
    cron: str
    label: str  # Chinese and English, as alerts show it

    @property
    def flow_name(self) -> str:
        return f"bizstats-{self.name}"


JOBS = {
    job.name: job
    for job in (
        Job("hourly", "5 * * * *", "小时统计任务 hourly job"),
        Job("daily", "0 2 * * *", "每日统计任务 daily job"),
        Job("weekly", "0 3 * * 1", "每周统计任务 weekly job"),
        Job("monthly", "0 4 1 * *", "每月统计任务 monthly job"),
        Job("backup", "0 3 * * *", "每日备份任务 backup job"),
    )
}


def job(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise BizstatsError(f"unknown job {name!r}: choose one of {', '.join(JOBS)}") from None


def default_day(name: str, now: datetime | None = None) -> date:
    """The day a run started at `now` (default: now; naive is UTC) covers, in the statistics
    time zone: today (hourly), yesterday (daily), a day of last week (weekly) or of last month
    (monthly)."""
    today = local_today(now)
    return {
        "hourly": today,
        "daily": today - timedelta(days=1),
        "weekly": today - timedelta(days=7),
        "monthly": today.replace(day=1) - timedelta(days=1),
        "backup": today,
    }[job(name).name]


def job_range(name: str, day: date) -> tuple[date, date]:
    """The local days a run of job `name` for `day` covers: the day itself (hourly, daily;
    the build adds the lookback), its ISO week (weekly) or its month (monthly)."""
    if job(name).name in ("hourly", "daily", "backup"):
        return day, day
    if name == "weekly":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)
