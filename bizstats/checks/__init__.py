"""Anomaly checks (异常检测), cross-checks (交叉校验) and data-quality monitors (数据质量监控),
issue 8. `run_checks` writes the thresholds of monitoring.yml into the warehouse, runs the
dbt models of models/monitoring/ over a range of local days and returns what they found.
The results stay in the warehouse with their history (anomaly_check_results,
cross_check_results, monitor_results)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from pathlib import Path

from bizstats.checks.config import default_path, load_thresholds
from bizstats.checks.hooks import realtime_vs_offline
from bizstats.checks.results import CheckResult, CheckRun, MonitorResult
from bizstats.checks.store import (
    CHECK_COLUMNS,
    MONITOR_COLUMNS,
    mirror_job_runs,
    read_rows,
    write_monitor,
    write_thresholds,
)
from bizstats.checks.thresholds_audit import audit_thresholds
from bizstats.config import Target
from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from bizstats.lock import warehouse_lock
from bizstats.settings import scoped_environ

__all__ = ["CheckResult", "CheckRun", "MonitorResult", "run_checks"]

NOW_ENV = "BIZSTATS_CHECK_NOW"  # the check time as the models read it (macros/monitoring/check_time.sql)


def _now_env(now: datetime) -> AbstractContextManager[None]:
    """NOW_ENV set to `now` for the block, then as it was (set by the user or not)."""
    return scoped_environ({NOW_ENV: now.strftime("%Y-%m-%d %H:%M:%S")})


def _utc_seconds(moment: datetime) -> datetime:
    """`moment` as a naive UTC datetime to the second (a naive one is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def run_checks(
    target: Target,
    start: date,
    end: date,
    now: datetime | None = None,
    config_path: Path | None = None,
) -> CheckRun:
    """Judge the local days [start, end] of a built warehouse: write the thresholds of
    `config_path` (default monitoring.yml), run `dbt build --select monitoring` over the range
    (models and their tests) with the check time `now` (UTC, naive or aware; default: now),
    and read back that run's rows. Holds the warehouse lock, as a build does (on Spark its
    control database's, which holds the lock of its builds)."""
    if start > end:
        raise BizstatsError(f"--start {start} is after --end {end}")
    thresholds = load_thresholds(config_path)
    checked_at = _utc_seconds(now or datetime.now(UTC))
    with warehouse_lock(target.control, "checks"):
        write_thresholds(target, thresholds)
        if target.is_spark:  # the job_duration monitor's input, from the control database
            mirror_job_runs(target)
        # a change of the thresholds since the last audited one: a row of the audit trail
        audit_thresholds(target, config_path or default_path(), thresholds)
        with _now_env(checked_at):
            run_dbt(target, ["build", "--select", "monitoring"], build_range=(start, end))
        # the offline numbers against the real-time counters: a monitor of the run like the others
        write_monitor(target, realtime_vs_offline(target, end), start, end, checked_at)
    # this run's rows: those of its range, and the stale check's row of the check time's day
    rows = read_rows(
        target, "anomaly_check_results", CHECK_COLUMNS,
        "checked_at = ? and (stat_date between ? and ? or check_name = 'stale')", (checked_at, start, end),
    )
    results = sorted(
        (CheckResult.from_row(r) for r in rows),
        key=lambda r: (r.stat_date, r.check, r.metric, r.channel, r.device_type),
    )
    monitors = sorted(  # by name: Spark returns rows in no particular order
        (MonitorResult.from_row(r)
         for r in read_rows(target, "monitor_results", MONITOR_COLUMNS, "checked_at = ?", (checked_at,))),
        key=lambda m: m.monitor,
    )
    return CheckRun(
        results=results,
        flagged=[r for r in results if r.flagged],
        skipped_days=sorted({r.stat_date for r in results if r.status == "skipped_incomplete"}),
        monitors=monitors,
        checked_at=checked_at,
    )
