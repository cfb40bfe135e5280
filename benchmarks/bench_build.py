"""Benchmark: what a nightly build costs beside the engine's floor, on DuckDB, MariaDB/MySQL and Spark.

Every build is the documented command, `bizstats build`, run as its own process the way cron
or a Prefect worker runs it (dbt's parse, the wrapper and dbt's tests included); wall seconds
and the process's peak RSS are measured. The floor is the one query a person would write for
that day's numbers: PV and UV by channel and device with every subtotal
(`group by cube(channel, device_type)` on DuckDB and Spark; MariaDB has no CUBE, so `with
rollup` plus the by-device subtotals), over the raw events of the day, best of 3 (on Spark
through the Thrift server, over the raw table the lake sync published).

Scenarios (each prints its figures beside the floor and the ratio):
- history H (default 10 and 40 days x 20,000 events/day): load H days, first build (timed),
  load day H+1, nightly build for it (timed), then the same nightly again with no new data;
  then nightly(40) / nightly(10) and first build(40) / first build(10).
- big day (--big-day N events on one day): load it, build it (the nightly of that day).
  On Spark the load is the landing plus the lake sync (湖同步), whose seconds are printed.

    python benchmarks/bench_build.py [--events-per-day 20000] [--history 10 40]
        [--big-day 1000000] [--big-day-mysql 200000] [--big-day-spark N]
        [--targets duckdb mysql spark]

MySQL/MariaDB from BIZSTATS_MYSQL_* (databases <BIZSTATS_MYSQL_SCHEMA>_bench_*, dropped
afterwards); DuckDB files in a temporary folder. Spark: the Thrift server of BIZSTATS_SPARK_*
(`bizstats spark up`; a cluster's works the same), databases <schema>_bench_* and their _raw
(dropped afterwards), the landing and the lake under the temporary folder (the lake must be a
path the server sees: on another machine, --keep DIR on a shared mount). Besides the build
process's peak RSS, the Spark rows give the peak RSS of the local server's processes and their
children (executors) during the build, from BIZSTATS_SPARK_HOME_DIR's pid file (none for a
remote server).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from bizstats.config import Target
from bizstats.db import connect, drop_mysql_warehouse, fetch_all, mysql_connect, qualified
from bizstats.demo.generator import DemoConfig, generate
from bizstats.load.loader import load_dir
from bizstats.project_vars import project_vars
from bizstats.settings import settings
from bizstats.spark.lake import sync_lake
from bizstats.spark.server import read_server

OFFSET = timedelta(hours=project_vars().utc_offset_hours)
# The nightly's day: the 10th, so that 10 and 40 days of history hold the same days of its
# month and ISO week (monthly_stats and weekly_stats read the whole period so far, a cost of
# the day of the month, not of history).
LAST_DAY = date(2026, 4, 10)
# EXPLAIN (MySQL/MariaDB): the models that read the event tables, and their aliases of the
# tables that grow with history; a full scan (type ALL) of one of them is reported
EXPLAINED_MODELS = ("stg_event_logs", "int_page_view_durations_in_window", "int_visitor_first_seen")
HISTORY_ALIASES = {"raw_events", "staged_events", "page_views", "stored_events", "stored_first_views"}
BIZSTATS = str(Path(sys.executable).with_name("bizstats"))


@dataclass(frozen=True)
class Run:
    """One `bizstats build` process: wall seconds, of which dbt's (the build's own report:
    "... in X s (dbt Y s)"), and peak resident memory."""

    seconds: float
    dbt_seconds: float
    rss_mb: float
    server_rss_mb: float | None = None  # spark: the local server's processes and children

    def __str__(self) -> str:
        outside = self.seconds - self.dbt_seconds
        server = "" if self.server_rss_mb is None else f", Spark server {self.server_rss_mb:,.0f} MB"
        return (
            f"{self.seconds:6.1f} s (dbt {self.dbt_seconds:.1f}, outside dbt {outside:.1f}; "
            f"{self.rss_mb:,.0f} MB{server})"
        )


def _children() -> dict[int, list[int]]:
    """Every live process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class ServerMemory:
    """Samples, every half second while open, the summed RSS of the local Spark server's
    processes (the pid file under BIZSTATS_SPARK_HOME_DIR: Thrift server, master, workers)
    and all their descendants (a worker's executors); `peak_mb` is the highest sum (None
    without a pid file)."""

    def __init__(self) -> None:
        server = read_server(settings().spark.home)
        self.roots = [p.pid for p in server.processes] if server else []
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            tree = _children()
            pids, seen = list(self.roots), set()
            while pids:
                pid = pids.pop()
                if pid not in seen:
                    seen.add(pid)
                    pids.extend(tree.get(pid, ()))
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in seen))
            if self._stop.wait(0.5):
                return

    def __enter__(self) -> ServerMemory:
        if self.roots:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.roots:
            self._stop.set()
            self._thread.join()

    @property
    def peak_mb(self) -> float | None:
        return self.peak_kb / 1024 if self.roots else None


@dataclass(frozen=True)
class Warehouse:
    """A bench warehouse: its target and the environment its commands run with."""

    target: Target
    env: dict[str, str]

    def build(self, *args: str, label: str) -> Run:
        """Run `bizstats build ARGS` as a child process; fail loudly if it fails. dbt's
        run_results.json is kept as run_results-LABEL.json."""
        # GNU time reports the peak RSS of the command alone: a child forked from this
        # (large) process would inherit its high-water mark in ru_maxrss
        os.environ.update(self.env)
        server = ServerMemory() if self.target.is_spark else contextlib.nullcontext()
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, server:
            started = time.perf_counter()
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%M", "-o", rss.name, BIZSTATS, "build", "--target",
                 self.target.name, *args],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            seconds = time.perf_counter() - started
            peak_kb = int(rss.read().split()[-1])
        output = proc.stdout
        if proc.returncode:
            raise SystemExit(f"bizstats build {' '.join(args)} failed:\n{output}")
        # keep each build's per-node timings: run_results.json is rewritten by the next one
        results = Path(self.env["DBT_TARGET_PATH"]) / "run_results.json"
        if results.is_file():
            shutil.copy(results, results.with_name(f"run_results-{label}.json"))
        dbt = re.search(r"\(dbt ([0-9.]+) s\)", output)
        server_mb = server.peak_mb if isinstance(server, ServerMemory) else None
        return Run(seconds, float(dbt.group(1)) if dbt else float("nan"), peak_kb / 1024, server_mb)

    def load(self, folder: Path) -> int:
        os.environ.update(self.env)
        return load_dir(self.target, folder).loaded

    def load_timed(self, folders: list[Path]) -> tuple[int, float, float | None]:
        """Load `folders` in order in this process, as `bizstats load` does each: rows loaded,
        wall seconds, and on Spark the lake sync's own seconds (None elsewhere). On Spark the
        folders land first and the lake is synced once after the last (`bizstats load` syncs
        after each folder, which re-writes a load day that grew)."""
        os.environ.update(self.env)
        started = time.perf_counter()
        target = self.target.control if self.target.is_spark else self.target
        rows = sum(load_dir(target, folder).loaded for folder in folders)
        sync = sync_lake(self.target).seconds if self.target.is_spark else None
        return rows, time.perf_counter() - started, sync


def day_bounds(day: date) -> tuple[str, str]:
    start = datetime(day.year, day.month, day.day) - OFFSET
    return f"{start:%Y-%m-%d %H:%M:%S}", f"{start + timedelta(days=1):%Y-%m-%d %H:%M:%S}"


def floor_sql(target: Target, day: date) -> str:
    """PV and UV of the day by channel and device with every subtotal, from raw events.
    Spark: over the raw table, sessions in UTC as every bizstats session."""
    start, end = day_bounds(day)
    table = qualified(target, target.raw_schema, "event_logs")
    visitor = (
        "coalesce(user_id, 'd:' || device_id)"
        if target.name in ("duckdb", "spark")
        else "coalesce(user_id, concat('d:', device_id))"
    )
    where = f"event_type = 'page_view' and event_time >= '{start}' and event_time < '{end}'"
    select = f"count(*) as pv, count(distinct {visitor}) as uv from {table} where {where}"
    if target.name in ("duckdb", "spark"):
        return f"select channel, device_type, {select} group by cube (channel, device_type)"
    return (
        f"select channel, device_type, {select} group by channel, device_type with rollup "
        f"union all select null, device_type, {select} group by device_type"
    )


def floor_seconds(wh: Warehouse, day: date) -> float:
    """Best of 3 runs of the floor query."""
    os.environ.update(wh.env)
    sql = floor_sql(wh.target, day)
    best = float("inf")
    with connect(wh.target) as con:
        for _ in range(3):
            started = time.perf_counter()
            fetch_all(con, sql)
            best = min(best, time.perf_counter() - started)
    return best


def full_scans(wh: Warehouse) -> list[str]:
    """EXPLAIN the nightly's compiled models that read event tables (MySQL/MariaDB): each
    full scan of a table that grows with history, as "model: alias (rows)"."""
    compiled = Path(wh.env["DBT_TARGET_PATH"]) / "compiled" / "bizstats" / "models"
    os.environ.update(wh.env)
    found = []
    with connect(wh.target) as con:
        cur = con.cursor()
        cur.execute(f"use `{wh.target.models_schema}`")
        for model in EXPLAINED_MODELS:
            sql = next(compiled.rglob(f"{model}.sql")).read_text()
            cur.execute(f"explain {sql}")
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                step = dict(zip(names, row, strict=True))
                if step["type"] == "ALL" and step["table"] in HISTORY_ALIASES:
                    found.append(f"{model}: {step['table']} ({step['rows']} rows)")
    return found


@functools.cache
def spark_base_schema() -> str:
    """BIZSTATS_SPARK_SCHEMA (or its default) as the bench started, before any bench schema."""
    return settings().spark.schema


def drop_spark_warehouse(schema: str) -> None:
    """Drop the Spark databases `schema` and `schema`_raw with their tables (the lake's files
    are the temporary folder's)."""
    os.environ["BIZSTATS_SPARK_SCHEMA"] = schema
    with connect(Target("spark")) as con:
        cur = con.cursor()
        for name in (schema, f"{schema}_raw"):
            cur.execute(f"drop database if exists `{name}` cascade")


def drop_warehouse(wh: Warehouse) -> None:
    if wh.target.is_spark:
        drop_spark_warehouse(wh.env["BIZSTATS_SPARK_SCHEMA"])
    elif wh.target.name != "duckdb":
        drop_mysql_warehouse(wh.env["BIZSTATS_MYSQL_SCHEMA"])


def new_warehouse(target_name: str, tag: str, workdir: Path) -> Warehouse:
    # a fresh warehouse also under --keep: what an earlier run of the same tag left goes
    for old in workdir.glob(f"{tag}[.-]*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    env = dict(os.environ)
    env["DBT_TARGET_PATH"] = str(workdir / f"target-{tag}")  # dbt's saved parse, per warehouse
    env["DBT_LOG_PATH"] = str(workdir / f"logs-{tag}")
    if target_name == "duckdb":
        env["BIZSTATS_DUCKDB_PATH"] = str(workdir / f"{tag}.duckdb")
    elif target_name == "spark":
        base = spark_base_schema()
        schema = re.sub(r"[^a-z0-9_]", "_", f"{base}_bench_{tag}".lower())  # Spark's database names
        env["BIZSTATS_SPARK_SCHEMA"] = schema
        env["BIZSTATS_SPARK_LANDING"] = str(workdir / f"{tag}-landing.duckdb")
        env["BIZSTATS_SPARK_LAKE_DIR"] = str(workdir / f"{tag}-lake")
        drop_spark_warehouse(schema)
    else:
        schema = f"{os.environ.get('BIZSTATS_MYSQL_SCHEMA', 'bizstats')}_bench_{tag}"
        env["BIZSTATS_MYSQL_SCHEMA"] = schema
        drop_mysql_warehouse(schema)
    os.environ.update(env)
    return Warehouse(Target(target_name), env)


def split_days(src: Path, history: Path, tail: Path) -> None:
    """event_logs rows of LAST_DAY (local) go to `tail`, the rest (and every other table) to
    `history`: the nightly then loads one day of events, as production does."""
    start, _ = day_bounds(LAST_DAY)
    history.mkdir()
    tail.mkdir()
    for path in src.iterdir():
        if path.name != "event_logs.csv":
            path.rename(history / path.name)
            continue
        with (
            open(path, encoding="utf-8") as fh,
            open(history / path.name, "w", encoding="utf-8") as h_out,
            open(tail / path.name, "w", encoding="utf-8") as t_out,
        ):
            header = fh.readline()
            time_at = header.rstrip("\n").split(",").index("event_time")
            h_out.write(header)
            t_out.write(header)
            for line in fh:
                fields = line.split(",")
                late = len(fields) > time_at and fields[time_at] >= start
                (t_out if late else h_out).write(line)


def history_scenario(target_name: str, days: int, per_day: int, workdir: Path) -> dict[str, float]:
    data = workdir / f"data-{target_name}-{days}"
    generate(DemoConfig(days=days + 1, events_per_day=per_day, end_date=LAST_DAY, seed=7, dirty=False), data)
    split_days(data, workdir / f"h-{target_name}-{days}", workdir / f"t-{target_name}-{days}")
    wh = new_warehouse(target_name, f"{target_name}{days}", workdir)
    wh.load(workdir / f"h-{target_name}-{days}")
    first_day = LAST_DAY - timedelta(days=days)
    first = wh.build("--start", str(first_day), "--end", str(LAST_DAY - timedelta(days=1)), label="first")
    wh.load(workdir / f"t-{target_name}-{days}")
    nightly = wh.build("--date", str(LAST_DAY), label="nightly")
    idle = wh.build("--date", str(LAST_DAY), label="idle")
    floor = floor_seconds(wh, LAST_DAY)
    if target_name == "mysql":
        scans = "; ".join(full_scans(wh)) or "no full scan of an event table"
        print(f"{target_name:7} | {days:3} days | EXPLAIN of the nightly's models: {scans}")
    drop_warehouse(wh)
    print(
        f"{target_name:7} | {days:3} days | first build {first} | nightly {nightly} | "
        f"no new rows {idle} | floor {floor:.3f} s | nightly / floor {nightly.seconds / floor:,.0f}x",
        flush=True,
    )
    return {"first": first.seconds, "nightly": nightly.seconds, "idle": idle.seconds}


# events per event_logs file of a big day: the loader checks a file in a DuckDB capped at
# 500 MB (bizstats.load.loader.SCAN_MEMORY_LIMIT), which fails on one file of 10M events
# (3.5 GB: "could not allocate block of size 1.0 GiB"); production delivers a day in parts
PART_EVENTS = 1_000_000


def big_day_data(events: int, workdir: Path) -> list[Path]:
    """One day of `events` demo events (seed 7), generated once per size and shared by the
    targets (loading reads the files and leaves them): one folder, or past PART_EVENTS the
    folders part-00 (every table, the first events), part-01, ... (event_logs only)."""
    data = workdir / f"big-{events}"
    if not (data / "event_logs.csv").is_file():
        shutil.rmtree(data, ignore_errors=True)
        generate(DemoConfig(days=1, events_per_day=events, end_date=LAST_DAY, seed=7, dirty=False), data)
    if events <= PART_EVENTS:
        return [data]
    parts = sorted(data.glob("part-*"))
    if parts and (parts[-1] / ".complete").is_file():
        return parts
    for part in parts:
        shutil.rmtree(part)
    first = data / "part-00"
    first.mkdir()
    for path in data.glob("*.csv"):
        if path.name != "event_logs.csv":
            shutil.copy(path, first / path.name)
    parts = []
    with open(data / "event_logs.csv", encoding="utf-8") as fh:
        header = fh.readline()
        out = None
        for n, line in enumerate(fh):
            if n % PART_EVENTS == 0:
                if out:
                    out.close()
                part = data / f"part-{len(parts):02d}"
                part.mkdir(exist_ok=True)
                parts.append(part)
                out = open(part / "event_logs.csv", "w", encoding="utf-8")  # noqa: SIM115
                out.write(header)
            assert out is not None
            out.write(line)
        if out:
            out.close()
    (parts[-1] / ".complete").touch()
    return parts


def spark_master() -> str:
    """The local server's master (pid file), for the printed label: local[2], spark://..."""
    server = read_server(settings().spark.home)
    return f" on {server.master}" if server else ""


def big_day_scenario(target_name: str, events: int, workdir: Path) -> None:
    folders = big_day_data(events, workdir)
    wh = new_warehouse(target_name, f"{target_name}big", workdir)
    try:
        rows, load_s, sync_s = wh.load_timed(folders)
        nightly = wh.build("--date", str(LAST_DAY), label="big-day")
        floor = floor_seconds(wh, LAST_DAY)
    finally:
        drop_warehouse(wh)
    label = target_name + (spark_master() if wh.target.is_spark else "")
    lake = "" if sync_s is None else f" (of which lake sync {sync_s:.1f} s)"
    lake += f", {len(folders)} files" if len(folders) > 1 else ""
    print(
        f"{label:7} | one day of {rows:,} rows | load {load_s:.1f} s{lake} | nightly {nightly} | "
        f"cube floor {floor:.3f} s | nightly / floor {nightly.seconds / floor:,.1f}x "
        "(goal <= 20x, <= 1,024 MB)",
        flush=True,
    )


@contextlib.contextmanager
def buffer_pool(size: int | None) -> Iterator[None]:
    """The MySQL/MariaDB server's InnoDB buffer pool set to `size` bytes for the block, then
    put back (nothing when None)."""
    if size is None:
        yield
        return
    con = mysql_connect(settings().mysql)
    try:
        with con.cursor() as cur:
            cur.execute("select @@innodb_buffer_pool_size")
            (before,) = cur.fetchone()
            cur.execute(f"set global innodb_buffer_pool_size = {int(size)}")
        print(f"innodb_buffer_pool_size {before:,} -> {size:,} bytes for this run", flush=True)
        try:
            yield
        finally:
            with con.cursor() as cur:
                cur.execute(f"set global innodb_buffer_pool_size = {int(before)}")
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events-per-day", type=int, default=20_000)
    parser.add_argument("--history", type=int, nargs="*", default=[10, 40])
    parser.add_argument(
        "--big-day", type=int, default=1_000_000, help="events of the big day on DuckDB (0: skip)"
    )
    parser.add_argument(
        "--big-day-mysql", type=int, default=200_000, help="events of the big day on MySQL/MariaDB (0: skip)"
    )
    parser.add_argument(
        "--big-day-spark", type=int, help="events of the big day on Spark (default: --big-day; 0: skip)"
    )
    parser.add_argument(
        "--targets", nargs="+", choices=["duckdb", "mysql", "spark"], default=["duckdb", "mysql"]
    )
    parser.add_argument(
        "--mysql-buffer-pool", metavar="BYTES", type=int,
        help="set the server's innodb_buffer_pool_size for the run (SET GLOBAL, restored "
        "afterwards; needs the privilege): the default 128 MiB holds little of a 40-day warehouse",
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="work in DIR and keep it: DuckDB files, dbt logs and each "
        "build's run_results-*.json (MySQL databases are still dropped)"
    )
    args = parser.parse_args()
    print(f"{args.events_per_day:,} events/day; {os.cpu_count()} cores; `bizstats build` as a process")
    with tempfile.TemporaryDirectory(prefix="bizstats-bench-") as tmp, buffer_pool(args.mysql_buffer_pool):
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for target_name in args.targets:
            runs = {
                days: history_scenario(target_name, days, args.events_per_day, workdir)
                for days in args.history
            }
            if len(runs) >= 2:
                short, long = min(runs), max(runs)
                print(
                    f"{target_name:7} | nightly({long}) / nightly({short}) = "
                    f"{runs[long]['nightly'] / runs[short]['nightly']:.2f} (goal <= 1.3) | "
                    f"first build({long}) / first build({short}) = "
                    f"{runs[long]['first'] / runs[short]['first']:.2f} (goal <= 4)",
                    flush=True,
                )
            events = {
                "duckdb": args.big_day,
                "mysql": args.big_day_mysql,
                "spark": args.big_day if args.big_day_spark is None else args.big_day_spark,
            }[target_name]
            if events:
                big_day_scenario(target_name, events, workdir)


if __name__ == "__main__":
    main()
