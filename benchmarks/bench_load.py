"""Benchmark `bizstats load` against the floor of each target, on one event_logs.csv.

    .venv/bin/python benchmarks/bench_load.py --rows 1000000 --pairs 2 --memory-rows 5000000

Writes an event_logs.csv of `--rows` rows (a few of them bad: a bad date, a negative amount,
bad JSON, a missing event_type, a row with a field too many) and times, per target, in
alternation (the machine is noisy, so each pair is measured side by side):

- ours: `bizstats.load.loader.load_file(target, "event_logs", file)` into an empty warehouse;
- the floor: DuckDB `create table t as select * from read_csv(file, ignore_errors = true)`
  (the file's row with a field too many would stop a plain read_csv); MySQL/MariaDB
  `LOAD DATA LOCAL INFILE` of the file into an empty table like the raw event_logs (same
  columns, keys and indexes), empty fields as NULL.

Each run is a child process, which reports its time and its peak RSS (ru_maxrss). The
ratio is floor time / our time (1.0 = as fast as the floor). `--memory-rows` adds one load
of a larger file per target, for the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = (
    "event_id,event_type,user_id,device_id,session_id,page_url,page_title,order_id,amount,"
    "extra_data,device_type,channel,ip_address,user_agent,event_time,created_at"
)
BAD_EVERY = 200_000  # one bad row of each kind per this many rows
BAD_ROWS = (
    "bad{i},page_view,u1,,,,,,,,,,,,2024-02-30 00:00:00,",
    "bad{i},order_create,u1,,,,,o1,-5.00,,,,,,2024-03-01 00:00:00,",
    'bad{i},page_leave,u1,,,,,,,"{{oops",,,,,2024-03-01 00:00:00,',
    "bad{i},,u1,,,,,,,,,,,,2024-03-01 00:00:00,",
    "bad{i},page_view,u1,,,,,,,,,,,,2024-03-01 00:00:00,,surplus",
)
TYPES = ("page_view", "page_leave", "order_create", "payment_success")


def write_events(path: Path, rows: int) -> None:
    """An event_logs.csv of `rows` data rows, len(BAD_ROWS) of every BAD_EVERY of them bad."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(COLUMNS + "\n")
        for i in range(rows):
            if i % BAD_EVERY == BAD_EVERY - 1 - (i // BAD_EVERY) % len(BAD_ROWS):
                fh.write(BAD_ROWS[(i // BAD_EVERY) % len(BAD_ROWS)].format(i=i) + "\n")
                continue
            kind = TYPES[i % 4]
            amount = f"{i % 1000}.{i % 100:02d}" if kind != "page_view" else ""
            extra = (
                f'"{{""page_view_id"": ""e{i - 1}"", ""duration_ms"": {i % 5000}}}"'
                if kind == "page_leave"
                else ""
            )
            at = f"2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i * 7 % 60:02d}"
            fh.write(
                f"e{i:012d},{kind},u{i % 50000},d{i % 80000},s{i % 200000},"
                f"https://example.com/p/{i % 500},商品 {i % 500},{f'o{i}' if amount else ''},"
                f"{amount},{extra},pc,wechat,10.0.{i % 256}.{i % 200},"
                f"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0,{at},{at}\n"
            )


def _child(kind: str, target_name: str, path: Path) -> None:
    """Run one measured load in this process; print its seconds and peak RSS as JSON."""
    from bizstats.config import Target

    target = Target(target_name)
    started = time.perf_counter()
    if kind == "ours":
        from bizstats.load.loader import load_file

        result = load_file(target, "event_logs", path)
        rows = result.loaded
    elif target.name == "duckdb":
        import duckdb

        con = duckdb.connect(str(target.duckdb_path))
        sql = f"create table t as select * from read_csv('{path}', ignore_errors = true)"
        (rows,) = con.execute(sql).fetchone()
        con.close()
    else:
        rows = _mysql_floor(target, path)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": peak_kib / 1024}))


def _mysql_floor(target, path: Path) -> int:
    """LOAD DATA LOCAL INFILE of the CSV into an empty table like the raw event_logs."""
    from bizstats.contract import TABLES
    from bizstats.db import connect, create_mysql_database, create_table_sql

    columns = TABLES["event_logs"].column_names
    with connect(target, local_infile=True) as con:
        cur = con.cursor()
        create_mysql_database(cur, target, target.raw_schema)
        for sql in create_table_sql(target, TABLES["event_logs"]):
            cur.execute(sql)
        rows = cur.execute(
            f"load data local infile %s into table `{target.raw_schema}`.`event_logs` "
            "character set utf8mb4 fields terminated by ',' optionally enclosed by '\"' "
            "escaped by '' lines terminated by '\\n' ignore 1 lines "
            f"({', '.join('@' + c for c in columns)}) "
            f"set {', '.join(f'`{c}` = nullif(@{c}, {chr(39) * 2})' for c in columns)}",
            (str(path),),
        )
        con.commit()
    return rows


def _run(kind: str, target: str, path: Path, workdir: Path) -> dict:
    """One measured load in a child process, on a fresh warehouse."""
    from bizstats.db import drop_mysql_warehouse

    env = dict(os.environ)
    env["BIZSTATS_DUCKDB_PATH"] = str(workdir / f"{kind}-{time.monotonic_ns()}.duckdb")
    schema = f"{os.environ.get('BIZSTATS_MYSQL_SCHEMA', 'bizstats')}_bench_{kind}"
    env["BIZSTATS_MYSQL_SCHEMA"] = schema
    if target == "mysql":
        drop_mysql_warehouse(schema)
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, target, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} on {target} failed:\n{out.stderr}")
    if target == "mysql":
        drop_mysql_warehouse(schema)
    for name in workdir.glob("*.duckdb*"):
        name.unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pairs(target: str, path: Path, workdir: Path, pairs: int) -> list[tuple[dict, dict]]:
    """(floor, ours) measured `pairs` times, alternating which goes first."""
    runs = []
    for n in range(pairs):
        if n % 2 == 0:
            floor = _run("floor", target, path, workdir)
            ours = _run("ours", target, path, workdir)
        else:
            ours = _run("ours", target, path, workdir)
            floor = _run("floor", target, path, workdir)
        runs.append((floor, ours))
        print(
            f"{target} pair {n + 1}: floor {floor['seconds']:.2f} s ({floor['rows']:,} rows), "
            f"ours {ours['seconds']:.2f} s ({ours['rows']:,} rows loaded), "
            f"ratio {floor['seconds'] / ours['seconds']:.2f}, ours peak RSS {ours['peak_mib']:.0f} MiB",
            flush=True,
        )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the timed file")
    parser.add_argument("--pairs", type=int, default=2, help="floor/ours pairs per target")
    parser.add_argument("--targets", nargs="+", default=["duckdb", "mysql"], choices=["duckdb", "mysql"])
    parser.add_argument(
        "--memory-rows", type=int, default=0, help="also load a file this long, for peak RSS"
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "TARGET", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, target, path = args.child
        _child(kind, target, Path(path))
        return
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        workdir = Path(tmp)
        path = workdir / "event_logs.csv"
        write_events(path, args.rows)
        print(f"{path.name}: {args.rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB", flush=True)
        summary = []
        for target in args.targets:
            runs = _pairs(target, path, workdir, args.pairs)
            floor = min(f["seconds"] for f, _ in runs)
            ours = min(o["seconds"] for _, o in runs)
            peak = max(o["peak_mib"] for _, o in runs)
            summary.append((target, args.rows, floor, ours, peak))
        if args.memory_rows:
            write_events(path, args.memory_rows)
            print(f"{path.name}: {args.memory_rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB")
            for target in args.targets:
                ours = _run("ours", target, path, workdir)
                print(
                    f"{target} {args.memory_rows:,} rows: ours {ours['seconds']:.2f} s, "
                    f"peak RSS {ours['peak_mib']:.0f} MiB",
                    flush=True,
                )
        print("\n| target | rows | floor s (best) | ours s (best) | floor / ours | ours peak RSS MiB |")
        print("|---|---|---|---|---|---|")
        for target, rows, floor, ours, peak in summary:
            print(f"| {target} | {rows:,} | {floor:.2f} | {ours:.2f} | {floor / ours:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
