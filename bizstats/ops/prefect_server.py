"""The Prefect API the schedules and one-off runs talk to.

With PREFECT_API_URL set (a Prefect server you run, or Prefect Cloud) that one is used.
Otherwise bizstats starts a local `prefect server start` of its own (API only, no UI, its
data in PREFECT_HOME), waits for its health endpoint as long as BIZSTATS_PREFECT_STARTUP_SECONDS
(default 300) allows, and stops it on the way out. Prefect's own temporary server is not
used: it gives up after 20 s (slow on a busy machine: measured 10-40 s to start on 2 loaded
cores) and does not run the scheduler service, so it never creates scheduled runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from bizstats.errors import BizstatsError
from bizstats.redact import redact_url
from bizstats.settings import scoped_environ, settings

STARTUP_ENV = "BIZSTATS_PREFECT_STARTUP_SECONDS"
Say = Callable[[str], None]


def startup_seconds() -> float:
    """How long to wait for the local server (BIZSTATS_PREFECT_STARTUP_SECONDS, default 300)."""
    return settings().prefect.startup_seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL after 20 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def local_server(say: Say) -> Iterator[str]:
    """A `prefect server start` owned by this process for the `with` block; its API URL."""
    from prefect.settings import PREFECT_HOME

    home = Path(PREFECT_HOME.value())
    home.mkdir(parents=True, exist_ok=True)
    log = home / "bizstats-server.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port), "--no-ui", "--analytics-off"]
    started = time.monotonic()
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        limit = startup_seconds()
        while not _healthy(url):
            if process.poll() is not None:
                raise BizstatsError(
                    f"the local Prefect server exited with code {process.returncode} while starting "
                    f"(log {log}: {_log_tail(log)})"
                )
            if time.monotonic() - started > limit:
                raise BizstatsError(
                    f"the local Prefect server did not answer within {limit:g} s (log {log}); set "
                    f"{STARTUP_ENV} higher on a slow machine, or PREFECT_API_URL to a running server"
                )
            time.sleep(0.5)
        say(f"local Prefect server at {url} (started in {time.monotonic() - started:.1f} s, data in {home})")
        yield url
    finally:
        _stop(process)


@contextlib.contextmanager
def _use_api(url: str) -> Iterator[None]:
    """Point this process's Prefect (every thread) and the processes it starts at `url` for
    the block; then PREFECT_API_URL is as it was and Prefect's settings follow it."""
    from prefect.context import refresh_global_settings_context

    with scoped_environ({"PREFECT_API_URL": url}):
        refresh_global_settings_context()
        try:
            yield
        finally:
            # the run's logs and events reach the server before it stops, failed run or not
            # (else Prefect prints "Error logging to API" once it is gone)
            with contextlib.suppress(Exception):
                _drain()
    refresh_global_settings_context()


def _drain() -> None:
    """Send the logs and events Prefect still holds before the server stops."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=30)
    EventsWorker.drain_all(timeout=30)


@contextlib.contextmanager
def prefect_api(say: Say) -> Iterator[str]:
    """PREFECT_API_URL when set, else a local server (module docstring), for the block."""
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    if configured:
        say(f"Prefect API {redact_url(configured)} (PREFECT_API_URL)")
        yield configured
        return
    with local_server(say) as url, _use_api(url):
        yield url
