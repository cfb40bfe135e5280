"""Builds in daily operation: late rows never lost whatever ran in between (backfills of other
ranges, failed builds), backfills that leave every mart as a full rebuild would, replacement
by range, builds before the first load, and a model whose columns change. Each case runs on
DuckDB and on MariaDB and is compared with a fresh full build of the same data."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bizstats.build import build, plan_build
from bizstats.db import connect, qualified
from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from tests_py.support.project_copy import copy_project
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS, view
from tests_py.support.services import drop_mysql_schemas
from tests_py.support.warehouse import Warehouse

# Every mart and its grain (the order rows are compared in).
MARTS = {
    "daily_stats": "stat_date, channel, device_type",
    "hourly_stats": "stat_date, stat_hour, channel, device_type",
    "weekly_stats": "week_start, channel, device_type",
    "monthly_stats": "month_start, channel, device_type",
    "daily_breakdowns": "stat_date, channel, device_type, dimension, dimension_value",
    "user_type_daily_stats": "stat_date, user_type",
    "cumulative_daily": "stat_date, channel, device_type",
}

# Late rows of local 2024-03-05, far before the lookback of a 03-12 nightly: a page view and
# a 150.00 member deduction refunded in part on 03-06.
LATE_0305 = {
    "event_logs": [view("late1", "2024-03-05 02:00:00", user="u7", session="s70", channel="h5")],
    "deductions": [
        {"deduction_id": "d70", "user_id": "u1", "service_type": "member", "amount": "150.00",
         "mode": "manual", "status": "success", "deducted_at": "2024-03-05 03:00:00"},
    ],
    "refunds": [
        {"refund_id": "r70", "deduction_id": "d70", "amount": "50.00", "status": "success",
         "refunded_at": "2024-03-06 03:00:00"},
    ],
}


def marts(wh: Warehouse) -> dict[str, list[tuple]]:
    """Every mart's rows in grain order, without created_at/updated_at."""
    out = {}
    with connect(wh.target) as con:
        for mart, grain in MARTS.items():
            cur = con.cursor()
            table = qualified(wh.target, wh.target.models_schema, mart)
            cur.execute(f"select * from {table} order by {grain}")
            keep = [i for i, d in enumerate(cur.description) if d[0] not in ("created_at", "updated_at")]
            out[mart] = [tuple(row[i] for i in keep) for row in cur.fetchall()]
    return out


@contextlib.contextmanager
def fresh_warehouse(wh: Warehouse, monkeypatch, tmp_path: Path) -> Iterator[Warehouse]:
    """A second, empty warehouse on the same target; the first one is back afterwards."""
    name = "BIZSTATS_DUCKDB_PATH" if wh.target.name == "duckdb" else "BIZSTATS_MYSQL_SCHEMA"
    old = os.environ[name]
    new = str(tmp_path / "fresh.duckdb") if wh.target.name == "duckdb" else f"{old}_f{uuid.uuid4().hex[:6]}"
    folder = tmp_path / "fresh"
    folder.mkdir()
    monkeypatch.setenv(name, new)
    try:
        yield Warehouse(wh.target, folder)
    finally:
        if wh.target.name == "mysql":
            drop_mysql_schemas(new)
        monkeypatch.setenv(name, old)


def full_rebuild(wh: Warehouse, monkeypatch, tmp_path: Path, loads: list[dict], end: str) -> dict:
    """The marts of a fresh warehouse that loaded `loads` in order and built everything."""
    with fresh_warehouse(wh, monkeypatch, tmp_path) as fresh:
        for tables in loads:
            fresh.load(**tables)
        fresh.build(day=end)  # the first build covers every day with data
        return marts(fresh)


def test_late_rows_survive_a_backfill_of_another_range(wh, monkeypatch, tmp_path):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    wh.load(**LATE_0305)
    # a backfill of another range still takes the pending days (and the days after it up to
    # the last built day): its cumulative base must have absorbed the late rows
    backfill = wh.build(start="2024-03-10", end="2024-03-11", with_tests=True)
    assert (backfill.start, backfill.end) == (date(2024, 3, 5), date(2024, 3, 12))
    assert backfill.statuses["daily_stats_all_row_matches_contract"] == "pass"
    assert backfill.statuses["monthly_stats_match_daily_stats"] == "pass"
    # nothing pending any more: the nightly is back to its lookback window
    nightly = wh.build(day="2024-03-12")
    assert (nightly.start, nightly.end) == (date(2024, 3, 9), date(2024, 3, 12))
    assert wh.daily("2024-03-05")["pv"] == 1
    assert wh.daily("2024-03-05")["daily_member_deduction"] == Decimal("150.00")
    # 150 - 50 (r70, 03-06) + the fixture's 20.00 on 03-12
    assert wh.daily("2024-03-12")["history_member_deduction"] == Decimal("120.00")
    assert marts(wh) == full_rebuild(
        wh, monkeypatch, tmp_path, [{"event_logs": TRAFFIC_EVENTS, **BUSINESS}, LATE_0305], "2024-03-12"
    )


def _narrow_member_deduction(wh: Warehouse, digits: int) -> None:
    if wh.target.name == "duckdb":
        wh.execute(
            "alter table {schema}.daily_stats alter column daily_member_deduction "
            f"type decimal({digits},2)"
        )
    else:
        wh.execute(f"alter table {{schema}}.daily_stats modify daily_member_deduction decimal({digits},2)")


def test_late_rows_survive_a_failed_build(wh, monkeypatch, tmp_path):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    before = marts(wh)["daily_stats"]
    wh.load(**LATE_0305)
    # the database refuses daily_stats' new 150.00 (the column holds at most 99.99)
    _narrow_member_deduction(wh, 4)
    with pytest.raises(BizstatsError, match="daily_stats"):
        wh.build(day="2024-03-12")
    assert marts(wh)["daily_stats"] == before  # all or nothing
    _narrow_member_deduction(wh, 18)
    # a backfill of another range in between changes nothing: 03-05 is still pending
    assert wh.build(start="2024-03-11", end="2024-03-12").start == date(2024, 3, 5)
    assert wh.daily("2024-03-05")["daily_member_deduction"] == Decimal("150.00")
    assert marts(wh) == full_rebuild(
        wh, monkeypatch, tmp_path, [{"event_logs": TRAFFIC_EVENTS, **BUSINESS}, LATE_0305], "2024-03-12"
    )


# Changes inside the past range 03-10..03-11 of a warehouse built through 03-20: a deduction
# re-delivered with another amount, a new refund, a view moved from 03-10 to 03-11 (a
# re-delivery with an earlier created_at wins the dedup), a new verification.
PAST_CHANGES = {
    "deductions": [dict(BUSINESS["deductions"][0], amount="45.00")],
    "refunds": [
        {"refund_id": "r80", "deduction_id": "d3", "amount": "2.34", "status": "success",
         "refunded_at": "2024-03-11 08:00:00"},
    ],
    "event_logs": [
        view("v2", "2024-03-10 18:00:00", user="u1", session="s1", channel="official",
             dtype="pc", created="2024-03-09 00:00:00"),
    ],
    "real_name_auths": [
        {"auth_id": "a80", "user_id": "u3", "auth_method": "face", "status": "approved",
         "submitted_at": "2024-03-10 08:00:00", "approved_at": "2024-03-10 09:00:00"},
    ],
}


def test_backfill_of_a_past_range_leaves_every_mart_as_a_full_rebuild(wh, monkeypatch, tmp_path):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-20")
    wh.load(**PAST_CHANGES)
    result = wh.build(start="2024-03-10", end="2024-03-11", with_tests=True)
    # the later days are carried forward (cumulative amounts, weekly and monthly rows)
    assert (result.start, result.end) == (date(2024, 3, 10), date(2024, 3, 20))
    assert not [name for name, status in result.statuses.items() if status in ("error", "fail")]
    # d1 30.00 -> 45.00: +15 on every day from 03-10; r80 only counts in total_deduction
    assert wh.daily("2024-03-20")["history_member_deduction"] == Decimal("35.00")
    assert wh.daily("2024-03-20")["total_deduction"] == Decimal("50.55")
    weekly = wh.query(
        "select as_of_date, days_covered, history_member_deduction from {schema}.weekly_stats "
        "where week_start = '2024-03-18' and channel = 'all' and device_type = 'all'"
    )
    assert weekly == [(date(2024, 3, 20), 3, Decimal("35.00"))]
    assert marts(wh) == full_rebuild(
        wh, monkeypatch, tmp_path, [{"event_logs": TRAFFIC_EVENTS, **BUSINESS}, PAST_CHANGES], "2024-03-20"
    )


# u5's only view is on local 03-11 (its first view); a re-delivery with an earlier
# created_at moves it to local 03-12.
MOVING_VIEW = view("mv1", "2024-03-11 03:00:00", user="u5", session="s50", channel="app", dtype="mobile")
MOVED_VIEW = dict(MOVING_VIEW, event_time="2024-03-12 03:00:00", created_at="2024-03-01 00:00:00")


def test_an_event_whose_day_changes_counts_once_on_its_new_day(wh, monkeypatch, tmp_path):
    wh.load(event_logs=[MOVING_VIEW])
    wh.build(day="2024-03-12")
    assert (wh.daily("2024-03-11")["pv"], wh.daily("2024-03-12")["pv"]) == (1, 0)
    wh.load(event_logs=[MOVED_VIEW])
    wh.build(day="2024-03-12")
    assert (wh.daily("2024-03-11")["pv"], wh.daily("2024-03-12")["pv"]) == (0, 1)
    assert wh.daily("2024-03-11")["uv"] == 0
    # the visitor's first view moved later with it: new on 03-12, nobody on 03-11
    assert wh.query("select first_view_date from {schema}.int_visitor_first_seen") == [(date(2024, 3, 12),)]
    by_type = wh.query(
        "select stat_date, user_type, pv from {schema}.user_type_daily_stats "
        "where pv > 0 order by stat_date, user_type"
    )
    assert by_type == [(date(2024, 3, 12), "new", 1)]
    assert wh.query("select count(*) from {schema}.int_page_views") == [(1,)]


def test_build_before_the_first_load_then_load_then_build(wh):
    empty = wh.build(day="2024-03-12")
    assert any("raw tables" in w and "empty" in w for w in empty.warnings), empty.warnings
    assert wh.daily("2024-03-12")["pv"] == 0
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    result = wh.build(day="2024-03-12")
    assert result.warnings == []
    assert wh.daily("2024-03-10")["pv"] == 7
    assert wh.query("select count(*) from {schema}.stg_event_logs")[0][0] > 0
    assert wh.daily("2024-03-12")["total_deduction"] == Decimal("37.89")


def test_changing_a_marts_columns_has_one_path_that_keeps_history(wh, monkeypatch, tmp_path):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    before = wh.query("select * from {schema}.user_type_daily_stats order by stat_date, user_type")
    copy = copy_project(tmp_path / "project")
    model = copy / "models" / "marts" / "user_type_daily_stats.sql"
    text = model.read_text()
    assert "\nselect * from final\n" in text
    model.write_text(text.replace("\nselect * from final\n", "\nselect *, 7 as lucky_number from final\n", 1))
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(copy))
    with pytest.raises(BizstatsError, match=r"--full-refresh --select user_type_daily_stats"):
        wh.build(day="2024-03-12")
    result = build(wh.target, day=date(2024, 3, 12), full_refresh=True, select="user_type_daily_stats",
                   with_tests=False)
    assert (result.start, result.end) == (date(2024, 3, 9), date(2024, 3, 12))
    after = wh.query("select * from {schema}.user_type_daily_stats order by stat_date, user_type")
    assert [row[:-1] for row in after] == before  # every day kept, with the same numbers
    assert {row[-1] for row in after} == {7}
    assert wh.build(day="2024-03-12").start == date(2024, 3, 9)  # back to nightly


# stg_event_logs as a version before its event_date column left it
STAGED_BEFORE_EVENT_DATE = (
    "event_id, event_type, user_id, device_id, session_id, page_url, page_title, order_id, amount, "
    "page_view_id, extra_data, channel, device_type, ip_address, event_time, created_at, _loaded_at"
)


def test_a_warehouse_from_before_event_date_gets_it_from_one_command(wh, monkeypatch, tmp_path):
    """stg_event_logs.event_date (the local day of event_time, Spark's partition column) is new:
    an older warehouse's next build fails naming the one command (docs/builds.md, "Upgrading"),
    which adds it to every staged event; the marts equal a fresh full build afterwards."""
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    pv = wh.daily("2024-03-12")["pv"]
    staged = "select event_id, event_time, event_date from {schema}.stg_event_logs order by event_id"
    fresh_staged = wh.query(staged)
    # the local (UTC+8) day: v1 at 2024-03-09 16:00 UTC is on 03-10, v4 at 15:59:59 UTC too
    days = {event_id: day for event_id, _time, day in fresh_staged}
    assert (days["v1"], days["v4"]) == (date(2024, 3, 10), date(2024, 3, 10))
    assert len(days) == 14 and None not in days.values()
    wh.execute(
        f"create table {{schema}}.stg_old as select {STAGED_BEFORE_EVENT_DATE} from {{schema}}.stg_event_logs"
    )
    wh.execute("drop table {schema}.stg_event_logs")
    wh.execute("create table {schema}.stg_event_logs as select * from {schema}.stg_old")
    wh.execute("drop table {schema}.stg_old")
    late = {"event_logs": [view("late1", "2024-03-11 17:00:00", user="u7", session="s70", channel="h5")]}
    wh.load(**late)
    with pytest.raises(BizstatsError) as failed:
        wh.build(day="2024-03-12")
    assert (
        "stg_event_logs: the model's columns changed (added: event_date; removed: none). It is "
        "incremental and keeps its history, so it is not altered in place: rebuild it over all days "
        "with data with `bizstats build --full-refresh --select stg_event_logs`"
    ) in str(failed.value)
    build(wh.target, day=date(2024, 3, 12), full_refresh=True, select="stg_event_logs", with_tests=False)
    upgraded = wh.query(staged)
    assert [row for row in upgraded if row[0] != "late1"] == fresh_staged  # the same events and days
    assert {event_id: day for event_id, _time, day in upgraded} == {**days, "late1": date(2024, 3, 12)}
    wh.build(day="2024-03-12")
    assert wh.daily("2024-03-12")["pv"] == pv + 1  # late1 counted
    assert marts(wh) == full_rebuild(
        wh, monkeypatch, tmp_path, [{"event_logs": TRAFFIC_EVENTS, **BUSINESS}, late], "2024-03-12"
    )


def test_plain_dbt_full_refresh_rebuilds_all_history(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    # a plain nightly without start_date a week later: no gap after the last built day
    run_dbt(wh.target, ["build", "--exclude", "resource_type:test"], {"end_date": "2024-03-20"})
    days = wh.query("select min(stat_date), max(stat_date), count(*) from {schema}.daily_stats")
    assert days == [(date(2024, 3, 9), date(2024, 3, 20), 12 * 30)]
    # no start_date: from the first day of data (local 03-10), never the 4-day lookback
    run_dbt(wh.target, ["build", "--full-refresh", "--exclude", "resource_type:test"],
            {"end_date": "2024-03-20"})
    days = wh.query("select min(stat_date), max(stat_date), count(*) from {schema}.daily_stats")
    assert days == [(date(2024, 3, 10), date(2024, 3, 20), 11 * 30)]
    assert wh.daily("2024-03-10")["pv"] == 7


def test_plan_of_a_past_date_extends_to_the_last_built_day(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-20")
    plan = plan_build(wh.target, day=date(2024, 3, 12))
    assert (plan.start, plan.end) == (date(2024, 3, 9), date(2024, 3, 20))
    assert "carried forward" in plan.describe()


def test_a_nightly_after_days_without_builds_leaves_no_gap(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    wh.build(day="2024-03-12")
    # no build ran for a week: the days 03-13..03-16 have no data but still get their rows
    result = wh.build(day="2024-03-20")
    assert (result.start, result.end) == (date(2024, 3, 13), date(2024, 3, 20))
    assert wh.query("select count(*) from {schema}.daily_stats") == [((20 - 9 + 1) * 30,)]
    assert wh.daily("2024-03-15")["total_deduction"] == Decimal("37.89")
