"""What a scheduled job does, one function per step, in the order the flows call them:
source freshness, the build (dbt's models and tests), the anomaly checks, the alerts, the
daily report; then `job_alerts` for the run itself (failed, or slower than allowed). The
backup job's one step is `backup_job`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bizstats.alerts import Alert, AlertReport, load_alert_config, raise_alerts
from bizstats.build import BuildResult, Progress, build
from bizstats.checks import CheckRun, run_checks
from bizstats.config import Target
from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from bizstats.ops.job_runs import JobRun
from bizstats.ops.schedules import job, job_range
from bizstats.ops.settings import max_job_minutes, monitoring_config


def source_freshness(target: Target) -> str:
    """`dbt source freshness` (raw event_logs: warn after 6 h, error after 26 h without a
    load). Its outcome is reported, never fatal: a backfill of past days has old data by
    design, and the checks' `stale` check alerts on a collector that stopped."""
    try:
        outcome = run_dbt(target, ["source", "freshness"])
    except BizstatsError as exc:
        return f"error: {exc}"
    return f"warn: {'; '.join(outcome.warnings)}" if outcome.warnings else "pass"


def build_job(target: Target, name: str, day: date, progress: Progress | None = None) -> BuildResult:
    """The build of job `name` for `day`, dbt's tests included: the day with the lookback
    window (hourly, daily) or the whole week or month (weekly, monthly, as a backfill of that
    range). All or nothing per model (bizstats.build): a failure keeps the previous rows."""
    if name in ("hourly", "daily"):
        return build(target, day=day, progress=progress)
    start, end = job_range(name, day)
    return build(target, start=start, end=end, progress=progress)


def check_job(target: Target, start: date, end: date) -> CheckRun:
    """The anomaly checks of the job's days (thresholds: BIZSTATS_MONITORING_CONFIG, else
    monitoring.yml). Days not complete yet (today, for the hourly job) are skipped by the
    checks themselves and judged by a later run."""
    return run_checks(target, start, end, config_path=monitoring_config())


def send_alerts(target: Target, alerts: list[Alert]) -> AlertReport:
    """Store and send `alerts` through the alert config's routes (BIZSTATS_ALERTS_CONFIG)."""
    return raise_alerts(target, alerts, load_alert_config())


def job_alerts(target: Target, run: JobRun) -> list[Alert]:
    """The alerts a finished run raises about itself (job monitoring): a failed run is
    critical, a run longer than BIZSTATS_JOB_MAX_MINUTES (default 30) is general."""
    spec = job(run.job)
    common: dict[str, Any] = {"metric": run.job, "metric_label": spec.label, "slice": f"target={target.name}",
              "stat_date": run.end_date, "baseline": None}
    rerun = f"bizstats run {run.job} --date {run.end_date} --target {target.name}"
    kept = "the previous backups are kept" if run.job == "backup" else "the marts keep their previous rows"
    alerts = []
    if run.outcome == "failed":
        alerts.append(Alert(
            check="job_failed", severity="critical", actual=None, threshold="the run succeeds",
            advice=f"run {run.run_id} of {run.start_date} .. {run.end_date} failed: {run.error} "
            f"— fix the cause, then re-run `{rerun}`; {kept}", **common,
        ))
    limit = max_job_minutes()
    minutes = (run.duration_seconds or Decimal(0)) / 60
    if minutes > limit:
        alerts.append(Alert(
            check="job_duration", severity="general", actual=minutes.quantize(Decimal("0.1")),
            threshold=f"<= {limit} minutes",
            advice=f"run {run.run_id} took {minutes:.1f} minutes: compare the build times in "
            "bizstats_builds and the run's log (slow database, a long backfill, a lock wait)",
            **common,
        ))
    return alerts


def backup_job(target: Target) -> str:
    """The daily backup (备份) of the warehouse, then the backups older than
    BIZSTATS_BACKUP_KEEP_DAYS pruned (bizstats.backup); the new backup's id. A failure (no
    BIZSTATS_BACKUP_KEY, the destination unwritable, the dump failing) fails the run, which
    raises a job_failed alert."""
    from bizstats.backup import run_backup

    manifest, _pruned = run_backup(target)
    return manifest.id


def report_job(target: Target, day: date, send: bool) -> Path:
    """The daily report of `day`, written to the reports folder and, with `send`, mailed."""
    from bizstats.ops.daily_report import make_report

    return make_report(target, day, send=send).html_path
