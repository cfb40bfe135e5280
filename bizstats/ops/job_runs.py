"""The `job_runs` table (models schema; on Spark its control database's): one row per run
of a scheduled job, written when it starts (outcome `running`) and updated when it ends
(`success` or `failed`, its duration and error). The checks' job_duration monitor reads the
latest finished run from it (on Spark from its copy, bizstats.checks.store.mirror_job_runs)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bizstats import audit_log
from bizstats.config import Target
from bizstats.db import connect, create_table, fetch_all, placeholder

TABLE = "job_runs"
SCHEDULE = "schedule"  # who runs the jobs, in the audit trail
# (column, DuckDB type, MySQL type)
_COLUMNS = (
    ("run_id", "varchar primary key", "varchar(36) not null primary key"),
    ("job", "varchar not null", "varchar(20) not null"),
    ("flow", "varchar not null", "varchar(60) not null"),
    ("start_date", "date not null", "date not null"),
    ("end_date", "date not null", "date not null"),
    ("started_at", "timestamp not null", "datetime(6) not null"),
    ("finished_at", "timestamp", "datetime(6)"),
    ("duration_seconds", "decimal(12,3)", "decimal(12,3)"),
    ("outcome", "varchar not null", "varchar(10) not null"),
    ("built_start", "date", "date"),
    ("built_end", "date", "date"),
    ("flagged", "integer", "int"),
    ("error", "varchar not null", "text not null"),
)
_NAMES = tuple(c for c, _, _ in _COLUMNS)


@dataclass(frozen=True)
class JobRun:
    run_id: str
    job: str
    flow: str
    start_date: date
    end_date: date
    started_at: datetime  # naive UTC
    finished_at: datetime | None = None
    duration_seconds: Decimal | None = None
    outcome: str = "running"  # running, success, failed
    built_start: date | None = None
    built_end: date | None = None
    flagged: int | None = None  # checks flagged by the run
    error: str = ""


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _ensure_table(cur: Any, target: Target) -> str:
    return create_table(
        cur, target, target.models_schema, TABLE, _COLUMNS, ["key idx_finished (finished_at)"]
    )


def start_run(target: Target, job: str, flow: str, start: date, end: date) -> JobRun:
    """Record a run that starts now; the row to finish later."""
    run = JobRun(str(uuid.uuid4()), job, flow, start, end, utc_now())
    _write(target, run, insert=True)
    return run


def finish_run(target: Target, run: JobRun) -> None:
    """Store the finished run (outcome, duration, error, what it built), and its row of the
    audit trail (who: `schedule`, the jobs' runner; what: `job <name>`)."""
    _write(target, run, insert=False)
    built = {"built_start": run.built_start, "built_end": run.built_end} if run.built_start else {}
    audit_log.record(target.control, audit_log.Entry(
        who=SCHEDULE, what=f"job {run.job}", target=target.name,
        arguments={"run_id": run.run_id, "start": run.start_date, "end": run.end_date, **built},
        outcome=audit_log.OK if run.outcome == "success" else audit_log.ERROR, error=run.error,
    ))


def _write(target: Target, run: JobRun, insert: bool) -> None:
    target = target.control  # Spark: the runs are in its control database
    ph = placeholder(target)
    values = [getattr(run, c) for c in _NAMES]
    with connect(target) as con:
        cur = con.cursor()
        name = _ensure_table(cur, target)
        if insert:
            marks = ", ".join([ph] * len(_NAMES))
            cur.execute(f"insert into {name} ({', '.join(_NAMES)}) values ({marks})", values)
        else:
            sets = ", ".join(f"{c} = {ph}" for c in _NAMES[1:])
            cur.execute(f"update {name} set {sets} where run_id = {ph}", [*values[1:], run.run_id])
        con.commit()


def list_runs(target: Target, limit: int = 20) -> list[JobRun]:
    """The latest runs, newest first."""
    target = target.control
    with connect(target) as con:
        cur = con.cursor()
        name = _ensure_table(cur, target)
        con.commit()
        rows = fetch_all(
            con, f"select {', '.join(_NAMES)} from {name} order by started_at desc limit {int(limit)}"
        )
    return [JobRun(**dict(zip(_NAMES, row, strict=True))) for row in rows]
