"""The scheduled jobs run for real: `bizstats run daily --date D` started as a user starts it
(a subprocess; its own local Prefect server), on DuckDB and MariaDB, with real local SMTP
and webhook receivers; `bizstats schedule` serving the four schedules and stopping; a build
failing midway.

Warehouse: local days 2024-03-04 .. 03-17 hold 10 page views each (official/pc), 03-18 only
2 (the drop), 03-19 one view at 00:30 local (so 03-18 is complete for the checks). The
checks (tests' monitoring config) judge pv of all/all against the mean of the 7 days before:
below 0.5x or above 1.5x is an outlier."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bizstats.config import Target
from bizstats.db import ensure_raw_tables
from bizstats.ops.job_runs import list_runs
from tests_py.support.receivers import Mailbox, Receiver, alert_config
from tests_py.support.sample_data import view
from tests_py.support.warehouse import Warehouse

FIRST, QUIET, DROP = date(2024, 3, 4), date(2024, 3, 17), date(2024, 3, 18)
BIZSTATS = str(Path(sys.executable).parent / "bizstats")
MONITORING = """monitoring:
  slices: [all/all]
  checks:
    - {check: outlier, metrics: [pv], high_ratio: 1.5, low_ratio: 0.5, floor: 5, window_days: 7,
       severity: general}
  monitors:
    data_error_rate: {max_rate: 0.01, severity: critical}
    job_duration: {max_minutes: 30}
    collection_success_rate: {min_rate: 0.99, severity: critical}
"""


def _views(day: date, count: int, hour: int = 9) -> list[dict]:
    first = datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)
    return [view(f"v-{day}-{i}", f"{first + timedelta(minutes=i):%Y-%m-%d %H:%M:%S}", user=f"u{i}",
                 channel="official", dtype="pc") for i in range(count)]


def _warehouse(target: Target, tmp_path: Path) -> Warehouse:
    """The module docstring's warehouse, built up to 03-16 (the runs build the rest)."""
    w = Warehouse(target, tmp_path)
    days = [FIRST + timedelta(days=n) for n in range((QUIET - FIRST).days + 1)]
    w.load(event_logs=[e for d in days for e in _views(d, 10)] + _views(DROP, 2)
           + [view("v-late", "2024-03-18 16:30:00", user="u0", channel="official", dtype="pc")])
    w.build(start=str(FIRST), end="2024-03-16")
    return w


def _env(tmp_path: Path, box: Mailbox, http: Receiver) -> dict[str, str]:
    """The environment a user sets: alert config, checks thresholds, reports folder; Prefect
    data in the test's folder and no PREFECT_API_URL (bizstats starts its own server)."""
    monitoring = tmp_path / "monitoring.yml"
    monitoring.write_text(MONITORING, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        BIZSTATS_ALERTS_CONFIG=alert_config(tmp_path, box.port, http),
        BIZSTATS_MONITORING_CONFIG=str(monitoring), BIZSTATS_REPORTS_DIR=str(tmp_path / "reports"),
        PREFECT_HOME=str(tmp_path / "prefect"),
    )
    return env


def _bizstats(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIZSTATS, *args], env=env, capture_output=True, text=True, timeout=900)


def test_documented_daily_run_alerts_on_a_drop_and_not_on_a_quiet_day(target, tmp_path, smtp, http):
    w = _warehouse(target, tmp_path)
    env = _env(tmp_path, smtp, http)

    quiet = _bizstats(["run", "daily", "--date", str(QUIET), "--target", target.name], env)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert "outcome=success" in quiet.stdout and "flagged=0" in quiet.stdout
    assert smtp.mails == [] and http.posts == []

    drop = _bizstats(["run", "daily", "--date", str(DROP), "--target", target.name], env)
    assert drop.returncode == 0, drop.stderr[-3000:]
    assert "flagged=1" in drop.stdout and "alerts_sent=1" in drop.stdout
    subject = "[bizstats general] outlier: 页面访问量 PV on 2024-03-18 (all/all)"
    [mail] = smtp.mails
    assert (mail.sender, mail.recipients, mail.message["Subject"]) == (
        "bizstats@example.com", ["oncall@example.com"], subject)
    assert mail.message.get_content().splitlines() == [
        "告警编号 Alert ID: 1",
        "级别 Severity: 一般 general",
        "检查 Check: 数据异常值 outlier",
        "指标 Metric: 页面访问量 PV (pv)",
        "维度 Slice: all/all",
        "日期 Date: 2024-03-18",
        "实际值 Actual: 2",
        "基线 Baseline: 10",
        "阈值 Threshold: > 1.5x or < 0.5x the mean of the previous 7 days (judged when it is >= 5)",
        "处理建议 Next step: 页面访问量 PV on all/all on 2024-03-18 is 0.2000x its baseline 10.0000: look "
        "for a release, a campaign, a tracking change or a partial load that day; hourly_stats shows "
        "when it began",
        "确认 Confirm: bizstats alerts ack 1  (fixed: bizstats alerts resolve 1)",
    ]
    [post] = http.posts
    assert post.path == "/hook"
    fields = ("title", "check", "metric", "slice", "stat_date", "actual", "baseline")
    assert {k: post.body[k] for k in fields} == {
        "title": subject, "check": "outlier", "metric": "pv", "slice": "all/all",
        "stat_date": "2024-03-18", "actual": "2", "baseline": "10"}

    assert w.daily("2024-03-18")["pv"] == 2 and w.daily("2024-03-17")["pv"] == 10
    runs = list_runs(target)
    assert [(r.job, r.start_date, r.outcome, r.flagged, r.error) for r in runs] == [
        ("daily", DROP, "success", 1, ""), ("daily", QUIET, "success", 0, "")]
    # daily: the day with the lookback (3 days), carried to the last day built
    assert [(r.built_start, r.built_end) for r in runs] == [
        (date(2024, 3, 15), DROP), (date(2024, 3, 14), QUIET)]
    assert all(r.duration_seconds > 0 and r.finished_at > r.started_at for r in runs)
    assert (tmp_path / "reports" / "bizstats_daily_2024-03-18.html").is_file()
    assert "local Prefect server at http://127.0.0.1:" in drop.stderr


def test_a_build_failing_midway_keeps_daily_stats_records_the_run_and_alerts(
    duckdb_target, tmp_path, smtp, http, monkeypatch
):
    """A fault after daily_stats committed (BIZSTATS_FAULT_AFTER_MODEL, macros/materialisation/undo_log/)
    fails the build of 03-17 midway: daily_stats keeps every row; the run is recorded as
    failed and alerts. (Amounts whose sums overflowed used to fail it; they no longer can:
    tests_py/test_amount_bounds.py.)"""
    from bizstats.ops.prefect_server import prefect_api
    from bizstats.ops.runner import load_flows

    w = _warehouse(duckdb_target, tmp_path)
    for key, value in _env(tmp_path, smtp, http).items():
        monkeypatch.setenv(key, value)
    w.load(deductions=[
        {"deduction_id": f"d{i}", "user_id": "u1", "service_type": "member",
         "amount": "99.99", "mode": "auto", "status": "success",
         "deducted_at": "2024-03-17 02:00:00"} for i in (1, 2)])
    monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", "daily_stats")
    before = w.daily_table(str(FIRST), str(DROP))
    assert len(before) == 13 * 30  # 03-04 .. 03-16, 30 slices a day

    with prefect_api(print), pytest.raises(Exception, match="daily_stats|hourly_stats|Overflow|out of range"):
        load_flows().daily(target="duckdb", day=QUIET)

    assert w.daily_table(str(FIRST), str(DROP)) == before
    [run] = list_runs(duckdb_target)
    assert (run.job, run.end_date, run.outcome, run.built_start, run.flagged) == (
        "daily", QUIET, "failed", None, None)
    assert "failed" in run.error
    [mail] = smtp.mails
    assert mail.message["Subject"] == (
        "[bizstats critical] job_failed: 每日统计任务 daily job on 2024-03-17 (target=duckdb)")
    assert f"run {run.run_id} of 2024-03-17 .. 2024-03-17 failed" in mail.message.get_content()
    [post] = http.posts
    assert (post.body["check"], post.body["severity"]) == ("job_failed", "critical")


def test_a_failing_run_is_one_line_naming_the_log(duckdb_target, tmp_path, smtp, http):
    """`bizstats run daily` whose build fails: bizstats' own lines and one error line naming
    the run's log on the terminal; Prefect's traceback only in that log, nothing lost on the
    way to the Prefect server ("Error logging to API")."""
    _warehouse(duckdb_target, tmp_path)
    env = _env(tmp_path, smtp, http)
    env["BIZSTATS_FAULT_AFTER_MODEL"] = "daily_stats"
    failed = _bizstats(["run", "daily", "--date", str(QUIET)], env)
    assert failed.returncode == 1, failed.stderr[-3000:]
    log = tmp_path / "prefect" / "bizstats-runs.log"
    lines = failed.stderr.strip().splitlines()
    assert lines[0] == f"daily run: Prefect's log in {log}"
    assert lines[1].startswith("local Prefect server at http://127.0.0.1:")
    assert len(lines) == 3, failed.stderr
    assert lines[2].startswith("bizstats: error: daily run failed: dbt build ")
    assert "fault injected after daily_stats committed" in lines[2]
    assert re.search(r"; no mart changed \([1-7] put back\) \(log: (.+)\)$", lines[2]).group(1) == str(log)
    assert "Traceback" not in failed.stderr and "Error logging to API" not in failed.stderr
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "fault injected after daily_stats committed" in text
    [run] = list_runs(duckdb_target)
    assert (run.outcome, run.end_date) == ("failed", QUIET)


def test_schedule_serves_the_five_jobs_and_stops_cleanly(tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), BIZSTATS_DUCKDB_PATH=str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", env["BIZSTATS_DUCKDB_PATH"])
    ensure_raw_tables(Target("duckdb"))  # schedule needs a warehouse: only load and demo make one
    process = subprocess.Popen([BIZSTATS, "schedule"], env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        url = _wait_for(lambda: next((ln.split()[4] for ln in lines if "Prefect server at" in ln), None))
        deployments = _wait_for(lambda: _deployments(url) if len(_deployments(url)) == 5 else None)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=120)
        reader.join(timeout=10)
    schedules = {
        d["name"]: (d["schedules"][0]["schedule"]["cron"], d["schedules"][0]["schedule"]["timezone"],
                    d["schedules"][0]["active"], d["parameters"])
        for d in deployments
    }
    assert schedules == {
        "bizstats-hourly-duckdb": ("5 * * * *", "Etc/GMT-8", True, {"target": "duckdb"}),
        "bizstats-daily-duckdb": ("0 2 * * *", "Etc/GMT-8", True, {"target": "duckdb"}),
        "bizstats-weekly-duckdb": ("0 3 * * 1", "Etc/GMT-8", True, {"target": "duckdb"}),
        "bizstats-monthly-duckdb": ("0 4 1 * *", "Etc/GMT-8", True, {"target": "duckdb"}),
        "bizstats-backup-duckdb": ("0 3 * * *", "Etc/GMT-8", True, {"target": "duckdb"}),
    }
    assert code == 0, "".join(lines)[-3000:]
    # bizstats' last line; Prefect's runner logs its "SIGTERM received" from its own thread,
    # which may reach stderr after it (seen once on CI)
    ours = [ln for ln in lines if not re.match(r"\d\d:\d\d:\d\d\.\d+ \| \w+ +\| prefect", ln)]
    assert ours[-1].strip() == "stopped"
    with pytest.raises(httpx.HTTPError):  # the local server went with it
        httpx.get(f"{url}/health", timeout=5)


def _deployments(url: str) -> list[dict]:
    try:
        return httpx.post(f"{url}/deployments/filter", json={}, timeout=10).json()
    except (httpx.HTTPError, json.JSONDecodeError):
        return []


def _wait_for(probe, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"nothing after {seconds} s")


def test_a_transient_error_is_retried_with_backoff(mysql_target, tmp_path, smtp, http):
    """Another command holds the warehouse lock when the daily run starts (MariaDB GET_LOCK,
    no wait): its build step fails with a transient error, Prefect retries it after the
    configured delay, and once the lock is free the run succeeds with nothing alerted."""
    from bizstats.lock import warehouse_lock

    _warehouse(mysql_target, tmp_path)
    env = {**_env(tmp_path, smtp, http), "BIZSTATS_RETRY_DELAY_SECONDS": "3", "BIZSTATS_LOCK_WAIT": "0"}
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with warehouse_lock(mysql_target, "a test holding the warehouse"):
            held.set()
            release.wait(timeout=600)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(timeout=30)
    process = subprocess.Popen(
        [BIZSTATS, "run", "daily", "--date", str(QUIET), "--target", "mysql"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:  # release the lock once the first attempt has failed
        lines.append(line)
        if "Retry 1/" in line:
            release.set()
    process.wait(timeout=600)
    release.set()
    holder.join(timeout=30)
    output = "".join(lines)
    assert process.returncode == 0, output[-3000:]
    assert "another" in output and "Retry 1/" in output  # the refusal, then Prefect's retry
    [run] = list_runs(mysql_target)
    assert (run.job, run.outcome, run.error) == ("daily", "success", "")
    assert smtp.mails == [] and http.posts == []


def test_the_hourly_weekly_and_monthly_jobs_run_as_documented(duckdb_target, tmp_path, smtp, http):
    """`bizstats run hourly|weekly|monthly --date D` as a user runs them: each builds the
    days its schedule covers (the day; its ISO week; its month), records its run and alerts
    on what its days hold."""
    w = _warehouse(duckdb_target, tmp_path)
    env = _env(tmp_path, smtp, http)
    for job in ("hourly", "weekly", "monthly"):
        done = _bizstats(["run", job, "--date", str(QUIET), "--target", "duckdb"], env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "outcome=success" in done.stdout
    runs = {r.job: r for r in list_runs(duckdb_target)}
    covered = {job: (r.start_date, r.end_date, r.outcome) for job, r in runs.items()}
    assert covered == {
        "hourly": (QUIET, QUIET, "success"),
        "weekly": (date(2024, 3, 11), date(2024, 3, 17), "success"),  # Mon .. Sun of 03-17
        "monthly": (date(2024, 3, 1), date(2024, 3, 31), "success"),
    }
    assert w.daily(str(QUIET))["pv"] == 10
    # the month holds the drop of 03-18: the monthly run judges it again (its first days,
    # before any data, are no baseline for the days after them)
    subject = "[bizstats general] outlier: 页面访问量 PV on 2024-03-18 (all/all)"
    assert [m.message["Subject"] for m in smtp.mails] == [subject]
    assert [p.body["title"] for p in http.posts] == [subject]


def test_the_flows_are_an_installed_package_found_from_any_directory(tmp_path):
    """`flows` ships with bizstats (pyproject's packages): the runner imports `flows.jobs` from
    a directory that is not the project's, without adding anything to sys.path."""
    script = (
        "import json, sys; before = list(sys.path); "
        "from bizstats.ops.runner import load_flows; jobs = load_flows(); "
        "print(json.dumps([jobs.__name__, jobs.__file__, sorted(jobs.FLOWS), sys.path == before]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    name, path, flows, same_path = json.loads(done.stdout.splitlines()[-1])
    assert (name, Path(path).name, Path(path).parent.name) == ("flows.jobs", "jobs.py", "flows")
    assert (flows, same_path) == (["backup", "daily", "hourly", "monthly", "weekly"], True)
