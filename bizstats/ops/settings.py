"""Settings of the scheduled jobs, from the environment (one function each, read when used)."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bizstats.config import env_file
from bizstats.errors import BizstatsError

TIMEZONE_ENV = "BIZSTATS_TIMEZONE"
MAX_MINUTES_ENV = "BIZSTATS_JOB_MAX_MINUTES"
REPORTS_DIR_ENV = "BIZSTATS_REPORTS_DIR"
REPORT_CHANNELS_ENV = "BIZSTATS_REPORT_CHANNELS"
MONITORING_CONFIG_ENV = "BIZSTATS_MONITORING_CONFIG"
RETRY_DELAY_ENV = "BIZSTATS_RETRY_DELAY_SECONDS"


def _env(name: str) -> str:
    return os.environ.get(name, "").strip()


def timezone() -> ZoneInfo:
    """The zone the schedules run in (BIZSTATS_TIMEZONE, default Asia/Shanghai)."""
    name = _env(TIMEZONE_ENV) or "Asia/Shanghai"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BizstatsError(f"{TIMEZONE_ENV}={name!r} is not a time zone (e.g. Asia/Shanghai)") from None


def _decimal(name: str, default: str, high: int) -> Decimal:
    raw = _env(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= high:
        raise BizstatsError(f"{name}={raw!r} must be a number from 0 to {high}")
    return value


def max_job_minutes() -> Decimal:
    """A run longer than this raises a job_duration alert (BIZSTATS_JOB_MAX_MINUTES, default 30)."""
    return _decimal(MAX_MINUTES_ENV, "30", 10080)


def retry_delay_seconds() -> float:
    """The first wait before retrying a step after a transient database error; each next
    wait doubles (BIZSTATS_RETRY_DELAY_SECONDS, default 30)."""
    return float(_decimal(RETRY_DELAY_ENV, "30", 86400))


def reports_dir() -> Path:
    """Where daily reports are written (BIZSTATS_REPORTS_DIR, default ./reports)."""
    return Path(_env(REPORTS_DIR_ENV) or "reports")


def report_channels() -> tuple[str, ...]:
    """Names of the alert config's e-mail channels the daily report is mailed through
    (BIZSTATS_REPORT_CHANNELS, comma-separated; empty: the report is not mailed)."""
    return tuple(n.strip() for n in _env(REPORT_CHANNELS_ENV).split(",") if n.strip())


def monitoring_config() -> Path | None:
    """The thresholds file of the checks (BIZSTATS_MONITORING_CONFIG; default: the
    project's monitoring.yml)."""
    return env_file(MONITORING_CONFIG_ENV)
