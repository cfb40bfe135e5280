"""`bizstats retention plan|run|restore`: the archive of old raw rows (数据归档), a thin layer
over bizstats.retention (rules: bizstats/retention/rules.py; docs/operations.md)."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from bizstats.config import Target
from bizstats.errors import BizstatsError

NAME = "retention"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_parser(sub: Any, with_target: Callable[[argparse.ArgumentParser], Any]) -> None:
    group = sub.add_parser(
        NAME, help="archive raw rows older than the retention limit; restore them for a rebuild",
        description="Raw rows stay live BIZSTATS_RETENTION_RAW_DAYS days (default 183), then are "
        "archived by local day to Parquet files under BIZSTATS_ARCHIVE_DIR.",
    )
    verbs = group.add_subparsers(dest="verb", required=True, metavar="VERB")
    before = "archive only local days before this one (never newer than the retention limit)"
    plan = with_target(verbs.add_parser("plan", help="what a run would archive, day by day, with counts"))
    plan.add_argument("--before", type=_date, metavar="YYYY-MM-DD", help=before)
    run = with_target(verbs.add_parser("run", help="archive the old raw rows, then delete them"))
    run.add_argument("--before", type=_date, metavar="YYYY-MM-DD", help=before)
    restore = with_target(verbs.add_parser(
        "restore", help="put archived rows back (event_logs of the days, every other table whole) "
        "before a rebuild of those days"))
    restore.add_argument("--start", type=_date, required=True, metavar="YYYY-MM-DD")
    restore.add_argument("--end", type=_date, required=True, metavar="YYYY-MM-DD")


def run(args: argparse.Namespace) -> int:
    from bizstats.settings import settings as current_settings

    settings = current_settings().retention
    target = Target(args.target)
    if target.is_spark:
        # spark: the raw rows live in its control database (landing); the archive works there
        # exactly as on duckdb, then the lake is synced (the days that lost rows rewritten);
        # the marts are Spark's Parquet tables, never deleted from here
        settings = dataclasses.replace(settings, stats_days=None)
        if current_settings().retention.stats_days is not None and args.verb != "restore":
            print("stats: BIZSTATS_RETENTION_STATS_DAYS is not applied on Spark: its marts are "
                  "Parquet tables; drop their old partitions on Spark yourself", file=sys.stderr)
    if args.verb == "plan":
        from bizstats.retention.archive import plan

        lines = plan(target.control, settings, before=args.before).lines(settings)
        if target.is_spark:  # the rows are its control database's: say whose warehouse it is
            from bizstats.db import describe

            lines[0] = lines[0].replace(f"on {describe(target.control)}",
                                        f"on {describe(target)} (control database "
                                        f"{target.control.duckdb_path})", 1)
        for line in lines:
            print(line)
        return 0
    if args.verb == "run":
        from bizstats.retention.archive import run as archive_run

        with _spark_sync(target, "retention run"):
            result = archive_run(target.control, settings, before=args.before, progress=_progress)
        print(f"archived {result.archived} rows, deleted {result.deleted} raw rows "
              f"(before {result.plan.cutoff}) into {result.plan.archive_dir}"
              + (f"; deleted {result.stats_deleted} mart rows" if result.stats_deleted else ""))
        return 0
    if args.start > args.end:
        raise BizstatsError(f"--start {args.start} is after --end {args.end}")
    from bizstats.retention.restore import restore

    with _spark_sync(target, "retention restore"):
        restored = restore(target.control, settings, args.start, args.end, progress=_progress)
    total = sum(restored.restored.values())
    print(f"restored {total} rows ({restored.present} already in the tables); now run "
          f"bizstats build --start {args.start} --end {args.end}"
          + (" --target spark" if target.is_spark else ""))
    return 0


@contextlib.contextmanager
def _spark_sync(target: Target, what: str) -> Iterator[None]:
    """Spark: the block (an archive run or a restore on the control database) and then the
    lake sync, under one hold of the control database's warehouse lock; other targets: the
    block alone."""
    if not target.is_spark:
        yield
        return
    from bizstats.lock import warehouse_lock
    from bizstats.spark.lake import sync_lake

    with warehouse_lock(target.control, what, _progress):
        yield
        sync_lake(target, progress=_progress)
