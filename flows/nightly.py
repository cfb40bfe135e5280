"""The nightly build as a Prefect 3 flow: at 02:00 Asia/Shanghai (seed §4.2.3, §6.1) build
yesterday (local time, dbt var stats_utc_offset_hours) with the lookback window and every
day touched by rows loaded since it was last built.

Serve it on one machine with `python -m flows.nightly` (a long-running process that runs
the schedule), or run it once with `python -m flows.nightly --once [--date D]`.
"""

from __future__ import annotations

import argparse
from datetime import date

from prefect import flow, get_run_logger, task
from prefect.schedules import Cron

from bizstats.build import BuildResult, build
from bizstats.config import DEFAULT_TARGET, Target

NIGHTLY_CRON = Cron("0 2 * * *", timezone="Asia/Shanghai")


@task(retries=2, retry_delay_seconds=600)
def build_day(target_name: str, day: date | None) -> BuildResult:
    """One nightly build; retried twice (10 minutes apart) since late loads often heal it."""
    logger = get_run_logger()
    return build(Target(target_name), day=day, progress=logger.info)


@flow(name="bizstats-nightly", log_prints=True)
def nightly(target: str = DEFAULT_TARGET, day: date | None = None) -> dict[str, str]:
    """Build `day` (default: yesterday, local time) and return the range that was rebuilt."""
    result = build_day(target, day)
    return {"start": result.start.isoformat(), "end": result.end.isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="run one build now and exit")
    parser.add_argument("--date", type=date.fromisoformat, help="day to build (with --once)")
    parser.add_argument("--target", default=DEFAULT_TARGET)
    args = parser.parse_args()
    if args.once:
        print(nightly(target=args.target, day=args.date))
    else:
        nightly.serve(
            name="bizstats-nightly", schedules=[NIGHTLY_CRON], parameters={"target": args.target}
        )


if __name__ == "__main__":
    main()
