"""`bizstats serve`: the web app (collector, query API, dashboard, /docs, /metrics) under
uvicorn, in one process or several sharing the port, with what it serves said at the start and
one log line per request."""

from __future__ import annotations

import signal
import tempfile
import time
from typing import Any

from bizstats.config import Target
from bizstats.settings import scoped_environ, settings


def serve(target: Target, host: str, port: int, workers: int = 1, log_format: str = "text") -> None:
    """Serve the app (collector, query API, dashboard, /docs, /metrics) until Ctrl-C or SIGTERM,
    in `workers` processes sharing the port; say what it serves, log each request (text or
    JSON lines: bizstats.web.serving_log) and say when it stops."""
    import uvicorn

    from bizstats.web.access_log import AccessLogSettings
    from bizstats.web.app import TARGET_ENV, create_app, freeze_startup_objects
    from bizstats.web.serving_log import FORMAT_ENV, configure, say

    configure(log_format)
    # the access log's settings checked before anything starts (a worker would fail alone)
    AccessLogSettings.from_env(settings().environ)
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
    options: dict[str, Any] = {
        "host": host, "port": port, "log_level": "warning", "access_log": False, "proxy_headers": False,
    }
    try:
        if workers == 1:
            app = create_app(target)
            freeze_startup_objects()
            uvicorn.run(app, **options)
            return
        from bizstats.web.collect.metrics import MULTIPROCESS_ENV

        workers_env = {TARGET_ENV: target.name, FORMAT_ENV: log_format}
        # read by the workers, new interpreters that inherit this environment; put back as it
        # was once uvicorn returns
        with (
            tempfile.TemporaryDirectory(prefix="bizstats-metrics-") as metrics_dir,
            scoped_environ({**workers_env, MULTIPROCESS_ENV: metrics_dir}),
        ):
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


def serving(target: Target, url: str, workers: int, log_format: str) -> list[tuple[str, dict[str, Any]]]:
    """What `serve` says when it starts: (line, its fields) — the URL, the warehouse, the
    workers, the collector's sites and sources (names and origins, never a secret), Redis,
    the dashboard's, docs' and metrics' URLs. Raises BizstatsError on a bad setting."""
    from bizstats.redact import redact_url

    collector = settings().collector
    if target.name == "duckdb":
        warehouse = f"duckdb file {target.duckdb_path}"
    elif target.name == "spark":
        spark = settings().spark
        warehouse = (f"spark schema {target.models_schema} at {spark.host}:{spark.port} (user {spark.user}), "
                     f"bookkeeping in duckdb file {target.control.duckdb_path}")
    else:
        mysql = settings().mysql
        warehouse = f"mysql schema {target.models_schema} at {mysql.host}:{mysql.port} (user {mysql.user})"
    origins = sorted({origin for allowed in collector.sites.values() for origin in allowed})
    sites = (f"{len(collector.sites)} site key(s) for {', '.join(origins) or 'no origin'}"
             if collector.sites else "no site key (BIZSTATS_COLLECT_SITES)")
    sources = ", ".join(sorted(collector.sources)) or "none (BIZSTATS_COLLECT_SOURCES)"
    redis = (f"on, {redact_url(collector.redis_url)}: real-time counters and the query cache"
             if collector.redis_url else "off: no real-time counters, no query cache (BIZSTATS_REDIS_URL)")
    return [
        (f"bizstats serve: {url} with {workers} worker(s)",
         {"event": "start", "url": url, "workers": workers}),
        (f"  warehouse: {warehouse}", {"target": target.name, "warehouse": warehouse}),
        (f"  collector: POST {url}/api/report[/batch]; browsers: {sites}; signed sources: {sources}",
         {"sites": len(collector.sites), "origins": origins, "sources": sorted(collector.sources)}),
        (f"  redis: {redis}", {"redis": collector.redis_url is not None}),
        (f"  dashboard: {url}/   query API: {url}/api/stats/...   docs: {url}/docs   metrics: {url}/metrics",
         {"dashboard": f"{url}/", "docs": f"{url}/docs", "metrics": f"{url}/metrics"}),
        (f"  log: one {log_format} line per request (method, path, status, ms, key id); Ctrl-C stops",
         {"log_format": log_format}),
    ]
