"""Build the warehouse: pick the range (nightly run, late data, backfill) and run dbt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bizstats import changes
from bizstats.config import Target
from bizstats.db import ensure_raw_tables
from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError

UTC_OFFSET_HOURS = 8  # the dbt var stats_utc_offset_hours; keep them equal
LOOKBACK_DAYS = 3  # the dbt var lookback_days


@dataclass(frozen=True)
class BuildResult:
    start: date
    end: date
    statuses: dict[str, str]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def yesterday_local() -> date:
    """Yesterday in the statistics time zone (UTC+8)."""
    return changes.local_date(changes.utc_now(), UTC_OFFSET_HOURS) - timedelta(days=1)


def plan_range(
    target: Target, day: date | None = None, from_scratch: bool = False
) -> tuple[date, date]:
    """The nightly range for `day` (default yesterday, UTC+8): [day - lookback, day],
    widened back to the earliest day touched by rows loaded since the last build. The first
    build (or one `from_scratch`) covers all data."""
    end = day or yesterday_local()
    start = end - timedelta(days=LOOKBACK_DAYS)
    built_before, watermark = changes.last_watermark(target)
    built_before = built_before and not from_scratch
    changed = changes.earliest_changed_date(
        target, watermark if built_before else None, UTC_OFFSET_HOURS
    )
    if changed is not None and changed < start:
        start = changed
    return start, end


def build(
    target: Target,
    day: date | None = None,
    start: date | None = None,
    end: date | None = None,
    full_refresh: bool = False,
    progress: Callable[[str], None] | None = None,
    with_tests: bool = True,
) -> BuildResult:
    """Run `dbt build` (models and their tests) for a range of local days.

    With `start` and `end`: exactly that range (backfill / rebuild). Otherwise the nightly
    run for `day` (see plan_range); with `full_refresh`, the tables are recreated from the
    first day of data. `with_tests=False` skips dbt's tests (the test suite
    uses it for speed; production builds always test). Records the build so the next one
    sees late data."""
    if (start is None) != (end is None):
        raise BizstatsError("give both --start and --end, or neither")
    if start is not None and day is not None:
        raise BizstatsError("give either --date or --start/--end, not both")
    ensure_raw_tables(target)
    watermark = changes.current_watermark(target)
    if start is None or end is None:
        start, end = plan_range(target, day, from_scratch=full_refresh)
    if start > end:
        raise BizstatsError(f"--start {start} is after --end {end}")
    if progress:
        progress(f"building {start} .. {end} ({(end - start).days + 1} days) on {target.name}")
    command = ["build", "--full-refresh"] if full_refresh else ["build"]
    if not with_tests:
        command += ["--exclude", "resource_type:test"]
    outcome = run_dbt(
        target,
        command,
        {"start_date": start.isoformat(), "end_date": end.isoformat()},
        progress=progress,
    )
    changes.record_build(target, start, end, watermark)
    return BuildResult(start, end, outcome.statuses)
