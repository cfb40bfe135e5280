"""Load benchmark of the collector on loopback (numbers, not a test).

Starts `bizstats serve --target mysql` on a fresh schema, sends a bounded number of requests
with an asyncio client at several concurrency levels (single and batch endpoints), and reports
events/s stored with acknowledged durability, p50/p99 latency, the real-time counter lag, and
beside each batch figure the raw multi-row `INSERT IGNORE` rate of as many rows from this
machine, measured just before it, and the ratio.

    .venv/bin/python benchmarks/bench_collect.py --requests 400 --batch 100 --concurrency 1 8 32 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pymysql
import rawhttp

from bizstats.client import sign, uuid7
from bizstats.config import Target
from bizstats.db import drop_mysql_warehouse, ensure_raw_tables, qualified
from bizstats.settings import settings
from bizstats.web.query.keys import create_key

SOURCE, SECRET = "bench", "bench-secret"


def _events(n: int) -> list[dict]:
    return [{"event_id": uuid7(), "event_type": "page_view", "timestamp": "2026-11-25 10:00:00",
             "device_id": f"d{i % 5000}", "session_id": "s1", "page_url": "/p/1", "page_title": "Page",
             "channel": "wechat", "device_type": "mobile"} for i in range(n)]  # fmt: skip


def _signed(events: list[dict], batch: bool) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"events": events} if batch else events[0]).encode()
    stamp = int(time.time())
    return body, {"x-bizstats-source": SOURCE, "x-bizstats-timestamp": str(stamp),
                  "x-bizstats-signature": sign(SECRET.encode(), stamp, body)}  # fmt: skip


async def _load(port: int, requests: int, per_request: int, concurrency: int) -> tuple[float, list[float]]:
    batch = per_request > 1
    path = "/api/report/batch" if batch else "/api/report"
    todo = []
    for _ in range(requests):
        body, headers = _signed(_events(per_request), batch)
        todo.append(rawhttp.request("POST", path, headers, body))
    gc.collect()
    gc.freeze()  # the client's own garbage collections (walking the prepared requests) are no latency
    return await rawhttp.load(port, todo, concurrency)


def _raw_rate(rows: int) -> float:
    """Multi-row INSERT IGNORE of the same rows (1000 a statement, a commit each)."""
    target = Target("mysql")
    table = qualified(target, target.raw_schema, "event_logs")
    events = _events(rows)
    cols = ["event_id", "event_type", "device_id", "session_id", "page_url", "page_title", "channel",
            "device_type", "event_time", "created_at", "_loaded_at"]  # fmt: skip
    s = settings().mysql
    con = pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password, autocommit=False)
    cur = con.cursor()
    began = time.perf_counter()
    for start in range(0, rows, 1000):
        chunk = events[start : start + 1000]
        values = [v for e in chunk for v in (e["event_id"], e["event_type"], e["device_id"], e["session_id"],
                  e["page_url"], e["page_title"], e["channel"], e["device_type"], "2026-11-25 10:00:00",
                  "2026-11-25 10:00:00", "2026-11-25 10:00:00.000001")]  # fmt: skip
        marks = ", ".join(["(" + ", ".join(["%s"] * len(cols)) + ")"] * len(chunk))
        cur.execute(f"insert ignore into {table} ({', '.join(cols)}) values {marks}", values)
        con.commit()
    seconds = time.perf_counter() - began
    con.close()
    return rows / seconds


def _lag(url: str) -> float:
    events = _events(1)
    body, headers = _signed(events, True)
    read = {"Authorization": f"Bearer {create_key(Target('mysql'), 'bench-collect')[1]}"}  # a read like any
    counters = url + "/api/stats/realtime?date=2026-11-25"
    before = httpx.get(counters, headers=read).json()["pv"]
    began = time.perf_counter()
    httpx.post(url + "/api/report/batch", content=body, headers=headers)
    while httpx.get(counters, headers=read).json()["pv"] == before:
        time.sleep(0.002)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--workers", type=int, default=1, help="bizstats serve --workers")
    args = parser.parse_args()
    schema = f"bizstats_bench_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "BIZSTATS_MYSQL_SCHEMA": schema,
           "BIZSTATS_COLLECT_SOURCES": f"{SOURCE}={SECRET}",
           "BIZSTATS_COLLECT_RATE": "1000000", "BIZSTATS_COLLECT_BURST": "1000000",
           "BIZSTATS_REDIS_URL": "redis://127.0.0.1:6379/14",
           "BIZSTATS_REALTIME_PREFIX": f"bench:{schema}"}  # fmt: skip
    os.environ.update(env)
    ensure_raw_tables(Target("mysql"))
    port = 18765
    # serve logs a line per request, as in production: into a file, away from the table
    log = Path("bench-out") / "bench_collect.serve.log"
    log.parent.mkdir(exist_ok=True)
    print(f"serve's log: {log}")
    server = subprocess.Popen([sys.executable, "-m", "bizstats.cli", "serve", "--target", "mysql",
                               "--port", str(port), "--workers", str(args.workers)],
                              env=env, stderr=log.open("w"))  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                httpx.get(url + "/healthz")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        print("| endpoint | events/request | concurrency | requests | events/s stored | p50 ms | p99 ms "
              "| raw INSERT IGNORE rows/s (just before) | ratio |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        for per_request in (1, args.batch):
            for concurrency in args.concurrency:
                # the floor of a batch cell: the same number of rows, measured right before it
                raw = _raw_rate(args.requests * per_request) if per_request > 1 else None
                seconds, lat = asyncio.run(_load(port, args.requests, per_request, concurrency))
                p50, p99 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99) - 1] * 1000
                rate = args.requests * per_request / seconds
                name = "single" if per_request == 1 else "batch"
                floor = f"{raw:,.0f} | {rate / raw:.2f}" if raw else "| "
                print(f"| {name} | {per_request} | {concurrency} | {args.requests} | {rate:,.0f} | "
                      f"{p50:.1f} | {p99:.1f} | {floor} |")  # fmt: skip
        lags = sorted(_lag(url) for _ in range(20))
        print(f"\nreal-time counter lag (request to counter, 20 samples): p50 {lags[10] * 1000:.1f} ms, "
              f"max {lags[-1] * 1000:.1f} ms")  # fmt: skip
    finally:
        server.terminate()
        server.wait()
        drop_mysql_warehouse(schema)


if __name__ == "__main__":
    main()
