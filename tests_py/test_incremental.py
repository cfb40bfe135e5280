"""Incremental behaviour: late data, nightly runs vs full rebuilds, failed builds, and the
same fixture on DuckDB and MariaDB."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bizstats.build import plan_build
from bizstats.errors import BizstatsError
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS, view
from tests_py.support.services import drop_mysql_schemas, mysql_schema
from tests_py.support.warehouse import Warehouse

# Rows arriving after the first build: a page view and a member deduction of local
# 2024-03-05, far outside the 3-day lookback of a 03-12 nightly build.
LATE_EVENTS = [
    view("late1", "2024-03-05 02:00:00", user="u7", session="s70", channel="h5", dtype="pc"),
]
LATE_DEDUCTIONS = [
    {
        "deduction_id": "d70",
        "user_id": "u1",
        "service_type": "member",
        "amount": "7.77",
        "mode": "manual",
        "status": "success",
        "deducted_at": "2024-03-05 03:00:00",
    },
]
# and a status change delivered again: d2 (failed on 03-10) now succeeded, so its 03-11
# refund r2 (30.00) counts too
D2_SUCCEEDED = [dict(BUSINESS["deductions"][1], status="success")]


def _switch_to_fresh_warehouse(target, monkeypatch, tmp_path) -> None:
    if target.name == "duckdb":
        monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path / "fresh.duckdb"))
    else:
        monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", mysql_schema("t"))


def test_nightly_build_after_late_rows_equals_full_rebuild(wh, monkeypatch, tmp_path):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(start="2024-03-01", end="2024-03-12")
    wh.load(event_logs=LATE_EVENTS, deductions=LATE_DEDUCTIONS)
    wh.load(deductions=D2_SUCCEEDED)
    # the nightly run for 03-12 reaches back to the late rows' day
    plan = plan_build(wh.target, date(2024, 3, 12))
    assert (plan.start, plan.end) == (date(2024, 3, 5), date(2024, 3, 12))
    result = wh.build(day="2024-03-12")
    assert result.start == date(2024, 3, 5)
    assert wh.daily("2024-03-05")["pv"] == 1
    assert wh.daily("2024-03-05")["daily_member_deduction"] == Decimal("7.77")
    # d70 7.77 + d1 30 + d2 30 + d4 20 - r1 10 - r2 30 - r4 20 = 27.77
    assert wh.daily("2024-03-10")["daily_member_deduction"] == Decimal("60.00")
    assert wh.daily("2024-03-12")["history_member_deduction"] == Decimal("27.77")
    incremental = wh.daily_table("2024-03-01", "2024-03-12")
    # the next nightly run has nothing new: back to the lookback window
    plan = plan_build(wh.target, date(2024, 3, 12))
    assert (plan.start, plan.end) == (date(2024, 3, 9), date(2024, 3, 12))

    old_schema = wh.target.models_schema
    _switch_to_fresh_warehouse(wh.target, monkeypatch, tmp_path)
    try:
        fresh = Warehouse(wh.target, tmp_path / "fresh")
        (tmp_path / "fresh").mkdir()
        fresh.load(event_logs=TRAFFIC_EVENTS + LATE_EVENTS, **BUSINESS)
        fresh.load(deductions=LATE_DEDUCTIONS + D2_SUCCEEDED)
        fresh.build(start="2024-03-01", end="2024-03-12")
        assert fresh.daily_table("2024-03-01", "2024-03-12") == incremental
    finally:
        if wh.target.name == "mysql" and wh.target.models_schema != old_schema:
            drop_mysql_schemas(wh.target.models_schema)


def test_first_nightly_build_covers_all_data(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    result = wh.build(day="2024-03-20")
    # earliest fact: page view v1 at 2024-03-09 16:00 UTC = local 03-10, before the lookback
    # window [03-17, 03-20]; registrations (u2, u3 on local 03-01) and a verification
    # submitted on 03-09 put no number on a day
    assert (result.start, result.end) == (date(2024, 3, 10), date(2024, 3, 20))
    assert wh.daily("2024-03-12")["total_deduction"] == Decimal("37.89")


def test_failed_build_leaves_previous_rows_intact(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(start="2024-03-09", end="2024-03-12")
    before = wh.query("select * from {schema}.daily_stats order by stat_date, channel, device_type")
    # make the database refuse the rebuilt rows halfway through the insert: a new 150.00
    # member deduction on 03-11 no longer fits the narrowed column (existing values do)
    wh.load(
        deductions=[
            {
                "deduction_id": "d99",
                "user_id": "u2",
                "service_type": "member",
                "amount": "150.00",
                "mode": "auto",
                "status": "success",
                "deducted_at": "2024-03-11 03:00:00",
            },
        ]
    )
    if wh.target.name == "duckdb":
        alter = "alter table {schema}.daily_stats alter column daily_member_deduction type decimal(4,2)"
    else:
        alter = "alter table {schema}.daily_stats modify daily_member_deduction decimal(4,2)"
    wh.execute(alter)
    with pytest.raises(BizstatsError, match="daily_stats"):
        wh.build(start="2024-03-09", end="2024-03-12")
    after = wh.query("select * from {schema}.daily_stats order by stat_date, channel, device_type")
    assert after == before
    assert len(after) == 4 * 30


@pytest.mark.parametrize("day", ["2024-03-10"])
def test_duckdb_and_mariadb_give_identical_daily_stats(duckdb_target, mysql_target, tmp_path, day):
    tables = []
    for target in (duckdb_target, mysql_target):
        folder = tmp_path / target.name
        folder.mkdir()
        w = Warehouse(target, folder)
        w.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
        w.build(start="2024-03-09", end="2024-03-12")
        tables.append(w.daily_table("2024-03-09", "2024-03-12"))
    assert tables[0] == tables[1]
    assert len(tables[0]) == 120
    assert any(r["pv"] > 0 for r in tables[0] if str(r["stat_date"]) == day)


def test_full_refresh_rebuilds_from_the_first_day(duckdb_target, tmp_path):
    w = Warehouse(duckdb_target, tmp_path)
    w.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    w.build(start="2024-03-09", end="2024-03-20")
    from bizstats.build import build

    result = build(duckdb_target, day=date(2024, 3, 20), full_refresh=True, with_tests=False)
    # not just the lookback [03-17, 03-20]: from the first day of data (local 03-10)
    assert (result.start, result.end) == (date(2024, 3, 10), date(2024, 3, 20))
    assert len(w.daily_table("2024-03-01", "2024-03-20")) == 11 * 30
    assert w.daily("2024-03-12")["total_deduction"] == Decimal("37.89")
    assert w.daily("2024-03-20")["total_deduction"] == Decimal("37.89")


def test_a_build_opens_one_connection_of_its_own(wh, monkeypatch):
    """One planner, one connection: a build opens one warehouse connection (changes.open_state)
    and passes it to every step (the raw tables, the plan's scan of new rows, registry, days
    built and pending days, the quarantine alert's watermark, the undo log's begin and commit,
    the build's log, the pending days cleared, the registry recorded, the warehouse's id). On
    MySQL/MariaDB the lock is one more (GET_LOCK on a connection of its own, which also puts
    back an unfinished build). dbt's own connections are not counted. A first build and a
    nightly after late rows alike. Counted at the drivers, by the caller that asked."""
    import inspect

    import duckdb
    import pymysql

    opened: list[str] = []

    def counting(connect):
        def counted(*args, **kwargs):
            frames = inspect.stack(0)[1:]
            if not any("/dbt/" in f.filename or f.filename.endswith("dbt_runner.py") for f in frames):
                opened.append(next(
                    f.function for f in frames
                    if not f.filename.endswith(("/db.py", "changes.py", "contextlib.py"))
                ))
            return connect(*args, **kwargs)

        return counted

    monkeypatch.setattr(duckdb, "connect", counting(duckdb.connect))
    monkeypatch.setattr(pymysql, "connect", counting(pymysql.connect))
    expected = ["build"] if wh.target.name == "duckdb" else ["_mysql_lock", "build"]
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    opened.clear()
    wh.build(day="2024-03-12")
    assert opened == expected
    wh.load(event_logs=LATE_EVENTS, deductions=LATE_DEDUCTIONS)
    opened.clear()
    result = wh.build(day="2024-03-12")
    assert (result.start, result.end) == (date(2024, 3, 5), date(2024, 3, 12))
    assert opened == expected


def test_the_fact_time_columns_are_one_var_of_raw_datetime_columns():
    """Which raw datetimes make a day pending is the dbt var fact_time_columns, read by the
    planner (and by the Jinja first_data_day); a table not listed has none; a wrong entry is
    one line naming it."""
    from bizstats.project_vars import _fact_times, project_vars

    fact_times = project_vars().fact_time_columns
    assert fact_times["member_orders"] == ("effective_at", "paid_at")
    assert (fact_times["users"], fact_times["refunds"]) == ((), ("refunded_at",))
    with pytest.raises(ValueError, match=r"orders: \['order_id'\] are not datetime columns"):
        _fact_times({"orders": ["order_id"]})
    with pytest.raises(ValueError, match="'order' is not a raw table"):
        _fact_times({"order": ["created_at"]})
