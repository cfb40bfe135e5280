"""Commands that meet on one warehouse, and builds that cannot run away.

- One writer at a time: a build or load while another process holds the warehouse lock fails
  with one line naming it; two real `bizstats build` processes at once: one builds, the other
  gets that line, and the next build is right. Both targets.
- A connection lost in the middle of a build is one short line naming the target.
- Plans stay inside the days data can hold and within max_build_days unless the range is
  given explicitly; no date value crashes the planner.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bizstats import build as build_module
from bizstats.build import build, plan_build, window_days
from bizstats.errors import BizstatsError
from bizstats.project_vars import project_vars
from tests_py.support.network import Relay
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.warehouse import Warehouse

HOLD = (
    "import sys, time\n"
    "from bizstats.config import Target\n"
    "from bizstats.lock import warehouse_lock\n"
    "with warehouse_lock(Target(sys.argv[1]), sys.argv[2]):\n"
    "    print('locked', flush=True)\n"
    "    time.sleep(float(sys.argv[3]))\n"
)


def _hold_lock(target_name: str, what: str, seconds: float) -> subprocess.Popen:
    """Another process that takes the warehouse lock and keeps it for `seconds`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, target_name, what, str(seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "locked", proc.stderr.read() if proc.stderr else line
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


def test_a_command_fails_with_one_line_while_another_process_holds_the_lock(wh, tmp_path):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    holder = _hold_lock(wh.target.name, "build", 120)
    try:
        with pytest.raises(BizstatsError) as failed:
            wh.build(day="2024-03-12")
        message = str(failed.value)
        assert "\n" not in message and len(message) < 400, message
        assert f"another bizstats build is running on {wh.target.name}" in message
        assert f"pid {holder.pid}, started " in message
        with pytest.raises(BizstatsError, match="another bizstats build is running"):
            wh.load(event_logs=TRAFFIC_EVENTS)
    finally:
        _stop(holder)
    # the lock died with its process: the next build runs
    assert wh.build(day="2024-03-12").start == date(2024, 3, 9)
    assert wh.daily("2024-03-10")["pv"] == 7


def test_a_command_waits_for_the_lock_when_told_to(target, monkeypatch):
    holder = _hold_lock(target.name, "load", 2)
    try:
        monkeypatch.setenv("BIZSTATS_LOCK_WAIT", "60")
        plan_started = build(target, day=date(2024, 3, 12), with_tests=False)
        assert plan_started.start == date(2024, 3, 9)
        assert holder.wait(timeout=60) == 0
    finally:
        _stop(holder)


def _cli_build(day: str) -> subprocess.Popen:
    bizstats = os.path.join(os.path.dirname(sys.executable), "bizstats")
    return subprocess.Popen(
        [bizstats, "build", "--date", day, "--target", os.environ["BIZSTATS_TARGET_UNDER_TEST"]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )


def test_two_builds_at_once_one_builds_the_other_gets_one_line(wh, monkeypatch):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    monkeypatch.setenv("BIZSTATS_TARGET_UNDER_TEST", wh.target.name)
    procs = [_cli_build("2024-03-12"), _cli_build("2024-03-12")]
    outputs = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    codes = sorted(code for code, _out, _err in outputs)
    assert codes == [0, 1], outputs
    [(_code, _out, err)] = [o for o in outputs if o[0] == 1]
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"bizstats: error: another bizstats build is running on {wh.target.name}")
    # a following build succeeds with the right numbers
    assert wh.build(day="2024-03-12").start == date(2024, 3, 9)
    assert wh.daily("2024-03-10")["pv"] == 7
    assert wh.daily("2024-03-12")["total_deduction"] == Decimal("37.89")


def test_connection_lost_in_the_middle_of_a_build_is_one_line(mysql_target, tmp_path, monkeypatch):
    wh = Warehouse(mysql_target, tmp_path)
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    relay = Relay(("127.0.0.1", int(os.environ.get("BIZSTATS_MYSQL_PORT", "3306"))))
    relay.start()
    seen: list[str] = []
    cut: list[str] = []

    def progress(line: str) -> None:
        seen.append(line)
        if "OK created" in line and not cut:
            cut.append(line)
            relay.stop()  # after the first model: dbt loses its connection mid-build

    with monkeypatch.context() as env, pytest.raises(BizstatsError) as failed:
        env.setenv("BIZSTATS_MYSQL_PORT", str(relay.port))
        build(mysql_target, day=date(2024, 3, 12), with_tests=False, progress=progress)
    message = str(failed.value)
    assert cut, seen
    assert "\n" not in message and len(message) < 400, message
    assert f"127.0.0.1:{relay.port}/{mysql_target.models_schema}" in message
    assert "lost the connection to the database" in message and "re-run" in message
    assert "BaseResult" not in message


def test_build_against_a_closed_port_is_one_line(mysql_target, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with monkeypatch.context() as env, pytest.raises(BizstatsError) as failed:
        env.setenv("BIZSTATS_MYSQL_PORT", str(port))  # back before the fixture drops the schema
        build(mysql_target, day=date(2024, 3, 12), with_tests=False)
    message = str(failed.value)
    assert "\n" not in message and len(message) < 300, message
    assert f"127.0.0.1:{port}" in message and "2003" in message


def _insert_raw_event(wh: Warehouse, event_id: str, at: str) -> None:
    """A raw row the loader would refuse now (an older loader or a hand insert stored it)."""
    wh.execute(
        "insert into {schema}_raw.event_logs (event_id, event_type, session_id, event_time, created_at) "
        f"values ('{event_id}', 'page_view', 's_{event_id}', '{at}', '{at}')"
    )


def test_absurd_stored_dates_never_reach_the_plan_nor_crash_it(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    _insert_raw_event(wh, "old", "1900-01-01 00:00:00")
    _insert_raw_event(wh, "older", "0001-01-01 00:00:00")
    _insert_raw_event(wh, "far", "9999-12-31 23:59:59")
    result = wh.build(day="2024-03-12")  # the first build: every day with data in the window
    assert (result.start, result.end) == (date(2024, 3, 9), date(2024, 3, 12))
    full = plan_build(wh.target, day=date(2024, 3, 12), full_refresh=True)
    assert (full.start, full.end) == (date(2024, 3, 9), date(2024, 3, 12))


@pytest.mark.parametrize(
    "options",
    [
        {"day": date.min}, {"day": date.max}, {"day": date(1900, 1, 1)},
        {"start": date.min, "end": date.max}, {"start": date(2024, 3, 1), "end": date.max},
    ],
)
def test_requested_dates_outside_the_window_are_one_line(duckdb_target, options):
    with pytest.raises(BizstatsError, match=r"is outside the days a warehouse holds \(2000-01-01 \.\. "):
        plan_build(duckdb_target, **options)


def test_the_first_day_of_the_window_plans_without_overflow(duckdb_target):
    plan = plan_build(duckdb_target, day=date(2000, 1, 1))
    assert (plan.start, plan.end) == (date(2000, 1, 1), date(2000, 1, 1))


@pytest.fixture
def max_five_days(monkeypatch):
    settings = project_vars()
    short = dataclasses.replace(settings, max_build_days=5)
    monkeypatch.setattr(build_module, "project_vars", lambda: short)


def test_a_plan_longer_than_max_build_days_needs_an_explicit_range(wh, max_five_days):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    with pytest.raises(BizstatsError) as failed:
        plan_build(wh.target, day=date(2024, 3, 20))
    message = str(failed.value)
    assert "\n" not in message
    assert "2024-03-10 .. 2024-03-20 (11 days)" in message and "first build" in message
    assert "max_build_days (5" in message
    assert "`bizstats build --start 2024-03-10 --end 2024-03-20`" in message
    # explicit: what was asked, plus the pending days (the first build covers all data)
    plan = plan_build(wh.target, start=date(2024, 3, 19), end=date(2024, 3, 20))
    assert (plan.start, plan.end) == (date(2024, 3, 10), date(2024, 3, 20))
    # a nightly within the maximum still plans on its own
    assert plan_build(wh.target, day=date(2024, 3, 12)).days == 4


def test_a_nightly_after_a_long_pause_needs_an_explicit_range(duckdb_target, tmp_path, max_five_days):
    wh = Warehouse(duckdb_target, tmp_path)
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    later = date(2024, 3, 12) + timedelta(days=10)
    expected = r"2024-03-13 \.\. 2024-03-22 \(10 days\), more than max_build_days"
    with pytest.raises(BizstatsError, match=expected):
        plan_build(duckdb_target, day=later)


@pytest.mark.parametrize(
    "setting", [("BIZSTATS_MIN_DATETIME", "0001-01-01"), ("BIZSTATS_MAX_DAYS_AHEAD", "99999999999")]
)
def test_no_window_setting_makes_the_planner_overflow(duckdb_target, monkeypatch, setting):
    """Settings that would overflow the window's date arithmetic are refused with one line
    naming them (tests_py/test_settings_cli.py runs the CLI with them); the widest accepted
    ones plan as usual."""
    monkeypatch.setenv(*setting)
    for offset in (-14, 0, 14):
        with pytest.raises(BizstatsError, match=f"^{setting[0]} must be "):
            window_days(offset)
    with pytest.raises(BizstatsError, match=f"^{setting[0]} must be "):
        plan_build(duckdb_target, day=date(2024, 3, 12))
    monkeypatch.setenv("BIZSTATS_MIN_DATETIME", "1900-01-01")
    monkeypatch.setenv("BIZSTATS_MAX_DAYS_AHEAD", "3650")
    for offset in (-14, 0, 14):
        first, last = window_days(offset)
        assert first <= date(1900, 1, 1) and last >= date.today() + timedelta(days=3649)
    assert plan_build(duckdb_target, day=date(2024, 3, 12)).start == date(2024, 3, 9)
    with pytest.raises(BizstatsError, match="is outside the days a warehouse holds"):
        plan_build(duckdb_target, start=date.min, end=date.max)
