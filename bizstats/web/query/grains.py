"""What each /api/stats/<grain> endpoint reads: its mart, the columns that key a row, how a
request's dates select rows, how long a range it accepts, and which days its answer depends
on (the cache drops an answer when a build rebuilds one of them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


@dataclass(frozen=True)
class Grain:
    """One endpoint: `/api/stats/<name>` over the mart `mart`."""

    name: str
    mart: str
    period_column: str  # the date column the range filters on
    keys: tuple[str, ...]  # the columns identifying a row, in output order
    max_days: int  # the longest range one request may ask for
    sliced: bool = True  # has channel and device_type
    period: str = "day"  # day, week or month: what period_column starts

    def period_bounds(self, start: date, end: date) -> tuple[date, date]:
        """The values of period_column a range [start, end] selects: the periods it overlaps."""
        if self.period == "week":
            return _monday(start), end
        if self.period == "month":
            return _month_start(start), end
        return start, end

    def days_used(self, start: date, end: date) -> tuple[date, date]:
        """The local days whose rebuild can change the answer for [start, end]: the whole
        weeks or months it overlaps."""
        if self.period == "week":
            return _monday(start), _monday(end) + timedelta(days=6)
        if self.period == "month":
            return _month_start(start), _month_end(end)
        return start, end


SLICE = ("channel", "device_type")
GRAINS = {
    g.name: g
    for g in (
        Grain("daily", "daily_stats", "stat_date", ("stat_date", *SLICE), max_days=366),
        Grain("hourly", "hourly_stats", "stat_date", ("stat_date", "stat_hour", *SLICE), max_days=31),
        Grain(
            "weekly", "weekly_stats", "week_start",
            ("week_start", "iso_year", "iso_week", "as_of_date", "days_covered", *SLICE),
            max_days=1100, period="week",
        ),
        Grain(
            "monthly", "monthly_stats", "month_start",
            ("month_start", "as_of_date", "days_covered", *SLICE),
            max_days=3660, period="month",
        ),
        Grain(
            "breakdowns", "daily_breakdowns", "stat_date",
            ("stat_date", *SLICE, "dimension", "dimension_value"), max_days=366,
        ),
        Grain("user-types", "user_type_daily_stats", "stat_date", ("stat_date", "user_type"),
              max_days=366, sliced=False),
    )
}
