"""The collector's commands: `bizstats serve`, `bizstats collect ingest`, `bizstats realtime
rebuild`, `bizstats quarantine list|admit|drop` (the CLI parses, these run)."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.quarantine import Admitted, QuarantinedEvent, Selection


def serve(target: Target, host: str, port: int, workers: int = 1, log_format: str = "text") -> None:
    """Serve the app (collector, query API, dashboard, /docs, /metrics) until Ctrl-C or SIGTERM,
    in `workers` processes sharing the port; say what it serves, log each request (text or
    JSON lines: bizstats.web.serving_log) and say when it stops."""
    import uvicorn

    from bizstats.web.app import TARGET_ENV, create_app, freeze_startup_objects
    from bizstats.web.serving_log import FORMAT_ENV, configure, say

    configure(log_format)
    url = f"http://{host}:{port}"
    for line, fields in serving(target, url, workers, log_format):
        say(line, **fields)
    began = time.monotonic()
    # uvicorn stops gracefully on SIGTERM, then raises the signal again at its previous handler
    # (the default one would end the process before it says "stopped"): ours ends the run
    previous = signal.signal(signal.SIGTERM, _stopped)
    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any loopback peer
    # (its default forwarded_allow_ips); the collector's own rule decides whom to believe
    # (BIZSTATS_COLLECT_TRUSTED_PROXIES, bizstats.web.collect.enrich.client_ip)
    options: dict = {
        "host": host, "port": port, "log_level": "warning", "access_log": False, "proxy_headers": False,
    }
    try:
        if workers == 1:
            app = create_app(target)
            freeze_startup_objects()
            uvicorn.run(app, **options)
            return
        from bizstats.web.collect.metrics import MULTIPROCESS_ENV

        with tempfile.TemporaryDirectory(prefix="bizstats-metrics-") as metrics_dir:
            # read by the workers, new interpreters that inherit this environment
            os.environ[TARGET_ENV], os.environ[MULTIPROCESS_ENV] = target.name, metrics_dir
            os.environ[FORMAT_ENV] = log_format
            uvicorn.run("bizstats.web.app:app_from_env", factory=True, workers=workers, **options)
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        seconds = round(time.monotonic() - began, 1)
        say(f"bizstats serve: stopped after {seconds} s ({url})", event="stop", url=url, seconds=seconds)


class _Stop(Exception):
    """SIGTERM, after uvicorn's graceful shutdown."""


def _stopped(_signal: int, _frame: object) -> None:
    raise _Stop


def serving(target: Target, url: str, workers: int, log_format: str) -> list[tuple[str, dict]]:
    """What `serve` says when it starts: (line, its fields) — the URL, the warehouse, the
    workers, the collector's sites and sources (names and origins, never a secret), Redis,
    the dashboard's, docs' and metrics' URLs. Raises BizstatsError on a bad setting."""
    from bizstats.config import MySQLSettings
    from bizstats.redact import redact_url
    from bizstats.web.collect.settings import CollectorSettings

    settings = CollectorSettings.from_env(target)
    if target.name == "duckdb":
        warehouse = f"duckdb file {target.duckdb_path}"
    else:
        mysql = MySQLSettings.from_env()
        warehouse = f"mysql schema {target.models_schema} at {mysql.host}:{mysql.port} (user {mysql.user})"
    origins = sorted({origin for allowed in settings.sites.values() for origin in allowed})
    sites = (f"{len(settings.sites)} site key(s) for {', '.join(origins) or 'no origin'}"
             if settings.sites else "no site key (BIZSTATS_COLLECT_SITES)")
    sources = ", ".join(sorted(settings.sources)) or "none (BIZSTATS_COLLECT_SOURCES)"
    redis = (f"on, {redact_url(settings.redis_url)}: real-time counters and the query cache"
             if settings.redis_url else "off: no real-time counters, no query cache (BIZSTATS_REDIS_URL)")
    return [
        (f"bizstats serve: {url} with {workers} worker(s)",
         {"event": "start", "url": url, "workers": workers}),
        (f"  warehouse: {warehouse}", {"target": target.name, "warehouse": warehouse}),
        (f"  collector: POST {url}/api/report[/batch]; browsers: {sites}; signed sources: {sources}",
         {"sites": len(settings.sites), "origins": origins, "sources": sorted(settings.sources)}),
        (f"  redis: {redis}", {"redis": settings.redis_url is not None}),
        (f"  dashboard: {url}/   query API: {url}/api/stats/...   docs: {url}/docs   metrics: {url}/metrics",
         {"dashboard": f"{url}/", "docs": f"{url}/docs", "metrics": f"{url}/metrics"}),
        (f"  log: one {log_format} line per request (method, path, status, ms, key id); Ctrl-C stops",
         {"log_format": log_format}),
    ]


def rebuild_realtime(target: Target, day: date | None) -> tuple[date, int]:
    """Rebuild a local day's counters (default today) from the stored events."""
    from bizstats.project_vars import project_vars
    from bizstats.realtime.rebuild import rebuild_day
    from bizstats.web.collect.settings import CollectorSettings

    settings = CollectorSettings.from_env(target)
    if settings.redis_url is None:
        raise BizstatsError("BIZSTATS_REDIS_URL is not set: no real-time counters to rebuild")
    offset = project_vars().utc_offset_hours
    if day is None:
        day = (datetime.now(UTC) + timedelta(hours=offset)).date()
    import redis

    try:
        return day, rebuild_day(target, settings.redis_url, day, offset, settings.uv_exact)
    except redis.RedisError as exc:
        from bizstats.redact import redact_text, redact_url

        where = redact_url(settings.redis_url)
        raise BizstatsError(f"Redis at {where}: {redact_text(str(exc))}; is it running?") from exc


def list_quarantine(target: Target, selection: Selection) -> list[QuarantinedEvent]:
    """`bizstats quarantine list`: the quarantined events (DuckDB: after ingesting the spool,
    where the collector keeps them until then)."""
    from bizstats.quarantine import list_quarantined
    from bizstats.web.collect.spool import ingest_spool

    ingest_spool(target)
    return list_quarantined(target, selection)


def admit_quarantine(target: Target, selection: Selection) -> Admitted:
    """`bizstats quarantine admit`: the selected events into event_logs (see
    bizstats.quarantine.admit), under the warehouse lock on DuckDB."""
    from bizstats.lock import warehouse_lock
    from bizstats.project_vars import project_vars
    from bizstats.quarantine import admit
    from bizstats.web.collect.spool import ingest_spool

    ingest_spool(target)
    duckdb = target.name == "duckdb"
    with warehouse_lock(target, "admit quarantined events") if duckdb else contextlib.nullcontext():
        return admit(target, selection, project_vars().utc_offset_hours)


def drop_quarantine(target: Target, selection: Selection) -> int:
    """`bizstats quarantine drop`: delete the selected events for good."""
    from bizstats.lock import warehouse_lock
    from bizstats.quarantine import drop
    from bizstats.web.collect.spool import ingest_spool

    ingest_spool(target)
    duckdb = target.name == "duckdb"
    with warehouse_lock(target, "drop quarantined events") if duckdb else contextlib.nullcontext():
        return drop(target, selection)
