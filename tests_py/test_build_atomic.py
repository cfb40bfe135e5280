"""A failed build changes no mart (issue 15, point 8), on DuckDB and MariaDB: each mart made
to fail in turn right after its new rows were committed (BIZSTATS_FAULT_AFTER_MODEL,
macros/materialisation/undo_log/), a failing full refresh, a failing first build, and a build killed with
SIGKILL midway: afterwards every mart is byte-identical to before (created_at/updated_at
included), and the next build completes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bizstats.build import build
from bizstats.config import project_dir
from bizstats.db import connect, fetch_all, qualified
from bizstats.errors import BizstatsError
from bizstats.lock import warehouse_lock
from bizstats.undo_log import LOG_TABLE, marker_path
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS, view

MARTS = sorted(p.stem for p in (project_dir() / "models" / "marts").glob("*.sql"))
BIZSTATS = str(Path(sys.executable).parent / "bizstats")

# Late rows that change every mart's numbers on 2024-03-11/12: a page view (daily, hourly,
# weekly, monthly, user types), a credit order and a member deduction (breakdowns,
# cumulative deductions).
LATE = {
    "event_logs": [view("late1", "2024-03-11 02:00:00", user="u7", session="s7", channel="app", dtype="pc")],
    "orders": [
        {
            "order_id": "o9",
            "user_id": "u1",
            "pay_method": "credit",
            "status": "success",
            "amount": "7.00",
            "created_at": "2024-03-11 03:00:00",
        }
    ],
    "deductions": [
        {
            "deduction_id": "d9",
            "user_id": "u1",
            "service_type": "member",
            "amount": "3.00",
            "mode": "auto",
            "status": "success",
            "deducted_at": "2024-03-11 04:00:00",
        }
    ],
}


def _tables(wh) -> set[str]:
    with connect(wh.target) as con:
        mark = "?" if wh.target.name == "duckdb" else "%s"
        rows = fetch_all(
            con,
            f"select table_name from information_schema.tables where table_schema = {mark}",
            (wh.target.models_schema,),
        )
    return {name for (name,) in rows}


def _marts(wh) -> dict[str, list[tuple]]:
    """Every row of every mart that exists, sorted (values compared exactly)."""
    present = _tables(wh)
    found = {}
    for mart in MARTS:
        if mart in present:
            table = qualified(wh.target, wh.target.models_schema, mart)
            found[mart] = sorted(wh.query(f"select * from {table}"), key=repr)
    return found


def _no_undo_left(wh) -> None:
    tables = _tables(wh)
    assert not [t for t in tables if "__undo" in t], tables
    if LOG_TABLE in tables:
        log = qualified(wh.target, wh.target.models_schema, LOG_TABLE)
        assert wh.query(f"select count(*) from {log}") == [(0,)]
    if wh.target.name == "duckdb":
        assert not marker_path(wh.target).exists()


@pytest.fixture
def built(wh):
    """The fixtures' warehouse built up to 2024-03-12, then the late rows loaded."""
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    wh.load(**LATE)
    return wh


def test_a_build_failing_after_any_mart_changes_no_mart(built, monkeypatch):
    wh = built
    before = _marts(wh)
    assert set(before) == set(MARTS) and all(before.values())
    for mart in MARTS:
        monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", mart)
        with pytest.raises(BizstatsError) as failed:
            wh.build(day="2024-03-12")
        message = str(failed.value)
        assert f"fault injected after {mart} committed" in message, message
        assert re.search(r"; no mart changed \([1-7] put back\)$", message), message
        assert "\n" not in message
        assert _marts(wh) == before, mart
        _no_undo_left(wh)
    monkeypatch.delenv("BIZSTATS_FAULT_AFTER_MODEL")
    result = wh.build(day="2024-03-12", with_tests=True)  # the error-severity tests pass too
    assert (result.start, result.end) == (date(2024, 3, 9), date(2024, 3, 12))
    after = _marts(wh)
    assert [m for m in MARTS if after[m] == before[m]] == []  # the late rows changed every mart
    assert wh.daily("2024-03-11")["pv"] == 2 and wh.daily("2024-03-11")["credit_order_count"] == 1
    assert str(wh.daily("2024-03-11")["daily_member_deduction"]) == "23.00"
    _no_undo_left(wh)


def test_a_failing_full_refresh_changes_no_mart(built, monkeypatch):
    wh = built
    before = _marts(wh)
    indexes = _mysql_indexes(wh)
    monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", "weekly_stats")
    with pytest.raises(BizstatsError, match="fault injected after weekly_stats committed.*no mart changed"):
        build(wh.target, day=date(2024, 3, 12), full_refresh=True, with_tests=False)
    assert _marts(wh) == before
    assert _mysql_indexes(wh) == indexes  # the tables put back are the same tables
    _no_undo_left(wh)
    # one mart rebuilt over all history (--select) fails the same way, and keeps the rest too
    monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", "daily_breakdowns")
    with pytest.raises(BizstatsError, match="no mart changed"):
        build(
            wh.target, day=date(2024, 3, 12), full_refresh=True, select="daily_breakdowns", with_tests=False
        )
    assert _marts(wh) == before
    _no_undo_left(wh)


def _mysql_indexes(wh) -> list[tuple]:
    if wh.target.name != "mysql":
        return []
    return sorted(
        wh.query(
            "select table_name, index_name, column_name, seq_in_index from information_schema.statistics "
            f"where table_schema = '{wh.target.models_schema}'"
        )
    )


def test_a_failing_first_build_leaves_no_mart(wh, monkeypatch):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", "hourly_stats")
    with pytest.raises(BizstatsError, match="no mart changed"):
        wh.build(day="2024-03-12")
    assert _marts(wh) == {}
    _no_undo_left(wh)
    monkeypatch.delenv("BIZSTATS_FAULT_AFTER_MODEL")
    wh.build(day="2024-03-12")
    assert wh.daily("2024-03-10")["pv"] == 7


def test_a_build_killed_midway_is_put_back_before_anyone_sees_it(built):
    """SIGKILL right after the first mart reported its rows committed: the marts are half
    built until a command takes the warehouse lock, which puts them back; the next build
    completes."""
    wh = built
    before = _marts(wh)
    process = subprocess.Popen(
        [BIZSTATS, "build", "--date", "2024-03-12", "--target", wh.target.name],
        env=dict(os.environ),
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if " OK " in line and "cumulative_daily" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen)
    half = _marts(wh)  # a reader that bypasses the lock sees the committed mart
    assert half["cumulative_daily"] != before["cumulative_daily"]
    if wh.target.name == "duckdb":
        assert marker_path(wh.target).exists()
        # the query API's reader: its snapshot is taken under the warehouse lock
        import duckdb

        from bizstats.publish.snapshot import ensure_snapshot

        snapshot = duckdb.connect(str(ensure_snapshot(wh.target)), read_only=True)
        try:
            rows = snapshot.execute("select * from cumulative_daily").fetchall()
        finally:
            snapshot.close()
        assert sorted(rows, key=repr) == before["cumulative_daily"]
    else:
        with warehouse_lock(wh.target, "test"):
            pass
    assert _marts(wh) == before
    _no_undo_left(wh)
    result = wh.build(day="2024-03-12")
    assert (result.start, result.end) == (date(2024, 3, 9), date(2024, 3, 12))
    assert wh.daily("2024-03-11")["pv"] == 2
    _no_undo_left(wh)
