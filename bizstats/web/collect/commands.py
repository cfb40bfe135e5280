"""The collector's commands: `bizstats serve`, `bizstats collect ingest`, `bizstats realtime
rebuild` (the CLI parses, these run)."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, timedelta, timezone

from bizstats.config import Target
from bizstats.errors import BizstatsError


def serve(target: Target, host: str, port: int, workers: int = 1) -> None:
    """Serve the app (collector, query API, dashboard) until Ctrl-C or SIGTERM, in `workers`
    processes sharing the port."""
    import uvicorn

    from bizstats.web.app import TARGET_ENV, create_app, freeze_startup_objects

    options: dict = {"host": host, "port": port, "log_level": "warning", "access_log": False}
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
