"""The collector's commands: `bizstats serve`, `bizstats collect ingest`, `bizstats realtime
rebuild`, `bizstats quarantine list|admit|drop` (the CLI parses, these run)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import date, datetime, timedelta, timezone

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.quarantine import Admitted, QuarantinedEvent, Selection


def serve(target: Target, host: str, port: int, workers: int = 1) -> None:
    """Serve the app (collector, query API, dashboard) until Ctrl-C or SIGTERM, in `workers`
    processes sharing the port."""
    import uvicorn

    from bizstats.web.app import TARGET_ENV, create_app, freeze_startup_objects

    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any loopback peer
    # (its default forwarded_allow_ips); the collector's own rule decides whom to believe
    # (BIZSTATS_COLLECT_TRUSTED_PROXIES, bizstats.web.collect.enrich.client_ip)
    options: dict = {
        "host": host, "port": port, "log_level": "warning", "access_log": False, "proxy_headers": False,
    }
    if workers == 1:
        app = create_app(target)
        freeze_startup_objects()
        uvicorn.run(app, **options)
        return
    from bizstats.web.collect.metrics import MULTIPROCESS_ENV

    with tempfile.TemporaryDirectory(prefix="bizstats-metrics-") as metrics_dir:
        # read by the workers, new interpreters that inherit this environment
        os.environ[TARGET_ENV], os.environ[MULTIPROCESS_ENV] = target.name, metrics_dir
        uvicorn.run("bizstats.web.app:app_from_env", factory=True, workers=workers, **options)


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
        day = (datetime.now(timezone.utc) + timedelta(hours=offset)).date()
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
