"""The four scheduled jobs as Prefect 3 flows (schedules in bizstats.ops.schedules):
hourly (today so far), daily (yesterday with the lookback), weekly (last ISO week) and
monthly (last month). Each run: record it in job_runs, `dbt source freshness`, the build
with dbt's tests, the anomaly checks, their alerts, the daily report (daily job), then the
run's outcome and duration, alerting on a failed or slow run. A fifth job, backup (备份,
03:00), backs the warehouse up instead (bizstats.backup), recorded and alerted on the same
way. The steps are functions of bizstats.ops.steps; this module only makes them Prefect
tasks with retries.

Start them with `bizstats schedule`; run one now with `bizstats run JOB [--date D]`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from prefect import flow, get_run_logger, task

from bizstats.config import DEFAULT_TARGET, Target
from bizstats.ops import job_runs, steps
from bizstats.ops.retry import is_transient
from bizstats.ops.schedules import default_day, job, job_range
from bizstats.ops.settings import report_channels, retry_delay_seconds


def _transient(_task: Any, _run: Any, state: Any) -> bool:
    """Retry a step only after a transient database error (bizstats.ops.retry)."""
    return isinstance(state.data, BaseException) and is_transient(state.data)


_RETRY = {"retries": 3, "retry_condition_fn": _transient}


def _retrying(step: Any) -> Any:
    """The step with this run's retry delays: BIZSTATS_RETRY_DELAY_SECONDS, then twice and
    four times as long."""
    first = retry_delay_seconds()
    return step.with_options(retry_delay_seconds=[first, 2 * first, 4 * first])


@task(**_RETRY)
def freshness(target: str) -> str:
    return steps.source_freshness(Target(target))


@task(**_RETRY)
def build(target: str, name: str, day: date) -> tuple[date, date]:
    result = steps.build_job(Target(target), name, day, progress=get_run_logger().info)
    return result.start, result.end


@task(**_RETRY)
def checks(target: str, start: date, end: date) -> list:
    return steps.check_job(Target(target), start, end).alerts()


@task(**_RETRY)
def alerts(target: str, raised: list) -> int:
    report = steps.send_alerts(Target(target), raised)
    return len(report.sent)


@task(**_RETRY)
def report(target: str, day: date) -> str:
    return str(steps.report_job(Target(target), day, send=bool(report_channels())))


@task(**_RETRY)
def backup_step(target: str) -> str:
    return steps.backup_job(Target(target))


def run_job(name: str, target: str, day: date | None) -> dict[str, Any]:
    """One run of job `name` for `day` (default: the day its schedule covers now)."""
    warehouse = Target(target)
    day = day or default_day(name)
    start, end = job_range(name, day)
    run = job_runs.start_run(warehouse, name, job(name).flow_name, start, end)
    started = time.monotonic()
    summary: dict[str, Any] = {"run_id": run.run_id, "job": name, "start": str(start), "end": str(end)}
    try:
        summary["freshness"] = _retrying(freshness)(target)
        built = _retrying(build)(target, name, day)
        raised = _retrying(checks)(target, start, end)
        summary["alerts_sent"] = _retrying(alerts)(target, raised)
        if name == "daily":
            summary["report"] = _retrying(report)(target, day)
    except Exception as exc:
        _fail(warehouse, run, started, exc)
        raise
    run = _finish(warehouse, run, started, "success", built=built, flagged=len(raised))
    _retrying(alerts)(target, steps.job_alerts(warehouse, run))
    summary.update(built=f"{built[0]} .. {built[1]}", flagged=len(raised), outcome=run.outcome)
    return summary


def run_backup_job(target: str, day: date | None) -> dict[str, Any]:
    """One run of the backup job: a backup of the warehouse and the old ones pruned, recorded
    in job_runs (the day: today); a failure raises a job_failed alert."""
    warehouse = Target(target)
    day = day or default_day("backup")
    run = job_runs.start_run(warehouse, "backup", job("backup").flow_name, day, day)
    started = time.monotonic()
    try:
        backup_id = _retrying(backup_step)(target)
    except Exception as exc:
        _fail(warehouse, run, started, exc)
        raise
    run = _finish(warehouse, run, started, "success")
    _retrying(alerts)(target, steps.job_alerts(warehouse, run))
    return {"run_id": run.run_id, "job": "backup", "backup": backup_id, "outcome": run.outcome}


def _fail(warehouse: Target, run: job_runs.JobRun, started: float, exc: Exception) -> None:
    """Record a failed run in job_runs and raise its job_failed alert (an alert that cannot
    be raised is logged: the run's own error is the one its caller raises)."""
    logger = get_run_logger()
    run = _finish(warehouse, run, started, "failed", error=str(exc))
    logger.error(f"run {run.run_id} failed: {exc}")
    try:
        _retrying(alerts)(warehouse.name, steps.job_alerts(warehouse, run))
    except Exception as alert_error:
        logger.error(f"the job_failed alert could not be raised: {alert_error}")


def _finish(target: Target, run: job_runs.JobRun, started: float, outcome: str, error: str = "",
            built: tuple[date, date] | None = None, flagged: int | None = None) -> job_runs.JobRun:
    """Record the end of `run` in job_runs."""
    done = replace(
        run, finished_at=job_runs.utc_now(), duration_seconds=Decimal(f"{time.monotonic() - started:.3f}"),
        outcome=outcome, error=error, built_start=built[0] if built else None,
        built_end=built[1] if built else None, flagged=flagged,
    )
    job_runs.finish_run(target, done)
    return done


@flow(name="bizstats-hourly")
def hourly(target: str = DEFAULT_TARGET, day: date | None = None) -> dict[str, Any]:
    """Today so far (a partial day: the checks leave it to a later run)."""
    return run_job("hourly", target, day)


@flow(name="bizstats-daily")
def daily(target: str = DEFAULT_TARGET, day: date | None = None) -> dict[str, Any]:
    """Yesterday with the lookback window, then the daily report."""
    return run_job("daily", target, day)


@flow(name="bizstats-weekly")
def weekly(target: str = DEFAULT_TARGET, day: date | None = None) -> dict[str, Any]:
    """The ISO week of `day` (default: last week), rebuilt as a backfill."""
    return run_job("weekly", target, day)


@flow(name="bizstats-monthly")
def monthly(target: str = DEFAULT_TARGET, day: date | None = None) -> dict[str, Any]:
    """The month of `day` (default: last month), rebuilt as a backfill."""
    return run_job("monthly", target, day)


@flow(name="bizstats-backup")
def backup(target: str = DEFAULT_TARGET, day: date | None = None) -> dict[str, Any]:
    """A backup of the warehouse (备份), the old ones pruned."""
    return run_backup_job(target, day)


FLOWS = {"hourly": hourly, "daily": daily, "weekly": weekly, "monthly": monthly, "backup": backup}
