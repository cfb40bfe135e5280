"""Load benchmark of the query API (issue 10) on loopback: GET /api/stats/daily for a 90-day
range, cold (no cache: every request reads the database) and warm (answered from Redis), on
DuckDB and MariaDB, beside the same statement run directly on the database, so the API's
overhead is a ratio. The server is `bizstats serve` (uvicorn, one process) in a subprocess;
the API's clients are kept-alive raw HTTP connections (benchmarks/rawhttp.py), the direct
query's are threads on the reader the API uses.

    .venv/bin/python benchmarks/bench_query.py [--requests 400] [--threads 8]

Needs a demo warehouse of 90+ days on each target (made when missing, `bizstats demo
--days 90`), MariaDB (BIZSTATS_MYSQL_*) and Redis (BIZSTATS_BENCH_REDIS, default
redis://127.0.0.1:6379/14, keys under bizstats-bench: deleted afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import rawhttp
import redis

from bizstats.config import Target
from bizstats.db import placeholder, qualified
from bizstats.registry import load_registry
from bizstats.web.query.keys import create_key
from bizstats.web.query.readers import make_reader

PORT = 8791
DAYS = 90


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _summary(name: str, latencies: list[float], seconds: float) -> str:
    p50, p99 = statistics.median(latencies) * 1000, _percentile(latencies, 0.99) * 1000
    return f"{name:<34} {len(latencies) / seconds:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"


def _load(call, requests: int, threads: int) -> tuple[list[float], float]:
    """Run `call` `requests` times on `threads` threads: (latencies, wall seconds)."""

    def timed(_: int) -> float:
        began = time.perf_counter()
        call()
        return time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        latencies = list(pool.map(timed, range(requests)))
    return latencies, time.perf_counter() - began


def _ensure_demo(target: Target) -> tuple[date, date]:
    reader = make_reader(target)
    table = qualified(target, target.models_schema, "daily_stats")
    try:
        first, last = reader.fetch(f"select min(stat_date), max(stat_date) from {table}")[0]
    except Exception:  # noqa: BLE001 - nothing built yet
        first = last = None
    if first is None or (last - first).days + 1 < DAYS:
        subprocess.run([sys.executable, "-m", "bizstats.cli", "demo", "--days", str(DAYS), "--events-per-day",
                        "2000", "--target", target.name], check=True, stdout=subprocess.DEVNULL)
        first, last = make_reader(target).fetch(f"select min(stat_date), max(stat_date) from {table}")[0]
    return last - timedelta(days=DAYS - 1), last


def _serve(target: Target, redis_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "BIZSTATS_CACHE_PREFIX": "bizstats-bench"}
    env.pop("BIZSTATS_REDIS_URL", None)
    if redis_url:
        env["BIZSTATS_REDIS_URL"] = redis_url
    server = subprocess.Popen(
        [sys.executable, "-m", "bizstats.cli", "serve", "--target", target.name, "--port", str(PORT)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("bizstats serve did not start")


def bench_target(name: str, requests: int, threads: int, redis_url: str) -> list[str]:
    target = Target(name)
    start, end = _ensure_demo(target)
    _, token = create_key(target, "benchmark")
    params = {"start": start.isoformat(), "end": end.isoformat()}
    headers = {"Authorization": f"Bearer {token}"}
    metrics = [m.name for m in load_registry().mart_metrics("daily_stats")]  # what the API selects
    lines = [f"{name}: GET /api/stats/daily?start={start}&end={end} (90 rows, {len(metrics)} metrics), "
             f"{requests} requests, {threads} threads"]
    # the statement the API runs, directly on the database (same reader: DuckDB snapshot)
    reader = make_reader(target)
    ph = placeholder(target)
    sql = (f"select stat_date, channel, device_type, {', '.join(metrics)}, count(*) over () from "
           f"{qualified(target, target.models_schema, 'daily_stats')} where stat_date between {ph} and {ph} "
           f"and channel in ({ph}) and device_type in ({ph}) order by stat_date, channel, device_type "
           f"limit 500 offset 0")
    args = [start, end, "all", "all"]
    reader.fetch(sql, args)
    for threads_used in (1, threads):
        lat, secs = _load(lambda: reader.fetch(sql, args), requests, threads_used)
        lines.append(_summary(f"  direct query, {threads_used} thr", lat, secs))
    for label, url in (("cold (database)", None), ("warm (Redis)", redis_url)):
        server = _serve(target, url)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers=headers, timeout=30) as client:
                first = client.get("/api/stats/daily", params=params)
                assert first.status_code == 200 and len(first.json()["rows"]) == DAYS, first.text
                get = rawhttp.request("GET", f"/api/stats/daily?start={start}&end={end}", headers)
                for threads_used in (1, threads):
                    secs, lat = asyncio.run(rawhttp.load(PORT, [get] * requests, threads_used))
                    lines.append(_summary(f"  API {label}, {threads_used} clients", lat, secs))
                hit = client.get("/api/stats/daily", params=params).headers.get("X-Cache")
                assert hit == ("hit" if url else None), hit  # no header without a cache
        finally:
            server.terminate()
            server.wait(10)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--targets", default="duckdb,mysql")
    args = parser.parse_args()
    redis_url = os.environ.get("BIZSTATS_BENCH_REDIS", "redis://127.0.0.1:6379/14")
    try:
        for name in args.targets.split(","):
            print("\n".join(bench_target(name, args.requests, args.threads, redis_url)), flush=True)
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("bizstats-bench*"):
            client.delete(key)


if __name__ == "__main__":
    main()
