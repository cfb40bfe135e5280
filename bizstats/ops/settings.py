"""Settings of the scheduled jobs: the `jobs` section of the settings object (bizstats.settings,
`settings().jobs`), one function each for the ops modules, and the schedules' time zone,
derived from the statistics offset (bizstats.local_time.zone)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bizstats.local_time import zone
from bizstats.settings import settings

REPORT_CHANNELS_ENV = "BIZSTATS_REPORT_CHANNELS"


def timezone() -> ZoneInfo:
    """The zone the schedules run in: the statistics offset (dbt var stats_utc_offset_hours)
    as a fixed zone, Etc/GMT-8 for UTC+8 (one time zone: the jobs' days are the marts')."""
    settings().jobs  # noqa: B018 -- a BIZSTATS_TIMEZONE still set is one line saying where the zone is
    return zone()


def max_job_minutes() -> Decimal:
    """A run longer than this raises a job_duration alert (BIZSTATS_JOB_MAX_MINUTES, default 30)."""
    return settings().jobs.max_job_minutes


def retry_delay_seconds() -> float:
    """The first wait before retrying a step after a transient database error; each next
    wait doubles (BIZSTATS_RETRY_DELAY_SECONDS, default 30)."""
    return settings().jobs.retry_delay_seconds


def reports_dir() -> Path:
    """Where daily reports are written (BIZSTATS_REPORTS_DIR, default ./reports)."""
    return settings().jobs.reports_dir


def report_channels() -> tuple[str, ...]:
    """Names of the alert config's e-mail channels the daily report is mailed through
    (BIZSTATS_REPORT_CHANNELS, comma-separated; empty: the report is not mailed)."""
    return settings().jobs.report_channels


def monitoring_config() -> Path | None:
    """The thresholds file of the checks (BIZSTATS_MONITORING_CONFIG; default: the
    project's monitoring.yml)."""
    return settings().jobs.monitoring_config
