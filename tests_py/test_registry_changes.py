"""Adding, changing and removing a metric is a registry edit and a plain `bizstats build`
(issue 16, point 3), on DuckDB and MariaDB, on a copy of the project (BIZSTATS_PROJECT_DIR).

30 days of demo data are built; then a login counter is added to the copy's dbt_project.yml
as a user would, and each build after an edit plans every day with data and says why: the
new column is filled on every day of every mart with the values counted here from the raw
rows, every other number and created_at stay as they were. A build failing midway through
that rebuild changes no mart (columns included), the next one completes and equals a fresh
build. Changing the filter refills all history; removing the metric drops its column; a
build after that is an ordinary nightly. A bad entry stops the build before any table is
touched, with one line."""

from __future__ import annotations

import csv
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from bizstats.build import build, plan_build
from bizstats.changes import REGISTRY_STATE
from bizstats.cli import main
from bizstats.config import Target
from bizstats.db import connect, qualified
from bizstats.demo.generator import DemoConfig, generate
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir
from bizstats.undo_log import LOG_TABLE, marker_path
from tests_py.support.project_copy import edit_text, use_project_copy
from tests_py.support.services import drop_mysql_schemas

END = date(2024, 3, 30)
DAYS = 30
FIRST = END - timedelta(days=DAYS - 1)
OFFSET = timedelta(hours=8)  # dbt var stats_utc_offset_hours
# every mart and the key of its rows
MARTS = {
    "daily_stats": ("stat_date", "channel", "device_type"),
    "hourly_stats": ("stat_date", "stat_hour", "channel", "device_type"),
    "weekly_stats": ("week_start", "channel", "device_type"),
    "monthly_stats": ("month_start", "channel", "device_type"),
    "user_type_daily_stats": ("stat_date", "user_type"),
    "cumulative_daily": ("stat_date", "channel", "device_type"),
    "daily_breakdowns": ("stat_date", "channel", "device_type", "dimension", "dimension_value"),
}
WITH_METRIC = ("daily_stats", "hourly_stats", "weekly_stats", "monthly_stats", "user_type_daily_stats")

# The entry a user pastes at the end of `metrics:` (docs/adding-a-metric.md)
LOGIN_COUNT = """\
    - name: login_count
      label_zh: 登录次数
      label_en: Logins
      unit: count
      format: integer
      description: User logins (user_login events).
      kind: counter
      source: events
      filter: {event_type: user_login}
"""
MOBILE_ONLY = "filter: {event_type: user_login, device_type: mobile}"
DIMENSIONS = "\n  # Breakdown dimensions"  # the comment after the last metric entry
# and a breakdown dimension of its logins by device type (values as they come: no seed rows)
LOGIN_DEVICE = """\
    - name: login_device
      label_zh: 登录设备
      label_en: Login device
      metric: login_count
      column: device_type
"""
SOURCES = "\n  # What a metric or a dimension can read"  # the comment after the last dimension

Marts = dict[str, dict[tuple, dict]]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the repository's dbt project, with dbt's target and log folders of its own."""
    return use_project_copy(tmp_path, monkeypatch)


@pytest.fixture
def demo(tmp_path) -> Path:
    """30 local days of clean demo data (2024-03-01 .. 2024-03-30) as raw CSV files."""
    folder = tmp_path / "demo"
    generate(DemoConfig(days=DAYS, events_per_day=300, end_date=END, seed=7, dirty=False), folder)
    return folder


def _edit(project: Path, old: str, new: str) -> None:
    edit_text(project / "dbt_project.yml", old, new)


def _build(target: Target) -> tuple[str, object]:
    """A plain `bizstats build` (the nightly for END, dbt's tests skipped for speed): its
    plan line and result."""
    lines: list[str] = []
    result = build(target, day=END, progress=lines.append, with_tests=False)
    [plan] = [line for line in lines if line.endswith(f" on {target.name}")]
    return plan, result


def _rows(target: Target, table: str) -> list[dict]:
    with connect(target) as con:
        cur = con if target.name == "duckdb" else con.cursor()
        cur.execute(f"select * from {qualified(target, target.models_schema, table)}")
        names = [d[0].lower() for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _marts(target: Target) -> Marts:
    """Every row of every mart, by key."""
    found = {}
    for mart, key in MARTS.items():
        rows = _rows(target, mart)
        found[mart] = {tuple(str(row[k]) for k in key): row for row in rows}
        assert len(found[mart]) == len(rows)
    return found


def _without(rows: dict[tuple, dict], *columns: str) -> dict[tuple, dict]:
    return {key: {k: v for k, v in row.items() if k not in columns} for key, row in rows.items()}


def _moved(after: Marts, before: Marts, column: str) -> list[tuple]:
    """The keys of the daily_stats rows whose `column` differs between two readings."""
    rows = before["daily_stats"]
    return sorted(key for key, row in after["daily_stats"].items() if row[column] != rows[key][column])


def _tables(target: Target) -> set[str]:
    mark = "?" if target.name == "duckdb" else "%s"
    with connect(target) as con:
        cur = con if target.name == "duckdb" else con.cursor()
        cur.execute(
            f"select table_name from information_schema.tables where table_schema = {mark}",
            (target.models_schema,),
        )
        return {name for (name,) in cur.fetchall()}


def _no_undo_left(target: Target) -> None:
    tables = _tables(target)
    assert not [t for t in tables if "__undo" in t], tables
    assert _rows(target, LOG_TABLE) == []
    if target.name == "duckdb":
        assert not marker_path(target).exists()


# -- the expected values, counted from the raw files -------------------------------------


def _local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") + OFFSET


def _logins(demo: Path, mobile_only: bool = False) -> list[dict]:
    """The user_login events of the raw file, with their local time and user type."""
    with open(demo / "users.csv", encoding="utf-8", newline="") as fh:
        registered = {row["user_id"]: _local(row["registered_at"]).date() for row in csv.DictReader(fh)}
    with open(demo / "event_logs.csv", encoding="utf-8", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["event_type"] == "user_login"]
    found = []
    for row in rows:
        if mobile_only and row["device_type"] != "mobile":
            continue
        at = _local(row["event_time"])
        new = registered.get(row["user_id"]) == at.date()
        found.append({**row, "at": at, "user_type": "new" if new else "old"})
    return found


def _expected(logins: list[dict]) -> dict[str, Counter]:
    """Mart -> key -> logins, for every slice key (a missing key: 0)."""
    counts: dict[str, Counter] = {mart: Counter() for mart in WITH_METRIC}
    for login in logins:
        day = login["at"].date()
        week = day - timedelta(days=day.weekday())
        month = day.replace(day=1)
        for channel in (login["channel"], "all"):
            for device in (login["device_type"], "all"):
                counts["daily_stats"][(str(day), channel, device)] += 1
                counts["hourly_stats"][(str(day), str(login["at"].hour), channel, device)] += 1
                counts["weekly_stats"][(str(week), channel, device)] += 1
                counts["monthly_stats"][(str(month), channel, device)] += 1
        counts["user_type_daily_stats"][(str(day), login["user_type"])] += 1
    return counts


def _assert_logins(marts: Marts, logins: list[dict]) -> None:
    """login_count in every grain's mart, and login_device in daily_breakdowns (all/all rows:
    every day x every device type seen), as counted from the raw rows."""
    expected = _expected(logins)
    for mart in WITH_METRIC:
        found = {key: row["login_count"] for key, row in marts[mart].items()}
        assert found == {key: expected[mart][key] for key in found}, mart
        assert sum(found.values()) > 0 and set(expected[mart]) <= set(found), mart
    days = [str(FIRST + timedelta(days=n)) for n in range(DAYS)]
    assert sorted({key[0] for key in marts["daily_stats"]}) == days
    devices = Counter((str(login["at"].date()), login["device_type"]) for login in logins)
    found = {
        (key[0], key[4]): row["item_count"]
        for key, row in marts["daily_breakdowns"].items()
        if key[1:4] == ("all", "all", "login_device")
    }
    seen = {device for _day, device in devices}
    assert found == {(day, device): devices[(day, device)] for day in days for device in seen}


def _rest(marts: Marts, mart: str) -> dict[tuple, dict]:
    """The rows of `mart` but the login metric's and dimension's, without updated_at."""
    rows = {key: row for key, row in marts[mart].items() if "login_device" not in key}
    return _without(rows, "login_count", "updated_at")


# -- the tests -------------------------------------------------------------------------------


def test_a_metric_added_changed_and_removed_by_registry_edits_and_plain_builds(
    target, project, demo, tmp_path, monkeypatch
):
    load_dir(target, demo)
    plan, result = _build(target)
    assert plan.startswith(f"building {FIRST} .. {END} (30 days): requested 2024-03-27 .. {END}")
    before = _marts(target)
    assert all(before.values())
    assert len(_rows(target, REGISTRY_STATE)) == 18  # the shipped 11 metrics and 7 dimensions
    logins = _logins(demo)
    assert len(logins) == 59 and len({login["at"].date() for login in logins}) > 20

    # 1. add the metric and a dimension of it; the first build after the edit fails right after
    # weekly_stats committed (its columns altered, its rows replaced): every mart is put back
    _edit(project, DIMENSIONS, "\n" + LOGIN_COUNT + DIMENSIONS)
    _edit(project, SOURCES, "\n" + LOGIN_DEVICE + SOURCES)
    monkeypatch.setenv("BIZSTATS_FAULT_AFTER_MODEL", "weekly_stats")
    fault = r"fault injected after weekly_stats committed.*; no mart changed \([1-7] put back\)$"
    with pytest.raises(BizstatsError, match=fault):
        _build(target)
    assert _marts(target) == before
    _no_undo_left(target)
    monkeypatch.delenv("BIZSTATS_FAULT_AFTER_MODEL")

    plan, result = _build(target)
    assert plan == (
        "metrics changed (added login_count) and dimensions changed (added login_device): "
        f"rebuilding every day with data, {FIRST} .. {END} (30 days) on {target.name}"
    )
    assert (result.start, result.end) == (FIRST, END)
    added = _marts(target)
    _assert_logins(added, logins)
    for mart in MARTS:
        # every other number as before, created_at too; a new column is a change: updated_at moves
        assert _rest(added, mart) == _rest(before, mart), mart
    assert _moved(added, before, "updated_at") == sorted(added["daily_stats"])
    _no_undo_left(target)

    # the same registry built from scratch gives the same numbers
    fresh = _fresh_build(target, demo, tmp_path, monkeypatch)
    for mart in MARTS:
        assert _without(fresh[mart], "created_at", "updated_at") == _without(
            added[mart], "created_at", "updated_at"
        ), mart

    # 2. change its filter: all history refilled; updated_at moves exactly where it changed
    _edit(project, "filter: {event_type: user_login}", MOBILE_ONLY)
    plan, _ = _build(target)
    assert plan == (
        "metrics changed (changed login_count) and dimensions changed (changed login_device): "
        f"rebuilding every day with data, {FIRST} .. {END} (30 days) on {target.name}"
    )
    changed = _marts(target)
    mobile = _logins(demo, mobile_only=True)
    assert 0 < len(mobile) < len(logins)
    _assert_logins(changed, mobile)  # login_device: only `mobile` rows left
    for mart in MARTS:
        assert _rest(changed, mart) == _rest(added, mart), mart
    differ = _moved(changed, added, "login_count")
    assert _moved(changed, added, "updated_at") == differ and differ

    # 3. remove both: the column goes from every mart, the rows from daily_breakdowns, the rest
    # is as before they were added
    _edit(project, "\n" + LOGIN_COUNT.replace("filter: {event_type: user_login}", MOBILE_ONLY), "\n")
    _edit(project, "\n" + LOGIN_DEVICE + SOURCES, SOURCES)
    plan, _ = _build(target)
    assert plan == (
        "metrics changed (removed login_count) and dimensions changed (removed login_device): "
        f"rebuilding every day with data, {FIRST} .. {END} (30 days) on {target.name}"
    )
    removed = _marts(target)
    for mart, rows in removed.items():
        assert _without(rows, "updated_at") == _without(before[mart], "updated_at"), mart
    assert _moved(removed, changed, "updated_at") == []  # no number changed

    # 4. nothing changed: an ordinary nightly (lookback 3 days)
    plan, result = _build(target)
    assert plan == f"building 2024-03-27 .. {END} (4 days) on {target.name}"
    assert _marts(target) == removed
    _no_undo_left(target)


def _fresh_build(target: Target, demo: Path, tmp_path: Path, monkeypatch) -> Marts:
    """The marts of a new warehouse holding the same rows, built once with the copy's
    registry; the test's warehouse is in use again afterwards."""
    if target.name == "duckdb":
        name, value = "BIZSTATS_DUCKDB_PATH", str(tmp_path / f"fresh-{uuid.uuid4().hex[:6]}.duckdb")
    else:
        name, value = "BIZSTATS_MYSQL_SCHEMA", f"{target.models_schema}_f"
    with monkeypatch.context() as scoped:
        scoped.setenv(name, value)
        try:
            load_dir(target, demo)
            _build(target)
            return _marts(target)
        finally:
            if target.name == "mysql":
                drop_mysql_schemas(value)


def test_a_warehouse_without_a_recorded_registry_compares_its_columns(target, project, demo):
    """A warehouse built before the registry was recorded (no bizstats_registry_state): its
    marts' columns are compared with the registry's; matching, the state is recorded by the
    next build without a rebuild."""
    load_dir(target, demo)
    _build(target)
    state = _rows(target, REGISTRY_STATE)
    with connect(target) as con:
        cur = con if target.name == "duckdb" else con.cursor()
        cur.execute(f"drop table {qualified(target, target.models_schema, REGISTRY_STATE)}")
        con.commit()
    _edit(project, DIMENSIONS, "\n" + LOGIN_COUNT + DIMENSIONS)
    plan = plan_build(target, day=END)
    assert plan.describe() == (
        f"metrics changed (added login_count): rebuilding every day with data, {FIRST} .. {END} (30 days)"
    )
    _edit(project, "\n" + LOGIN_COUNT + DIMENSIONS, DIMENSIONS)  # back as it was
    plan = plan_build(target, day=END)
    assert plan.registry_change is None and (plan.start, plan.end) == (date(2024, 3, 27), END)
    line, _ = _build(target)
    assert line == f"building 2024-03-27 .. {END} (4 days) on {target.name}"
    recorded = {(r["entry"], r["name"], r["fingerprint"]) for r in _rows(target, REGISTRY_STATE)}
    assert recorded == {(r["entry"], r["name"], r["fingerprint"]) for r in state}


@pytest.fixture
def loaded(target, project, demo) -> Iterator[Target]:
    load_dir(target, demo)
    yield target


def test_a_bad_entry_stops_the_build_before_any_table_is_touched(loaded, project, capsys):
    target = loaded
    tables = _tables(target)
    # an unknown source: bizstats.registry's one line, exit code 1 (as every BizstatsError)
    _edit(project, DIMENSIONS, "\n" + LOGIN_COUNT.replace("source: events", "source: event") + DIMENSIONS)
    assert main(["build", "--target", target.name]) == 1
    err = capsys.readouterr().err
    assert err == (
        "bizstats: error: metric 'login_count': unknown source 'event' (sources: page_views, events, "
        "users, real_name_auths, bank_cards, member_orders, orders, deductions, refunds, "
        "deduction_movements): set source to one of them\n"
    )
    assert _tables(target) == tables
    # a filter on a column the source's model has not: found in dbt's manifest
    _edit(project, "source: event\n", "source: events\n")
    _edit(project, "filter: {event_type: user_login}", "filter: {no_such: 1}")
    assert main(["build", "--target", target.name]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(
        r"bizstats: error: metric 'login_count': filter column 'no_such' is not a column of "
        r"stg_event_logs \(columns: event_id, [a-z_, ]+\): name one of them\n",
        err,
    ), err
    assert _tables(target) == tables
