"""What the collector's tests share (no tests here): the real app served by uvicorn on a free
loopback port in a thread or by `bizstats serve` in a process, and readers of the stored
events and metrics."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn

from bizstats.client import sign, uuid7
from bizstats.config import Target
from bizstats.db import connect, ensure_raw_tables, fetch_all, qualified
from tests_py.support.network import free_port

SITE_KEY = "pk_test"
ORIGIN = "http://shop.test"
SOURCE, SECRET = "orders", "s3cret"
COLLECT_ENV = {
    "BIZSTATS_COLLECT_SITES": f"{SITE_KEY}={ORIGIN}",
    "BIZSTATS_COLLECT_SOURCES": f"{SOURCE}={SECRET}",
    # the fixtures' browser events date from 2024: inside the late-data horizon, not quarantined
    "BIZSTATS_LATE_DATA_DAYS": "3650",
}


def signed_headers(body: bytes, secret: str = SECRET, age: int = 0) -> dict[str, str]:
    """A back-end source's headers for `body`: its name, a timestamp `age` seconds old and the
    HMAC signature (bizstats.client.sign)."""
    stamp = int(time.time()) - age
    return {"x-bizstats-source": SOURCE, "x-bizstats-timestamp": str(stamp),
            "x-bizstats-signature": sign(secret.encode(), stamp, body)}  # fmt: skip


def browser_view(**fields: Any) -> dict:
    """A page_view as a browser sends it, with a fresh event_id; `fields` add or replace."""
    return {"event_id": uuid7(), "event_type": "page_view", "timestamp": "2024-03-10 02:00:00",
            "device_id": "dev-1", "page_url": "/home", **fields}  # fmt: skip


def serve_in_subprocess(target: Target, *options: str) -> tuple[subprocess.Popen, str]:
    """`bizstats serve` as a user runs it, on a free port, once it answers: (process, base URL).
    The warehouse is created first, as an empty `bizstats load` leaves it: serve never creates
    one (a mistyped BIZSTATS_DUCKDB_PATH is refused)."""
    ensure_raw_tables(target)
    port = free_port()
    command = [sys.executable, "-m", "bizstats.cli", "serve", "--target", target.name, "--port", str(port)]
    server = subprocess.Popen([*command, *options], env=os.environ.copy())
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz")
            return server, url
        except httpx.HTTPError:
            if server.poll() is not None:
                raise AssertionError(f"bizstats serve exited with {server.returncode}") from None
            if time.monotonic() > deadline:
                server.kill()
                raise AssertionError("the collector did not start") from None
            time.sleep(0.1)


def prometheus_values(text: str) -> dict[str, float]:
    """The samples of a /metrics answer: `name{labels}` -> value."""
    lines = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in lines}


@contextlib.contextmanager
def live_app(target: Target) -> Iterator[str]:
    """`bizstats serve`'s app on a free port, in this process; its base URL."""
    from bizstats.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(target), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the collector did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def stored_events(target: Target, columns: str = "event_id") -> list[tuple[Any, ...]]:
    """The raw event_logs rows (after ingesting the spool on DuckDB), ordered by event_id."""
    if target.name == "duckdb":
        from bizstats.load.collected.ingest import ingest_spool

        ingest_spool(target)
    ensure_raw_tables(target)
    with connect(target) as con:
        raw = qualified(target, target.raw_schema, "event_logs")
        return fetch_all(con, f"select {columns} from {raw} order by event_id, id")
