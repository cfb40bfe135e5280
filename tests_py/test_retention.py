"""Retention and archive (数据归档): `bizstats retention plan|run|restore` on the hand-computed
data (support/sample_data.py, local days 2024-03-09 .. 03-12, UTC+8), archived before local
2024-03-11: the plan's counts, the run killed at each step and re-run (every raw row in its
table or the archive, never neither, never twice), the marts after a rebuild of the whole
range cell for cell the same as before, on DuckDB and MariaDB; a late row of an archived day
archived by the next run; a returning user's, a late refund's and a re-delivered event's
archived rows back before the build (the marts of the data never archived); DuckDB reading
the archive; the settings; the real-time TTL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime

import pytest

from bizstats.config import Target
from bizstats.db import connect, fetch_all, qualified
from bizstats.errors import BizstatsError
from bizstats.retention import manifest, parts
from bizstats.retention.archive import MART_DATES, archive_root, plan, run
from bizstats.retention.restore import restore
from bizstats.settings import RetentionSettings, settings
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS, view
from tests_py.support.services import drop_mysql_schemas, mysql_schema, mysql_up, require
from tests_py.support.warehouse import Warehouse

BEFORE = date(2024, 3, 11)  # archive local days up to 2024-03-10
RAW_TABLES = ("event_logs", *[t for t in BUSINESS])
SETTINGS = RetentionSettings()


# u5: a user of local 2024-03-09 only (dormant once 03-09 is archived): registered, verified,
# a credit order, a member deduction of 50.00 and its refund of 20.00, one page view. Every
# row of theirs is archived, and a rebuild without them would change 03-09 and every
# cumulative amount after it.
DORMANT = {
    "users": [{"user_id": "u5", "registered_at": "2024-03-08 18:00:00", "channel": "app",
               "device_type": "pc"}],
    "real_name_auths": [{"auth_id": "a6", "user_id": "u5", "auth_method": "face", "status": "approved",
                         "submitted_at": "2024-03-08 19:00:00", "approved_at": "2024-03-08 20:00:00"}],
    "orders": [{"order_id": "o5", "user_id": "u5", "pay_method": "credit", "status": "success",
                "amount": "66.00", "created_at": "2024-03-08 21:00:00"}],
    "deductions": [{"deduction_id": "d7", "user_id": "u5", "service_type": "member", "amount": "50.00",
                    "mode": "auto", "status": "success", "deducted_at": "2024-03-08 22:00:00"}],
    "refunds": [{"refund_id": "r5", "deduction_id": "d7", "amount": "20.00", "status": "success",
                 "refunded_at": "2024-03-09 03:00:00"}],
}


def _fresh_warehouse(target: str, tmp_path_factory) -> tuple[pytest.MonkeyPatch, Warehouse]:
    """An empty warehouse of `target` (a DuckDB file or a MariaDB schema of its own) with an
    archive folder of its own, set in the environment the returned MonkeyPatch undoes."""
    env = pytest.MonkeyPatch()
    if target == "duckdb":
        env.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path_factory.mktemp("wh") / "w.duckdb"))
    else:
        require(mysql_up(), "MariaDB/MySQL")
        env.setenv("BIZSTATS_MYSQL_SCHEMA", mysql_schema("q"))
    env.setenv("BIZSTATS_ARCHIVE_DIR", str(tmp_path_factory.mktemp("archive")))
    return env, Warehouse(Target(target), tmp_path_factory.mktemp("loads"))


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def warehouse(request, tmp_path_factory):
    """The sample data and u5 loaded and built 2024-03-01 .. 03-12, once per target, with an
    archive folder of its own."""
    env, w = _fresh_warehouse(request.param, tmp_path_factory)
    business = {name: rows + DORMANT.get(name, []) for name, rows in BUSINESS.items()}
    w.load(event_logs=[*TRAFFIC_EVENTS, view("v11", "2024-03-08 23:00:00", user="u5", session="s11",
                                             channel="app", dtype="pc")], **business)
    w.build(start="2024-03-01", end="2024-03-12")
    yield w
    if request.param == "mysql":
        drop_mysql_schemas(w.target.models_schema)
    env.undo()


def _settings() -> RetentionSettings:
    return settings().retention


def _marts(target: Target) -> dict[str, list[tuple]]:
    """Every row of every mart, timestamps included, in a fixed order."""
    out = {}
    with connect(target) as con:
        for mart in MART_DATES:
            rows = fetch_all(con, f"select * from {qualified(target, target.models_schema, mart)}")
            out[mart] = sorted(tuple(parts.canonical(v) for v in row) for row in rows)
    return out


def _raw_keys(target: Target) -> set[tuple[str, int, str]]:
    """(table, surrogate, _loaded_at) of every live raw row."""
    found = set()
    with connect(target) as con:
        for table in RAW_TABLES:
            raw = qualified(target, target.raw_schema, table)
            for ident, loaded in fetch_all(con, f"select {parts.row_id(table)}, _loaded_at from {raw}"):
                found.add((table, int(ident), parts.canonical(loaded)))
    return found


def _archived_keys(target: Target) -> list[tuple[str, int, str]]:
    """(table, surrogate, _loaded_at) of every row of every part the manifests list."""
    root = archive_root(target, _settings())
    found = []
    for table in RAW_TABLES:
        for day in manifest.archived_days(root, table):
            folder = manifest.day_folder(root, table, day)
            paths = [folder / p.file for p in manifest.read_parts(folder)]
            found += [(table, int(r[0]), parts.canonical(r[-1])) for r in parts.read(paths, table)]
    return found


def _cli(*args: str, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BIZSTATS_RETENTION_FAULT"}
    if fault:
        env["BIZSTATS_RETENTION_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "bizstats.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def _expected_batches(target: Target) -> list[tuple[str, date, int]]:
    # local 2024-03-10 = UTC [03-09 16:00, 03-10 16:00): v1, l1, l1b, v2, v3, v4 (15:59:59 UTC
    # = local 23:59:59), v6, v8, l8, v9, l9 and, on DuckDB, the second deliveries of v4 and v9
    # (MariaDB keeps one row per event_id); l4 (16:00:09) and v5 (16:00:00) are local 03-11.
    # u3 (registered 03-01, member order m5 created 03-10) and u5 (03-09) have no live row:
    # their rows go, on the day of each row's latest datetime; u1, u2 and u9 have rows on 03-11
    # or later, so every row of theirs stays.
    events = 13 if target.name == "duckdb" else 11
    d9, d10 = date(2024, 3, 9), date(2024, 3, 10)
    return [("users", date(2024, 3, 1), 1), ("event_logs", d9, 1), ("users", d9, 1),
            ("real_name_auths", d9, 1), ("orders", d9, 1), ("deductions", d9, 1), ("refunds", d9, 1),
            ("event_logs", d10, events), ("member_orders", d10, 1)]


def _events(target: Target) -> int:
    return 13 if target.name == "duckdb" else 11


def test_archive_crash_rerun_and_rebuild_give_the_same_marts(warehouse):
    target = warehouse.target
    before_marts = _marts(target)
    before_raw = _raw_keys(target)

    the_plan = plan(target, _settings(), before=BEFORE)
    assert [(b.table, b.day, b.rows) for b in the_plan.batches] == _expected_batches(target)
    assert the_plan.cutoff == BEFORE
    assert "stats: kept forever (BIZSTATS_RETENTION_STATS_DAYS is not set)" in the_plan.lines(_settings())
    archived_total = sum(b.rows for b in the_plan.batches)

    def holds_every_row() -> list[tuple[str, int, str]]:
        live, archived = _raw_keys(target), _archived_keys(target)
        assert len(archived) == len(set(archived)), "a row archived twice"
        assert before_raw <= live | set(archived), "a row in neither the table nor the archive"
        return archived

    if target.name == "duckdb":
        shown = _cli("retention", "plan", "--before", str(BEFORE))
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.splitlines() == [
            f"retention on duckdb {target.duckdb_path}: raw rows of local days before {BEFORE} go to "
            f"{archive_root(target, _settings())}",
            *[f"archive {t} {d} {n} rows" for t, d, n in _expected_batches(target)],
            f"raw: {archived_total} rows of 3 days to archive",
            "stats: kept forever (BIZSTATS_RETENTION_STATS_DAYS is not set)",
            "real-time counters expire 7 days after their last event",
        ]
        # killed after the file, after the manifest, midway through the delete: each re-run
        # goes on from there; a run killed after a manifest has its part's rows deleted by the
        # next one before it writes the next part (batches: users 03-01, event_logs 03-09, 5
        # one-row batches of u5, event_logs 03-10, member_orders 03-10)
        faults = ["after_manifest", "after_file", *["after_manifest"] * 7, "mid_delete"]
        for fault in faults:
            done = _cli("retention", "run", "--before", str(BEFORE), fault=fault)
            assert done.returncode == -9, (fault, done.stderr)
            holds_every_row()
        # now every part up to event_logs 03-10 is listed, and one of its rows deleted
        assert len(_archived_keys(target)) == archived_total - 1
        assert len(_raw_keys(target)) == len(before_raw) - 8
        done = _cli("retention", "run", "--before", str(BEFORE))
        assert done.returncode == 0, done.stderr
        assert done.stdout == (f"archived 1 rows, deleted {_events(target)} raw rows (before {BEFORE}) "
                               f"into {archive_root(target, _settings())}\n")
    else:
        result = run(target, _settings(), before=BEFORE)
        assert (result.archived, result.deleted) == (archived_total, archived_total)

    archived = holds_every_row()
    assert len(archived) == archived_total
    assert _raw_keys(target) == before_raw - set(archived)
    assert plan(target, _settings(), before=BEFORE).batches == ()  # a re-run has nothing to do
    assert _marts(target) == before_marts  # stats are never deleted by default

    # DuckDB reads the archive directly, partitioned by day
    root = archive_root(target, _settings())
    import duckdb

    glob = str(root / "event_logs" / "*" / "*.parquet")
    rows = duckdb.sql(
        f"select day, count(*), count(distinct event_id), min(event_time), max(event_time) "
        f"from read_parquet('{glob}', hive_partitioning = true) group by day"
    ).fetchall()
    assert sorted((str(d), n, u, str(a), str(b)) for d, n, u, a, b in rows) == [
        ("2024-03-09", 1, 1, "2024-03-08 23:00:00", "2024-03-08 23:00:00"),
        ("2024-03-10", _events(target), 11, "2024-03-09 16:00:00", "2024-03-10 15:59:59"),
    ]

    # a plain build of the whole range puts the archived rows back first, then builds: the
    # marts are what they were, cell for cell (created_at and updated_at included)
    result = warehouse.build(start="2024-03-01", end="2024-03-12")
    assert (result.start, result.end) == (date(2024, 3, 1), date(2024, 3, 12))
    assert _raw_keys(target) == before_raw
    assert _marts(target) == before_marts
    put_back = restore(target, _settings(), date(2024, 3, 1), date(2024, 3, 12))
    assert (sum(put_back.restored.values()), put_back.present) == (0, archived_total)

    # the next run deletes them again, writing nothing twice
    again = plan(target, _settings(), before=BEFORE)
    assert [(b.table, b.day, b.rows, b.archived) for b in again.batches] == [
        (t, d, n, n) for t, d, n in _expected_batches(target)
    ]
    result = run(target, _settings(), before=BEFORE)
    assert (result.archived, result.deleted) == (0, archived_total)
    assert len(holds_every_row()) == archived_total
    assert _raw_keys(target) == before_raw - set(archived)


def test_a_late_row_of_an_archived_day_is_archived_by_the_next_run(warehouse):
    target = warehouse.target
    if not _archived_keys(target):
        pytest.skip("needs the archive of the test above")
    # a view of local 2024-03-10 loaded after the day was archived: pending until a build
    # has used it, then archived beside the day's first part
    warehouse.load(event_logs=[view("v10", "2024-03-10 05:00:00", user="u4", session="s10",
                                    channel="official", dtype="pc")])
    assert plan(target, _settings(), before=BEFORE).batches == ()  # no build has used it yet
    # the backfill the late-data alert names puts the archived rows of the day's ISO week and
    # month (what weekly_stats and monthly_stats read) back, and builds
    warehouse.build(start="2024-03-10", end="2024-03-10")
    assert warehouse.daily("2024-03-10")["pv"] == 8  # 7 + the late view
    the_plan = plan(target, _settings(), before=BEFORE)
    events = _events(target)
    assert [(b.table, b.day, b.rows, b.archived) for b in the_plan.batches] == [
        (t, d, n + 1, n) if (t, d) == ("event_logs", date(2024, 3, 10)) else (t, d, n, n)
        for t, d, n in _expected_batches(target)
    ]
    result = run(target, _settings(), before=BEFORE)
    assert (result.archived, result.deleted) == (1, events + 9)
    folder = manifest.day_folder(archive_root(target, _settings()), "event_logs", date(2024, 3, 10))
    assert [p.rows for p in manifest.read_parts(folder)] == [events, 1]
    with connect(target) as con:
        raw = qualified(target, target.raw_schema, "event_logs")
        assert fetch_all(con, f"select count(*) from {raw} where event_id = 'v10'") == [(0,)]
    warehouse.build(start="2024-03-01", end="2024-03-12")
    assert warehouse.daily("2024-03-10")["pv"] == 8


def test_settings_defaults_and_bad_values():
    assert RetentionSettings.from_env({}) == RetentionSettings(183, None, 7, None, None)
    assert RetentionSettings.from_env({"BIZSTATS_RETENTION_STATS_DAYS": "never"}).stats_days is None
    assert RetentionSettings.from_env({"BIZSTATS_RETENTION_STATS_DAYS": "1095"}).stats_days == 1095
    for name, value in [("BIZSTATS_RETENTION_RAW_DAYS", "0"), ("BIZSTATS_RETENTION_RAW_DAYS", "6m"),
                        ("BIZSTATS_RETENTION_STATS_DAYS", "-1"), ("BIZSTATS_REALTIME_TTL_DAYS", "0"),
                        ("BIZSTATS_RETENTION_FAULT", "somewhere")]:
        with pytest.raises(BizstatsError, match=f"^{name} must be"):
            RetentionSettings.from_env({name: value})


def test_cli_bad_setting_is_one_line(tmp_path, monkeypatch):
    import duckdb

    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("BIZSTATS_RETENTION_RAW_DAYS", "0")
    done = _cli("retention", "plan")
    assert done.returncode == 1
    assert done.stderr == ("bizstats: error: BIZSTATS_RETENTION_RAW_DAYS must be a whole number of days "
                           "from 1 to 36500, got '0'\n")
    monkeypatch.delenv("BIZSTATS_RETENTION_RAW_DAYS")
    done = _cli("retention", "restore", "--start", "2024-03-02", "--end", "2024-03-01")
    assert (done.returncode, done.stderr) == (
        1, "bizstats: error: --start 2024-03-02 is after --end 2024-03-01\n"
    )


def test_realtime_keys_expire_after_the_setting(redis_url, monkeypatch):
    from bizstats.realtime.counters import add
    from bizstats.realtime.counters import connect as redis_connect
    from bizstats.realtime.facts import Fact
    from bizstats.realtime.keys import key

    monkeypatch.setenv("BIZSTATS_REALTIME_TTL_DAYS", "2")
    client = redis_connect(redis_url)
    add(client, [Fact(date(2026, 12, 7), "app", "pc", "pv", 3)], uv_exact=False)
    ttl = client.ttl(key("pv", date(2026, 12, 7)))
    assert 2 * 86400 - 5 <= ttl <= 2 * 86400
    monkeypatch.delenv("BIZSTATS_REALTIME_TTL_DAYS")
    add(client, [Fact(date(2026, 12, 7), "app", "pc", "pv", 1)], uv_exact=False)
    assert 7 * 86400 - 5 <= client.ttl(key("pv", date(2026, 12, 7))) <= 7 * 86400


def test_stats_go_only_when_the_setting_says(warehouse):
    target = warehouse.target
    with connect(target) as con:
        daily = qualified(target, target.models_schema, "daily_stats")
        assert fetch_all(con, f"select min(stat_date), count(*) from {daily}")[0][1] == 12 * 30
    today = date(2024, 3, 12)
    assert plan(target, _settings(), before=BEFORE, today=today).stats_cutoff is None
    # kept 2 days before 03-12: days before 03-10 go, the ISO week of 02-26 (its last day 03-03)
    # too, March (still running) stays
    keep_two = RetentionSettings(stats_days=2, archive_dir=_settings().archive_dir)
    the_plan = plan(target, keep_two, before=BEFORE, today=today)
    assert the_plan.stats_cutoff == date(2024, 3, 10)
    counts = the_plan.stats_rows
    assert (counts["daily_stats"], counts["weekly_stats"], counts["monthly_stats"]) == (270, 30, 0)
    assert counts["hourly_stats"] == 9 * 24 * 30
    result = run(target, keep_two, before=BEFORE, today=today)
    assert result.stats_deleted == sum(counts.values()) and result.archived == 0
    with connect(target) as con:
        assert [(str(d), n) for d, n in fetch_all(con, f"select min(stat_date), count(*) from {daily}")] == [
            ("2024-03-10", 3 * 30)
        ]


def test_a_changed_part_stops_the_restore(warehouse):
    target = warehouse.target
    folder = manifest.day_folder(archive_root(target, _settings()), "users", date(2024, 3, 1))
    [part] = manifest.read_parts(folder)
    path = folder / part.file
    kept = path.read_bytes()
    path.write_bytes(kept + b"x")
    try:
        with pytest.raises(BizstatsError, match=f"archive part {path} is missing or changed"):
            restore(target, _settings(), date(2024, 3, 1), date(2024, 3, 1))
    finally:
        path.write_bytes(kept)
    # the file put back, the restore goes through (the last whole-range build put every
    # archived row back already: all present)
    again = restore(target, _settings(), date(2024, 3, 1), date(2024, 3, 12))
    assert (sum(again.restored.values()), again.present) == (0, len(_archived_keys(target)))


# Returning users (回流用户): u6 verified (local 03-02) and bound a card (03-03), u7 paid a member
# deduction of 40.00 (03-04); both quiet afterwards, so every row of theirs is archived before
# 03-11. On local 04-10 u6 verifies again and binds a second card, and a refund of 15.00 of d70
# arrives (a refund names no user: u7 comes back through the deduction), and a file delivers
# u6's view v60 of 03-02 again (later created_at, another channel: the first delivery stays the
# event). u8 keeps 03-01 .. 04-09 apart from the archive (a view on 04-09).
QUIET = {
    "users": [{"user_id": "u6", "registered_at": "2024-03-01 10:00:00", "channel": "app",
               "device_type": "pc"},
              {"user_id": "u7", "registered_at": "2024-03-02 10:00:00", "channel": "app",
               "device_type": "pc"}],
    "real_name_auths": [{"auth_id": "a60", "user_id": "u6", "auth_method": "face", "status": "approved",
                         "submitted_at": "2024-03-02 01:00:00", "approved_at": "2024-03-02 02:00:00"}],
    "bank_cards": [{"bind_id": "b60", "user_id": "u6", "card_type": "debit", "bind_status": "success",
                    "bound_at": "2024-03-03 02:00:00"}],
    "deductions": [{"deduction_id": "d70", "user_id": "u7", "service_type": "member", "amount": "40.00",
                    "mode": "auto", "status": "success", "deducted_at": "2024-03-04 02:00:00"}],
}
RETURNING = {
    "real_name_auths": [{"auth_id": "a61", "user_id": "u6", "auth_method": "face", "status": "approved",
                         "submitted_at": "2024-04-10 01:00:00", "approved_at": "2024-04-10 02:00:00"}],
    "bank_cards": [{"bind_id": "b61", "user_id": "u6", "card_type": "credit", "bind_status": "success",
                    "bound_at": "2024-04-10 02:00:00"}],
    "refunds": [{"refund_id": "r70", "deduction_id": "d70", "amount": "15.00", "status": "success",
                 "refunded_at": "2024-04-10 03:00:00"}],
    "event_logs": [view("v60", "2024-03-01 20:00:00", user="u6", session="s60", channel="official",
                        dtype="pc", created="2024-04-10 05:00:00")],
}


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def quiet_archived(request, tmp_path_factory):
    """QUIET built 2024-03-01 .. 04-09 and archived before 03-11, once per target."""
    env, w = _fresh_warehouse(request.param, tmp_path_factory)
    w.load(event_logs=[view("v60", "2024-03-01 20:00:00", user="u6", session="s60", channel="app",
                            dtype="pc"),
                       view("v80", "2024-04-09 02:00:00", user="u8", session="s80", channel="app",
                            dtype="pc")], **QUIET)
    w.build(start="2024-03-01", end="2024-04-09")
    result = run(w.target, _settings(), before=BEFORE)
    assert (result.archived, result.deleted) == (6, 6)  # 2 users, an auth, a card, a deduction, v60
    yield w
    if request.param == "mysql":
        drop_mysql_schemas(w.target.models_schema)
    env.undo()


def _day_0410(w: Warehouse) -> tuple:
    """(real_name_count, bind_card_count) of daily_stats and (total_deduction,
    history_member_deduction) of cumulative_daily on 04-10, all channels and devices."""
    daily = w.daily("2024-04-10")
    [cumulative] = w.query(
        "select total_deduction, history_member_deduction from {schema}.cumulative_daily "
        "where stat_date = '2024-04-10' and channel = 'all' and device_type = 'all'"
    )
    return (daily["real_name_count"], daily["bind_card_count"], *(parts.canonical(v) for v in cumulative))


def test_a_returning_users_archived_rows_come_back_before_the_build(quiet_archived):
    w = quiet_archived
    target = w.target
    archived = _archived_keys(target)
    assert len(archived) == 6
    w.load(**RETURNING)
    # the new rows' day alone: the archived days lie outside its ISO week and month, so only
    # the returning users' rows come back (u6's user, auth and card; u7's user and deduction)
    result = w.build(start="2024-04-10", end="2024-04-10")
    assert (result.start, result.end) == (date(2024, 4, 10), date(2024, 4, 10))
    # no first real-name and no first bind (u6 had both in March); 40.00 - 15.00 net
    assert _day_0410(w) == (0, 0, "25.00", "25.00")
    # the archived rows are back (MariaDB keeps one row per event_id: v60's archived delivery
    # went through the loader's rule into the row held) and v60's first delivery is still the
    # staged event
    back = {k for k in archived if target.name == "duckdb" or k[0] != "event_logs"}
    assert back <= _raw_keys(target)
    assert w.query("select channel, created_at from {schema}.stg_event_logs where event_id = 'v60'") == [
        ("app", datetime(2024, 3, 1, 20, 0))
    ]
    if target.name == "duckdb":
        # the same data never archived: a full refresh puts every archived row back and
        # rebuilds every day, and 04-10 is cell for cell what the build above wrote
        daily_before = w.daily_table("2024-03-01", "2024-04-10")
        from bizstats.build import build

        build(target, start=date(2024, 3, 1), end=date(2024, 4, 10), full_refresh=True, with_tests=False)
        assert w.daily_table("2024-03-01", "2024-04-10") == daily_before
        assert _day_0410(w) == (0, 0, "25.00", "25.00")

    # while u6 and u7 are live again no business row of theirs is archived (events go by day)
    assert [b.table for b in plan(target, _settings(), before=BEFORE).batches] in (
        [], ["event_logs"]
    )
    # a build of 03-02 (v60 delivered again; the backfill a late_data_deferred alert names)
    # gives it the same numbers as before (v60 counted under app)
    assert w.daily("2024-03-02", channel="app")["pv"] == 1
    w.build(start="2024-03-02", end="2024-03-02")
    assert [w.daily("2024-03-02", channel=c)["pv"] for c in ("app", "official")] == [1, 0]
    # the restored rows, the 4 new ones, v80 (DuckDB: both deliveries of v60 are raw rows)
    live = 5 + 4 + 1 + (1 if target.name == "duckdb" else 0)
    assert len(_raw_keys(target)) == live
    # quiet again (everything before 04-11 goes): archived again, nothing written twice
    again = run(target, _settings(), before=date(2024, 4, 11))
    assert (again.archived, again.deleted) == (5, live)  # a61, b61, r70, v60 again, v80 new
    keys = _archived_keys(target)
    assert len(keys) == len(set(keys)) == 11
    assert _raw_keys(target) == set()
