"""The cross-check of the offline numbers against the collector's real-time counters (实时与离线
核对): judged when the counters exist, else `not_available` or `no_data` with the
reason, so callers (alerts, reports) handle every case the same way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import redis

from bizstats.checks.results import MonitorResult
from bizstats.config import Target
from bizstats.db import connect, fetch_all, placeholder, qualified
from bizstats.realtime.counters import connect as redis_connect
from bizstats.realtime.counters import read_day
from bizstats.realtime.facts import counters
from bizstats.redact import redact_text, redact_url
from bizstats.settings import settings
from bizstats.spark import sql as spark_sql

TOLERANCE = Decimal("0.05")
REALTIME_TOLERANCE = "offline vs real-time counters within 5% (the registry's event counters, all/all)"


def _compared() -> tuple[str, ...]:
    """The metrics both sides count: the registry's real-time counters (pv, uv, ...)."""
    from bizstats.registry import load_registry

    published = {m.name for m in load_registry().published()}
    return tuple(c.name for c in counters() if c.name in published)


def realtime_vs_offline(target: Target, day: date) -> MonitorResult:
    """daily_stats (all/all) of `day` against the real-time counters of the same local day:
    the largest relative difference of the metrics with a real-time counter (pv, uv and any
    event counter of the registry), flagged above 5%. Not available without
    BIZSTATS_REDIS_URL or with Redis down; no data when the counters hold nothing for the
    day (nothing collected, or expired after 7 days) or daily_stats has no row for it."""

    def result(status: str, note: str, actual: Decimal | None = None, flagged: bool = False) -> MonitorResult:
        return MonitorResult(
            monitor="realtime_vs_offline", status=status, actual=actual,
            threshold=REALTIME_TOLERANCE, flagged=flagged, severity="critical", note=note,
        )  # fmt: skip

    url = settings().redis.url
    if not url:
        return result("not_available", "real-time counters are off: BIZSTATS_REDIS_URL is not set")
    uv_exact = settings().realtime.uv_exact
    try:
        client = redis_connect(url)
        try:
            realtime = read_day(client, day, uv_exact)
        finally:
            client.close()
    except redis.RedisError as exc:
        return result("not_available", f"Redis at {redact_url(url)} did not answer: {redact_text(str(exc))}")
    compared = _compared()
    offline = _daily_all(target, day, compared)
    if not any(realtime[m] for m in compared) or offline is None:
        return result("no_data", f"no real-time counters or no daily_stats row for {day}")
    gaps = {m: abs(Decimal(realtime[m]) - offline[m]) / max(offline[m], Decimal(1)) for m in compared}
    worst = max(gaps, key=lambda m: gaps[m])
    return result(
        "judged",
        f"{day}: {worst} real-time {realtime[worst]} vs offline {offline[worst]}",
        actual=gaps[worst].quantize(Decimal("0.0001")),
        flagged=gaps[worst] > TOLERANCE,
    )


def _daily_all(target: Target, day: date, compared: tuple[str, ...]) -> dict[str, Decimal] | None:
    """The `compared` metrics of daily_stats' all/all row of `day`, or None without one."""
    ph = placeholder(target)
    sql = (
        f"select {', '.join(compared)} from {qualified(target, target.models_schema, 'daily_stats')} "
        f"where stat_date = {ph} and channel = 'all' and device_type = 'all'"
    )
    with connect(target, create=False) as con:
        rows = spark_sql.fetch(con, sql, [day]) if target.is_spark else fetch_all(con, sql, (day,))
    return dict(zip(compared, map(Decimal, rows[0]), strict=True)) if rows else None
