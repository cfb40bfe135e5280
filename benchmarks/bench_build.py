"""Benchmark: load, full build and nightly incremental build, on DuckDB and MariaDB/MySQL.

For each target and each history length H (default 10 and 60 days) it generates H + 1
days x M events/day with the demo generator, loads the first H days (load rows/s),
builds them (full build seconds), then loads the last day and runs the nightly build for
it (incremental seconds: it must stay flat as H grows), and times the single plain
aggregation query over that day's raw page views (the floor the models should come near).

    python benchmarks/bench_build.py [--events-per-day 10000] [--history 10 60]
                                     [--targets duckdb mysql]

MySQL/MariaDB from BIZSTATS_MYSQL_* (databases bizstats_bench_*, dropped afterwards).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bizstats.build import build
from bizstats.config import MySQLSettings, Target
from bizstats.contract import TABLES
from bizstats.db import connect, fetch_all, mysql_connect, qualified
from bizstats.demo.generator import DemoConfig, generate
from bizstats.loader import load_dir
from bizstats.project_vars import project_vars

OFFSET = timedelta(hours=project_vars().utc_offset_hours)


def split_last_day(src: Path, last_day: date, history: Path, tail: Path) -> None:
    """Copy each CSV into `history` (rows before local `last_day`) and `tail` (the rest),
    placing a row by the first non-empty time column of the contract."""
    for name, table in TABLES.items():
        path = src / f"{name}.csv"
        if not path.exists():
            continue
        with (
            open(path, newline="", encoding="utf-8") as fh,
            open(history / path.name, "w", newline="", encoding="utf-8") as h_out,
            open(tail / path.name, "w", newline="", encoding="utf-8") as t_out,
        ):
            reader = csv.reader(fh)
            header = next(reader)
            idx = [header.index(c) for c in table.time_columns if c in header]
            h_w, t_w = csv.writer(h_out), csv.writer(t_out)
            h_w.writerow(header)
            t_w.writerow(header)
            for row in reader:
                when = next((row[i] for i in idx if i < len(row) and row[i]), "")
                try:
                    day = (datetime.strptime(when, "%Y-%m-%d %H:%M:%S") + OFFSET).date()
                except ValueError:
                    day = last_day - timedelta(days=1)  # dirty rows go with the history
                (t_w if day >= last_day else h_w).writerow(row)


def plain_query_seconds(target: Target, day: date) -> float:
    start = datetime(day.year, day.month, day.day) - OFFSET
    end = start + timedelta(days=1)
    sql = (
        f"select count(*), count(distinct coalesce(user_id, device_id)) "
        f"from {qualified(target, target.raw_schema, 'event_logs')} where event_type = 'page_view' "
        f"and event_time >= '{start:%Y-%m-%d %H:%M:%S}' and event_time < '{end:%Y-%m-%d %H:%M:%S}'"
    )
    with connect(target) as con:
        t0 = time.perf_counter()
        fetch_all(con, sql)
        return time.perf_counter() - t0


def fresh_target(name: str, tag: str, workdir: Path) -> Target:
    if name == "duckdb":
        os.environ["BIZSTATS_DUCKDB_PATH"] = str(workdir / f"bench-{tag}.duckdb")
    else:
        os.environ["BIZSTATS_MYSQL_SCHEMA"] = f"bizstats_bench_{tag}"
        drop_mysql(f"bizstats_bench_{tag}")
    return Target(name)


def drop_mysql(schema: str) -> None:
    con = mysql_connect(MySQLSettings.from_env())
    try:
        with con.cursor() as cur:
            for db in (schema, f"{schema}_raw"):
                cur.execute(f"drop database if exists `{db}`")
    finally:
        con.close()


def run(target_name: str, history_days: int, events_per_day: int, workdir: Path) -> dict:
    last_day = date(2026, 3, 31)
    data, hist, tail = (workdir / f"{target_name}-{history_days}-{d}" for d in ("all", "h", "t"))
    for d in (data, hist, tail):
        d.mkdir()
    generate(
        DemoConfig(days=history_days + 1, events_per_day=events_per_day, end_date=last_day, seed=7),
        data,
    )
    split_last_day(data, last_day, hist, tail)
    target = fresh_target(target_name, f"{target_name}{history_days}", workdir)

    t0 = time.perf_counter()
    loaded = load_dir(target, hist).loaded
    load_s = time.perf_counter() - t0

    first = last_day - timedelta(days=history_days)
    t0 = time.perf_counter()
    build(target, start=first, end=last_day - timedelta(days=1))
    full_s = time.perf_counter() - t0

    load_dir(target, tail)
    t0 = time.perf_counter()
    nightly = build(target, day=last_day)
    nightly_s = time.perf_counter() - t0
    plain_s = plain_query_seconds(target, last_day)
    if target_name == "mysql":
        drop_mysql(target.models_schema)
    return {
        "target": target_name,
        "history_days": history_days,
        "rows_loaded": loaded,
        "load_rows_per_s": loaded / load_s,
        "full_build_s": full_s,
        "nightly_build_s": nightly_s,
        "nightly_days": nightly.days,
        "plain_query_s": plain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events-per-day", type=int, default=10000)
    parser.add_argument("--history", type=int, nargs="+", default=[10, 60])
    parser.add_argument("--targets", nargs="+", default=["duckdb", "mysql"])
    args = parser.parse_args()
    print(f"events/day: {args.events_per_day}; 2 cores; dbt in-process (dbtRunner)")
    header = (
        "target",
        "history",
        "rows",
        "load rows/s",
        "full build s",
        "nightly s (days)",
        "plain query s",
    )
    print(" | ".join(header))
    with tempfile.TemporaryDirectory(prefix="bizstats-bench-") as tmp:
        for target_name in args.targets:
            for history_days in args.history:
                r = run(target_name, history_days, args.events_per_day, Path(tmp))
                print(
                    " | ".join(
                        (
                            r["target"],
                            str(r["history_days"]),
                            f"{r['rows_loaded']:,}",
                            f"{r['load_rows_per_s']:,.0f}",
                            f"{r['full_build_s']:.1f}",
                            f"{r['nightly_build_s']:.1f} ({r['nightly_days']})",
                            f"{r['plain_query_s']:.3f}",
                        )
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
