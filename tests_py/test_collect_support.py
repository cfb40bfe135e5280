"""What the collector's tests share (no tests here): the real app served by uvicorn on a free
loopback port in a thread, a TCP relay standing between the collector and MariaDB (stopped
and started to take the database away), and readers of the stored events."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn

from bizstats.config import Target
from bizstats.db import connect, ensure_raw_tables, fetch_all, qualified

SITE_KEY = "pk_test"
ORIGIN = "http://shop.test"
SOURCE, SECRET = "orders", "s3cret"
COLLECT_ENV = {
    "BIZSTATS_COLLECT_SITES": f"{SITE_KEY}={ORIGIN}",
    "BIZSTATS_COLLECT_SOURCES": f"{SOURCE}={SECRET}",
}


def serve_in_subprocess(target: Target, *options: str) -> tuple[subprocess.Popen, str]:
    """`bizstats serve` as a user runs it, on a free port, once it answers: (process, base URL)."""
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
            if time.monotonic() > deadline:
                server.kill()
                raise AssertionError("the collector did not start") from None
            time.sleep(0.1)


def prometheus_values(text: str) -> dict[str, float]:
    """The samples of a /metrics answer: `name{labels}` -> value."""
    lines = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in lines}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class Relay:
    """A TCP relay from a local port to `upstream`: `stop()` closes it and every connection
    through it (the database is gone), `start()` opens it again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.port = upstream, free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(50)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def stored_events(target: Target, columns: str = "event_id") -> list[tuple[Any, ...]]:
    """The raw event_logs rows (after ingesting the spool on DuckDB), ordered by event_id."""
    if target.name == "duckdb":
        from bizstats.web.collect import ingest_spool

        ingest_spool(target)
    ensure_raw_tables(target)
    with connect(target) as con:
        raw = qualified(target, target.raw_schema, "event_logs")
        return fetch_all(con, f"select {columns} from {raw} order by event_id, id")
