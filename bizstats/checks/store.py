"""The warehouse side of the checks: the thresholds table the dbt models read, the result
rows a monitoring run wrote, and the monitor rows computed outside dbt (realtime_vs_offline).

On Spark these tables are Parquet tables of the models schema, written over PyHive: the
thresholds recreated with one multi-row insert, a hook's monitor row appended (Parquet
tables take no DELETE; its checked_at is the run's own), and the latest finished job runs
of the control database copied to `job_runs` there, the table the job_duration monitor reads
(the runs themselves are bookkeeping, kept in the control database)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from bizstats.checks.config import Threshold
from bizstats.checks.results import MonitorResult
from bizstats.config import Target
from bizstats.db import (
    connect,
    create_mysql_database,
    create_table,
    fetch_all,
    placeholder,
    qualified,
    quote,
)
from bizstats.spark import sql as spark_sql

THRESHOLDS_TABLE = "monitoring_thresholds"
# name, DuckDB type, MySQL type; in the order of Threshold's fields
_THRESHOLD_COLUMNS = (
    ("check_name", "varchar(30)", "varchar(30)"),
    ("metric", "varchar(50)", "varchar(50)"),
    ("channel", "varchar(50)", "varchar(50)"),
    ("device_type", "varchar(20)", "varchar(20)"),
    ("severity", "varchar(20)", "varchar(20)"),
    ("threshold_text", "varchar(200)", "varchar(200)"),
    ("lookback_days", "integer", "int"),
    ("day_of_week", "integer", "int"),
    ("floor_value", "decimal(18, 4)", "decimal(18, 4)"),
    ("high_ratio", "decimal(18, 4)", "decimal(18, 4)"),
    ("low_ratio", "decimal(18, 4)", "decimal(18, 4)"),
    ("max_value", "decimal(18, 4)", "decimal(18, 4)"),
    ("active_from_hour", "integer", "int"),
    ("active_to_hour", "integer", "int"),
)
CHECK_COLUMNS = (
    "check_name", "metric", "channel", "device_type", "stat_date", "status", "actual", "baseline",
    "ratio", "threshold_text", "flagged", "severity",
)
MONITOR_COLUMNS = ("monitor_name", "status", "actual", "threshold_text", "flagged", "severity", "note")


def write_thresholds(target: Target, thresholds: list[Threshold]) -> None:
    """Replace the table `monitoring_thresholds` of the models schema with `thresholds`
    (recreated, so its columns always follow this code)."""
    table = qualified(target, target.models_schema, THRESHOLDS_TABLE)
    marks = ", ".join([placeholder(target)] * len(_THRESHOLD_COLUMNS))
    rows = [
        tuple(int(v) if isinstance(v, bool) else v for v in dataclasses.astuple(threshold))
        for threshold in thresholds
    ]
    if target.is_spark:
        _replace_spark_table(target, THRESHOLDS_TABLE, _THRESHOLD_COLUMNS, rows)
        return
    with connect(target) as con:
        cur = con.cursor()
        if target.name != "duckdb":
            create_mysql_database(cur, target, target.models_schema)
        cur.execute(f"drop table if exists {table}")
        create_table(cur, target, target.models_schema, THRESHOLDS_TABLE, _THRESHOLD_COLUMNS)
        if rows:
            cur.executemany(f"insert into {table} values ({marks})", rows)
        con.commit()


def read_rows(
    target: Target, model: str, columns: tuple[str, ...], where: str, params: tuple[Any, ...]
) -> list[dict[str, Any]]:
    """The rows of `model` (a monitoring table) matching `where` (`?` placeholders)."""
    table = qualified(target, target.models_schema, model)
    sql = f"select {', '.join(columns)} from {table} where {where.replace('?', placeholder(target))}"
    with connect(target, create=False) as con:
        rows = spark_sql.fetch(con, sql, params) if target.is_spark else fetch_all(con, sql, params)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def write_monitor(
    target: Target, result: MonitorResult, start: date, end: date, checked_at: datetime
) -> None:
    """Store a monitor computed outside dbt (a hook) in `monitor_results` like the models'
    rows, with the run's range and checked_at (a row of the same monitor and checked_at is
    replaced)."""
    table = qualified(target, target.models_schema, "monitor_results")
    ph = placeholder(target)
    columns = (*MONITOR_COLUMNS, "range_start", "range_end", "checked_at")
    values = (
        result.monitor, result.status, result.actual, result.threshold, int(result.flagged),
        result.severity, result.note[:200], start, end, checked_at,
    )  # fmt: skip
    if target.is_spark:
        with connect(target) as con:
            spark_sql.run(con, f"insert into {table} ({', '.join(columns)}) values "
                            f"({', '.join([ph] * len(columns))})", values)
        return
    with connect(target, create=False) as con:
        cur = con.cursor()
        cur.execute(f"delete from {table} where monitor_name = {ph} and checked_at = {ph}",
                    (result.monitor, checked_at))  # fmt: skip
        cur.execute(f"insert into {table} ({', '.join(columns)}) values ({', '.join([ph] * len(columns))})",
                    values)  # fmt: skip
        con.commit()


def _replace_spark_table(
    target: Target, name: str, columns: tuple[tuple[str, str, str], ...], rows: list[tuple[Any, ...]]
) -> None:
    """Spark: the Parquet table `name` of the models schema made anew with `rows` (columns:
    name, DuckDB type (Spark reads varchar(n), integer, decimal(p, s) alike), MySQL type)."""
    table = qualified(target, target.models_schema, name)
    parts = ", ".join(f"{quote(target, column)} {duck_type}" for column, duck_type, _ in columns)
    with connect(target) as con:
        spark_sql.run(con, f"create database if not exists {quote(target, target.models_schema)}")
        spark_sql.run(con, f"drop table if exists {table}")
        spark_sql.run(con, f"create table {table} ({parts}) using parquet")
        if rows:
            values = ", ".join("(" + ", ".join(spark_sql.literal(v) for v in row) + ")" for row in rows)
            spark_sql.run(con, f"insert into {table} values {values}")


JOB_RUNS = "job_runs"  # bizstats.ops.job_runs.TABLE
# job_runs as the job_duration monitor reads it (models/monitoring/monitor_results.sql)
_JOB_RUN_COLUMNS = (
    ("run_id", "varchar(36)", ""),
    ("flow", "varchar(60)", ""),
    ("finished_at", "timestamp", ""),
    ("duration_seconds", "decimal(12,3)", ""),
)


def mirror_job_runs(target: Target, keep: int = 1) -> None:
    """Spark: the latest `keep` finished runs of the control database's job_runs copied to the
    models schema's `job_runs` (recreated), so that the job_duration monitor judges the latest
    run as on the other targets; nothing when the control database has no job_runs yet."""
    control = target.control
    source = qualified(control, control.models_schema, JOB_RUNS)
    with connect(control) as con:
        present = fetch_all(
            con, "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            (control.models_schema, JOB_RUNS),
        )[0][0]
        rows = fetch_all(
            con, f"select run_id, flow, finished_at, duration_seconds from {source} where finished_at "
            f"is not null and duration_seconds is not null order by finished_at desc limit {int(keep)}",
        ) if present else []
    if not present:
        with connect(target) as con:
            spark_sql.run(con, f"drop table if exists {qualified(target, target.models_schema, JOB_RUNS)}")
        return
    _replace_spark_table(target, JOB_RUNS, _JOB_RUN_COLUMNS, rows)
