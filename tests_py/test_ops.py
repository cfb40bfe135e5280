"""bizstats.ops without Prefect: which days each job covers, the schedules, which errors are
retried, the alerts a run raises about itself, and `bizstats rebuild` with its log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pymysql
import pytest

from bizstats import project_vars as project_vars_module
from bizstats.alerts import Alert
from bizstats.build import build
from bizstats.cli import main
from bizstats.config import Target
from bizstats.db import connect
from bizstats.errors import BizstatsError
from bizstats.ops.job_runs import JobRun
from bizstats.ops.rebuild import rebuild_log
from bizstats.ops.retry import is_transient
from bizstats.ops.runner import deployments
from bizstats.ops.schedules import default_day, job_range
from bizstats.ops.steps import job_alerts
from bizstats.settings import settings
from tests_py.support.network import free_port
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.warehouse import Warehouse

# 2024-03-18 18:30 UTC is Tuesday 2024-03-19 02:30 at UTC+8 (the statistics time zone)
NOW = datetime(2024, 3, 18, 18, 30, tzinfo=UTC)


def test_the_days_each_job_covers():
    assert {name: default_day(name, NOW) for name in ("hourly", "daily", "weekly", "monthly")} == {
        "hourly": date(2024, 3, 19), "daily": date(2024, 3, 18), "weekly": date(2024, 3, 12),
        "monthly": date(2024, 2, 29)}
    assert job_range("daily", date(2024, 3, 18)) == (date(2024, 3, 18), date(2024, 3, 18))
    assert job_range("weekly", date(2024, 3, 12)) == (date(2024, 3, 11), date(2024, 3, 17))
    assert job_range("monthly", date(2024, 2, 29)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert job_range("monthly", date(2024, 12, 5)) == (date(2024, 12, 1), date(2024, 12, 31))


JOBS_FOUR = ("hourly", "daily", "weekly", "monthly")


def test_the_schedules_run_in_the_statistics_time_zone(monkeypatch):
    crons = {d.name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone, d.parameters)
             for d in deployments("mysql")}
    assert crons["bizstats-daily-mysql"] == ("0 2 * * *", "Etc/GMT-8", {"target": "mysql"})
    vars_ = project_vars_module.project_vars()
    monkeypatch.setattr(project_vars_module, "project_vars", lambda: replace(vars_, utc_offset_hours=0))
    assert default_day("hourly", NOW) == date(2024, 3, 18)
    crons = {d.name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone, d.parameters)
             for d in deployments("mysql")}
    assert {name: crons[name] for name in crons if name.split("-")[1] in JOBS_FOUR} == {
        "bizstats-hourly-mysql": ("5 * * * *", "UTC", {"target": "mysql"}),
        "bizstats-daily-mysql": ("0 2 * * *", "UTC", {"target": "mysql"}),
        "bizstats-weekly-mysql": ("0 3 * * 1", "UTC", {"target": "mysql"}),
        "bizstats-monthly-mysql": ("0 4 1 * *", "UTC", {"target": "mysql"}),
    }
    # the removed setting is one line saying where the zone lives now
    monkeypatch.setenv("BIZSTATS_TIMEZONE", "Asia/Shanghai")
    with pytest.raises(BizstatsError, match=r"^BIZSTATS_TIMEZONE is no longer read: .*_utc_offset_hours"):
        deployments("mysql")


def test_transient_errors_are_retried_and_others_not(monkeypatch):
    s = settings().mysql
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(host="127.0.0.1", port=free_port(), user=s.user, password=s.password)
    assert refused.value.args[0] == 2003 and is_transient(refused.value)
    monkeypatch.setenv("BIZSTATS_MYSQL_PORT", str(free_port()))
    with pytest.raises(BizstatsError) as wrapped, connect(Target("mysql")):
        pass
    assert is_transient(wrapped.value)  # the driver's error, chained
    with pytest.raises(BizstatsError) as bad_range:
        build(Target("duckdb"), start=date(2024, 3, 2), end=date(2024, 3, 1))
    assert not is_transient(bad_range.value) and not is_transient(ValueError("x"))


def test_the_build_lock_held_elsewhere_is_transient(mysql_target):
    s = settings().mysql
    holder = pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password)
    try:
        with holder.cursor() as cur:
            cur.execute(f"select get_lock('bizstats:{s.schema}', 0)")
            assert cur.fetchone() == (1,)
        with pytest.raises(BizstatsError, match="retry when it has finished") as busy:
            build(mysql_target, day=date(2024, 3, 10))
    finally:
        holder.close()
    assert is_transient(busy.value)


def _run(outcome: str, seconds: str, error: str = "") -> JobRun:
    return JobRun("r-1", "daily", "bizstats-daily", date(2024, 3, 18), date(2024, 3, 18),
                  datetime(2024, 3, 18, 18, 0), datetime(2024, 3, 18, 18, 40), Decimal(seconds), outcome,
                  error=error)


def test_a_run_alerts_when_it_failed_or_took_too_long(monkeypatch):
    target = Target("mysql")
    assert job_alerts(target, _run("success", "1799.9")) == []
    common = {"metric": "daily", "metric_label": "每日统计任务 daily job", "slice": "target=mysql",
              "stat_date": date(2024, 3, 18), "baseline": None}
    assert job_alerts(target, _run("failed", "12.5", "dbt build failed: daily_stats: Overflow")) == [Alert(
        check="job_failed", severity="critical", actual=None, threshold="the run succeeds",
        advice="run r-1 of 2024-03-18 .. 2024-03-18 failed: dbt build failed: daily_stats: Overflow — fix "
        "the cause, then re-run `bizstats run daily --date 2024-03-18 --target mysql`; the marts keep "
        "their previous rows", **common)]
    [slow] = job_alerts(target, _run("success", "2400"))
    assert slow == Alert(
        check="job_duration", severity="general", actual=Decimal("40.0"), threshold="<= 30 minutes",
        advice="run r-1 took 40.0 minutes: compare the build times in bizstats_builds and the run's log "
        "(slow database, a long backfill, a lock wait)", **common)
    monkeypatch.setenv("BIZSTATS_JOB_MAX_MINUTES", "45")
    assert job_alerts(target, _run("success", "2400")) == []


def test_rebuild_logs_what_was_rebuilt_and_why(duckdb_target, tmp_path, capsys):
    w = Warehouse(duckdb_target, tmp_path)
    w.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    w.build(start="2024-03-01", end="2024-03-12")
    argv = ["rebuild", "--start", "2024-03-10", "--end", "2024-03-10", "--by", "ana"]
    assert main([*argv, "--reason", "refunds of 03-10 re-delivered"]) == 0
    assert capsys.readouterr().out == (
        "rebuilt 2024-03-10 .. 2024-03-12 on duckdb (requested 2024-03-10 .. 2024-03-10); logged in "
        "bizstats_rebuild_log\n")
    backwards = ["rebuild", "--start", "2024-03-10", "--end", "2024-03-09", "--by", "ana"]
    assert main([*backwards, "--reason", "typo"]) == 1
    assert "--start 2024-03-10 is after --end 2024-03-09" in capsys.readouterr().err
    assert main([*argv, "--reason", " "]) == 1
    failed, done = rebuild_log(duckdb_target)
    assert (done.requested_start, done.built_start, done.built_end, done.reason) == (
        date(2024, 3, 10), date(2024, 3, 10), date(2024, 3, 12), "refunds of 03-10 re-delivered")
    assert (done.requested_by, done.outcome, done.error) == ("ana", "success", "")
    assert (failed.requested_end, failed.built_start, failed.outcome, failed.error) == (
        date(2024, 3, 9), None, "failed", "--start 2024-03-10 is after --end 2024-03-09")
    assert done.started_at <= done.finished_at <= failed.started_at
    assert str(w.daily("2024-03-12")["total_deduction"]) == "37.89"
