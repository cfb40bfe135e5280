"""`bizstats load` and `bizstats build` on the spark target (issue 20): the landing (the control
DuckDB file) published to the lake, the marts built on Spark. One Spark warehouse per module,
built once from the hand-computed sample data, then taken through a sequence (the tests run in
file order, `--dist loadfile`): every mart's every cell equals DuckDB's and MariaDB's builds of
the same files; the same files loaded twice load and publish nothing; a build that fails
midway (BIZSTATS_FAULT_AFTER_MODEL, after a mart's rows were written) is repaired by the next
build; late rows and a nightly give what a full rebuild of all the rows gives on DuckDB."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bizstats.changes import BUILDS, PENDING
from bizstats.config import Target, project_dir
from bizstats.contract import TABLES
from bizstats.db import connect, fetch_all, qualified
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir
from bizstats.lock import warehouse_lock
from bizstats.spark.lake import DATA_FILE, PARTITIONS, lake_table_dir, sync_lake
from tests_py.support.raw_files import write_csvs
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS, view
from tests_py.support.services import drop_mysql_schemas, mysql_schema, mysql_up, require
from tests_py.support.warehouse import Warehouse

MARTS = sorted(p.stem for p in (project_dir() / "models" / "marts").glob("*.sql"))
START, END = "2024-03-01", "2024-03-12"
FIRST = {"event_logs": TRAFFIC_EVENTS, **BUSINESS}
# late rows changing every mart on 2024-03-11: a page view (daily, hourly, weekly, monthly,
# user types), a credit order and a member deduction (breakdowns, cumulative deductions)
LATE = {
    "event_logs": [view("late1", "2024-03-11 02:00:00", user="u7", session="s7", channel="app", dtype="pc")],
    "orders": [
        {"order_id": "o9", "user_id": "u1", "pay_method": "credit", "status": "success",
         "amount": "7.00", "created_at": "2024-03-11 03:00:00"},
    ],
    "deductions": [
        {"deduction_id": "d9", "user_id": "u1", "service_type": "member", "amount": "3.00",
         "mode": "auto", "status": "success", "deducted_at": "2024-03-11 04:00:00"},
    ],
}  # fmt: skip
# later still: d6 delivered again as a success (retrying before), refunded the next day, and
# u3 re-delivered with a known channel (its facts move slice)
LATER = {
    "users": [
        {"user_id": "u3", "registered_at": "2024-03-01 00:00:00", "channel": "app", "device_type": "pc"},
    ],
    "deductions": [
        {"deduction_id": "d6", "user_id": "u1", "service_type": "member", "amount": "30.00",
         "mode": "auto", "status": "success", "deducted_at": "2024-03-11 02:00:00"},
    ],
    "refunds": [
        {"refund_id": "r5", "deduction_id": "d6", "amount": "12.50", "status": "success",
         "refunded_at": "2024-03-12 03:00:00"},
    ],
}  # fmt: skip


def _cell(value: Any) -> Any:
    """A cell as the three targets' drivers give it, made comparable: dates as ISO text
    (PyHive gives Spark's as text), whole and decimal numbers as Decimal (exact)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value)
    return value


def _order(row: dict[str, Any]) -> tuple:
    return tuple(
        (0, "") if v is None else (1, float(v)) if isinstance(v, Decimal | float) else (2, str(v))
        for _k, v in sorted(row.items())
    )


_BUILD_TIMES = ("created_at", "updated_at")


def marts(target: Target) -> dict[str, list[dict[str, Any]]]:
    """Every row of every mart, by column name (Spark keeps a partition column last), without
    created_at/updated_at (when a build ran), in one order."""
    found = {}
    with connect(target) as con:
        for mart in MARTS:
            cur = con.cursor()
            cur.execute(f"select * from {qualified(target, target.models_schema, mart)}")
            names = [str(d[0]).split(".")[-1].lower() for d in cur.description]
            rows = [
                {n: _cell(v) for n, v in zip(names, row, strict=True) if n not in _BUILD_TIMES}
                for row in cur.fetchall()
            ]
            found[mart] = sorted(rows, key=_order)
    return found


def _differences(got: dict[str, list[dict]], want: dict[str, list[dict]]) -> list[str]:
    """The marts that differ, each with its first differing row (readable in a failure)."""
    found = []
    for mart in MARTS:
        if got[mart] != want[mart]:
            pairs = [(g, w) for g, w in zip(got[mart], want[mart], strict=False) if g != w]
            first = pairs[0] if pairs else (len(got[mart]), len(want[mart]))
            found.append(f"{mart}: {first}")
    return found


def _reference(folder: Path, *loads: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The marts of a fresh DuckDB warehouse that loaded `loads` in turn and then built
    START .. END in one go (a full rebuild of the same rows)."""
    wh = Warehouse(Target("duckdb", folder / "reference.duckdb"), folder)
    for tables in loads:
        wh.load(**tables)
    wh.build(start=START, end=END)
    return marts(wh.target)


@pytest.fixture(scope="module")
def spark(spark_module_target, tmp_path_factory) -> Warehouse:
    """The Spark warehouse of the module: the sample data loaded and built START .. END."""
    wh = Warehouse(spark_module_target, tmp_path_factory.mktemp("spark-loads"))
    wh.load(**FIRST)
    wh.build(start=START, end=END)
    return wh


def _counts(target: Target) -> dict[str, tuple[int, int]]:
    """Rows per raw table: (the landing's, Spark's)."""
    with connect(target.control) as landing, connect(target) as spark:
        return {
            table: (
                fetch_all(landing, f"select count(*) from main_raw.{table}")[0][0],
                fetch_all(spark, f"select count(*) from `{target.raw_schema}`.`{table}`")[0][0],
            )
            for table in TABLES
        }


def test_every_mart_equals_duckdbs_and_mariadbs(spark, tmp_path_factory, monkeypatch):
    counts = _counts(spark.target)
    assert counts["event_logs"] == (16, 16) and counts["refunds"] == (4, 4)
    assert all(landing == lake for landing, lake in counts.values()), counts
    got = marts(spark.target)
    assert all(got[mart] for mart in MARTS), [m for m in MARTS if not got[m]]
    duckdb = _reference(tmp_path_factory.mktemp("duckdb"), FIRST)
    assert _differences(got, duckdb) == []
    require(mysql_up(), "MariaDB/MySQL")
    schema = mysql_schema("t")
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", schema)
    try:
        mariadb = Warehouse(Target("mysql"), tmp_path_factory.mktemp("mariadb"))
        mariadb.load(**FIRST)
        mariadb.build(start=START, end=END)
        assert _differences(got, marts(mariadb.target)) == []
    finally:
        drop_mysql_schemas(schema)


def test_the_same_files_twice_load_and_publish_nothing(spark, tmp_path):
    folder = tmp_path / "again"
    write_csvs(folder, FIRST)
    lines: list[str] = []
    report = load_dir(spark.target, folder, progress=lines.append)
    assert report.loaded == 0 and len(report.already_loaded) == len(FIRST)
    assert [line for line in lines if line.startswith("lake:")] == [lines[-1]]
    assert lines[-1].startswith("lake: nothing new to publish ("), lines[-1]
    # one Parquet file per load day (the sample data was loaded on one day), no temporary one
    assert [p.name for p in lake_table_dir("refunds").rglob("*") if p.is_file()] == [DATA_FILE]


def test_a_build_failing_midway_is_repaired_by_the_next(spark, tmp_path_factory, monkeypatch):
    """No undo log on Spark: a build that fails after a mart's rows were written leaves its
    days half replaced and pending, and records nothing as built; the next build replaces
    them, and every mart equals a full rebuild on DuckDB."""
    before = marts(spark.target)
    spark.load(**LATE)
    monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", "daily_stats")
    with pytest.raises(BizstatsError) as failed:
        spark.build(day=END)
    message = str(failed.value)
    assert "fault injected after daily_stats" in message and "\n" not in message, message
    assert message.endswith(
        "Spark has no undo log: the marts' days of this range may be half replaced; nothing was "
        "recorded as built and the days stay pending, so the next build replaces them"
    ), message
    half = marts(spark.target)
    assert half["daily_stats"] != before["daily_stats"]  # written before the fault
    with connect(spark.target.control) as control:
        pending = [d for (d,) in fetch_all(control, f"select stat_date from main.{PENDING} order by 1")]
        logged = fetch_all(control, f"select outcome from main.{BUILDS} order by started_at")
    assert pending == [date(2024, 3, d) for d in range(9, 13)]
    assert [outcome for (outcome,) in logged] == ["success", "failed"]
    monkeypatch.delenv("BIZSTATS_FAULT_AFTER_MODEL")
    result = spark.build(day=END)
    assert (result.start, result.end) == (date(2024, 3, 9), date(2024, 3, 12))
    after = marts(spark.target)
    assert _differences(after, _reference(tmp_path_factory.mktemp("late"), FIRST, LATE)) == []
    assert [m for m in MARTS if after[m] == before[m]] == []  # the late rows changed every mart
    with connect(spark.target.control) as control:
        assert fetch_all(control, f"select count(*) from main.{PENDING}") == [(0,)]


def test_late_rows_and_a_nightly_equal_a_full_rebuild(spark, tmp_path_factory):
    spark.load(**LATER)
    result = spark.build(day=END)
    assert (result.start, result.end) == (date(2024, 3, 9), date(2024, 3, 12))
    counts = _counts(spark.target)
    assert counts["deductions"] == (8, 8) and counts["users"] == (4, 4)
    full = _reference(tmp_path_factory.mktemp("later"), FIRST, LATE, LATER)
    assert _differences(marts(spark.target), full) == []


def test_a_killed_sync_is_finished_and_removed_rows_leave_the_lake(spark):
    """A sync killed after a day's file was renamed in place (a temporary file left, the
    partition not registered, the fingerprint not recorded) is finished by the next one;
    rows removed from the landing (the archive) re-write their load day, and a load day left
    empty loses its partition and folder."""
    target = spark.target
    raw = f"`{target.raw_schema}`"
    # the module's loads may fall on two UTC days (a run across midnight): count the load days
    users_days = sorted(p for p in lake_table_dir("users").iterdir() if p.is_dir())
    refund_days = [p for p in lake_table_dir("refunds").iterdir() if p.is_dir()]
    users_day = users_days[0]
    (users_day / ".tmp-1-part-0.parquet").write_bytes(b"cut short")
    column, day = users_day.name.split("=")
    with connect(target) as lake:
        lake.cursor().execute(f"alter table {raw}.`users` drop partition ({column} = '{day}')")
    with connect(target.control) as control:
        (orders_left,) = control.execute(
            "select count(*) - 1 from main_raw.orders where cast(_loaded_at as date) = "
            "(select cast(_loaded_at as date) from main_raw.orders where order_id = 'o9')"
        ).fetchone()
        # kept, to be put back as they were at the end: the later tests build on the module's data
        o9_rows = control.execute("select * from main_raw.orders where order_id = 'o9'").fetchall()
        refund_rows = control.execute("select * from main_raw.refunds").fetchall()
        control.execute(f"delete from main.{PARTITIONS} where table_name = 'users'")
        control.execute("delete from main_raw.orders where order_id = 'o9'")
        control.execute("delete from main_raw.refunds")
        control.commit()
    with warehouse_lock(target.control, "test"):
        done = sync_lake(target)
    assert (done.written, done.rows, done.dropped, done.created) == (
        len(users_days) + 1, 4 + orders_left, len(refund_days), 0
    )
    assert [p.name for p in users_day.iterdir()] == [DATA_FILE]
    assert not [p for p in lake_table_dir("refunds").iterdir() if p.is_dir()]
    counts = _counts(target)
    assert (counts["users"], counts["orders"], counts["refunds"]) == ((4, 4), (4, 4), (0, 0))
    with warehouse_lock(target.control, "test"):
        assert sync_lake(target).written == 0
    with connect(target.control) as control:  # the rows back, their _loaded_at unchanged
        for table, rows in (("orders", o9_rows), ("refunds", refund_rows)):
            assert rows, table
            marks = ", ".join(["?"] * len(rows[0]))
            control.executemany(f"insert into main_raw.{table} values ({marks})", rows)
        control.commit()
    with warehouse_lock(target.control, "test"):
        assert sync_lake(target).written == 1 + len(refund_days)
    assert _counts(target)["refunds"] == (len(refund_rows), len(refund_rows))


def _staged_files(target: Target) -> dict[str, set[str]]:
    """stg_event_logs' Parquet files on Spark, by partition folder (event_date=YYYY-MM-DD)."""
    with connect(target) as con:
        rows = fetch_all(con, f"describe table extended `{target.models_schema}`.`stg_event_logs`")
    [location] = [str(value).strip() for name, value, *_ in rows if str(name).strip() == "Location"]
    root = Path(location.removeprefix("file:"))
    return {
        folder.name: {p.name for p in folder.iterdir() if p.suffix == ".parquet"}
        for folder in sorted(root.iterdir())
        if folder.is_dir() and folder.name.startswith("event_date=")
    }


def _staged_rows(wh: Warehouse) -> list[tuple]:
    """stg_event_logs' (event_id, event_time, event_date), comparable across targets."""
    sql = "select event_id, event_time, event_date from {schema}.stg_event_logs order by event_id"
    return [tuple(_cell(v) for v in row) for row in wh.query(sql)]


def test_a_nightly_rewrites_only_the_days_of_its_new_events(spark, tmp_path_factory):
    """stg_event_logs on Spark is partitioned by event_date (the local day of event_time): a
    nightly with a new event and a re-delivered one rewrites those two days' folders, no other;
    its event_date equals DuckDB's and the marts a full rebuild's."""
    before = _staged_files(spark.target)
    assert sorted(before) == [f"event_date=2024-03-{d}" for d in ("10", "11", "12")]
    newest = {
        "event_logs": [
            view("new1", "2024-03-12 02:00:00", user="u8", session="s8", channel="app", dtype="pc"),
            # v1 (local 03-10) delivered again, later: the first delivery stays, its day is re-ranked
            view("v1", "2024-03-09 16:00:00", user="u1", session="s1", channel="official", dtype="pc",
                 created="2024-03-12 05:00:00"),
        ]
    }  # fmt: skip
    spark.load(**newest)
    spark.build(day=END)
    after = _staged_files(spark.target)
    assert sorted(after) == sorted(before)
    changed = [day for day in after if after[day] != before[day]]
    assert changed == ["event_date=2024-03-10", "event_date=2024-03-12"]
    folder = tmp_path_factory.mktemp("staged")
    reference = Warehouse(Target("duckdb", folder / "reference.duckdb"), folder)
    for tables in (FIRST, LATE, LATER, newest):
        reference.load(**tables)
    reference.build(start=START, end=END)
    assert _staged_rows(spark) == _staged_rows(reference)
    assert _differences(marts(spark.target), marts(reference.target)) == []


def test_a_table_from_before_event_date_gets_it_from_one_command(spark):
    """A Spark warehouse built before stg_event_logs had event_date (one unpartitioned table):
    the nightly fails naming the command (docs/builds.md, "Upgrading"), which recreates the
    table partitioned by event_date with the same events."""
    target = spark.target
    want = _staged_rows(spark)
    table = f"`{target.models_schema}`.`stg_event_logs`"
    old = f"`{target.models_schema}`.`stg_old`"
    columns = (
        "event_id, event_type, user_id, device_id, session_id, page_url, page_title, order_id, amount, "
        "page_view_id, extra_data, channel, device_type, ip_address, event_time, created_at, _loaded_at"
    )
    with connect(target) as con:
        cur = con.cursor()
        cur.execute(f"create table {old} using parquet as select {columns} from {table}")
        cur.execute(f"drop table {table}")
        cur.execute(f"alter table {old} rename to {table}")
    spark.load(event_logs=[view("new2", "2024-03-12 03:00:00", user="u8", session="s9")])
    with pytest.raises(BizstatsError) as failed:
        spark.build(day=END)
    assert "stg_event_logs: the model's columns changed (added: event_date; removed: none)." in str(
        failed.value
    )
    assert "`bizstats build --full-refresh --select stg_event_logs`" in str(failed.value)
    from bizstats.build import build

    build(target, day=date(2024, 3, 12), full_refresh=True, select="stg_event_logs", with_tests=False)
    got = _staged_rows(spark)
    assert [row for row in got if row[0] != "new2"] == want
    assert [row[2] for row in got if row[0] == "new2"] == ["2024-03-12"]
    assert sorted(_staged_files(target)) == [f"event_date=2024-03-{d}" for d in ("10", "11", "12")]
    spark.build(day=END)  # the nightly runs again
