"""Anomaly checks, cross-checks and monitors (bizstats.checks) on a hand-computed warehouse,
both targets. Local days (UTC+8) 2024-03-04 (Mon) .. 03-24 (Sun), page views per day:
official 10; wechat 10 but 1 on Wed 03-20 (the drop); app 10 but 0 on Thu 03-21 (missing);
h5 10 on weekdays and 30 on Saturdays and Sundays (weekly seasonality); other 0. So all/all
is 40 on weekdays, 60 on weekends, 31 on 03-20, 30 on 03-21. 03-19 is loaded as a file of
its own holding 8 re-deliveries of its 40 events: duplicate rate 8 / 48 = 0.1667. 03-25 is
half loaded (official, 3 views 09:00-09:02 local): the freshness watermark, its newest event
(03-25 01:02 UTC), is inside it, so 03-25 is never judged. Checks run at 03-25 04:00 UTC."""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from bizstats.build import build
from bizstats.checks import run_checks
from bizstats.config import Target
from tests_py.support.sample_data import view
from tests_py.support.services import drop_mysql_schemas, mysql_schema, mysql_up, require
from tests_py.support.warehouse import Warehouse

FIRST, LAST, HALF = date(2024, 3, 4), date(2024, 3, 24), date(2024, 3, 25)
DROP, MISSING, DUPLICATED = date(2024, 3, 20), date(2024, 3, 21), date(2024, 3, 19)
NOW = datetime(2024, 3, 25, 4, 0, 0)


def _pv(day: date, channel: str) -> int:
    if channel == "wechat" and day == DROP:
        return 1
    if channel == "app" and day == MISSING:
        return 0
    if channel == "h5" and day.weekday() >= 5:
        return 30
    return 10


def _views(day: date, channel: str, count: int, start_hour: int = 9) -> list[dict]:
    """`count` views of `channel` on local `day`, one a minute from `start_hour` local."""
    first = datetime(day.year, day.month, day.day, start_hour) - timedelta(hours=8)
    return [
        view(f"{channel}-{day}-{i}", f"{first + timedelta(minutes=i):%Y-%m-%d %H:%M:%S}",
             user=f"{channel}-u{i}", channel=channel, dtype="pc")
        for i in range(count)
    ]


def _day_events(day: date) -> list[dict]:
    return [e for ch in ("official", "wechat", "app", "h5") for e in _views(day, ch, _pv(day, ch))]


def _config(tmp_path, seasonal: bool = True, low: str = "0.7", max_duplicates: str = "0.10",
            stale: bool = False, max_error_rate: str = "0.01") -> os.PathLike:
    """A monitoring.yml of the tests' thresholds (floors fit 10 views a day)."""
    stale_entry = "    - {check: stale, max_minutes: 5, active_from_hour: 8, active_to_hour: 23}\n"
    path = tmp_path / f"monitoring-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(
        "monitoring:\n"
        "  slices: [all/all, official/all, wechat/all, app/all, h5/all]\n"
        "  checks:\n"
        "    - {check: missing, metrics: [pv], floor: 5, window_days: 7, severity: critical}\n"
        f"    - {{check: outlier, metrics: [pv], high_ratio: 1.5, low_ratio: {low}, floor: 5,\n"
        f"       window_days: 7, day_of_week: {str(seasonal).lower()}, weeks: 2}}\n"
        f"    - {{check: duplicates, max_rate: {max_duplicates}}}\n"
        + (stale_entry if stale else "")
        + "  monitors:\n"
        f"    data_error_rate: {{max_rate: {max_error_rate}, severity: critical}}\n"
        "    job_duration: {max_minutes: 30}\n"
        "    collection_success_rate: {min_rate: 0.99, severity: critical}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def built(request, tmp_path_factory):
    """The warehouse of the module docstring, built once per target."""
    schema = None
    with pytest.MonkeyPatch.context() as env:
        if request.param == "duckdb":
            env.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path_factory.mktemp("checks") / "w.duckdb"))
        else:
            require(mysql_up(), "MariaDB/MySQL")
            schema = mysql_schema("c")
            env.setenv("BIZSTATS_MYSQL_SCHEMA", schema)
        wh = Warehouse(Target(request.param), tmp_path_factory.mktemp("loads"))
        days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
        wh.load(event_logs=[e for d in days if d != DUPLICATED for e in _day_events(d)]
                + _views(HALF, "official", 3, start_hour=9))
        duplicated = _day_events(DUPLICATED)
        redelivered = [dict(e, created_at=e["event_time"].replace(":00", ":30", 1)) for e in duplicated[:8]]
        wh.load(event_logs=duplicated + redelivered)
        wh.build(start=str(FIRST), end=str(HALF))
        yield wh
    if schema:
        drop_mysql_schemas(schema)


def _flagged(run) -> set[tuple]:
    return {(r.check, r.metric, r.slice, r.stat_date) for r in run.flagged}


def _checks(wh, tmp_path, start=date(2024, 3, 18), end=HALF, now=NOW, **config):
    return run_checks(wh.target, start, end, now=now, config_path=_config(tmp_path, **config))


def test_flags_exactly_the_anomalies_and_skips_the_half_loaded_day(built, tmp_path):
    run = _checks(built, tmp_path)
    assert _flagged(run) == {
        ("outlier", "pv", "wechat/all", DROP),
        ("missing", "pv", "app/all", MISSING),
        ("outlier", "pv", "app/all", MISSING),
        ("duplicates", "event_logs", "all/all", DUPLICATED),
    }
    # the drop: 1 view against the same weekday of the two weeks before (10, 10)
    [drop] = [r for r in run.flagged if r.slice == "wechat/all"]
    assert (drop.actual, drop.baseline, drop.ratio) == (Decimal("1"), Decimal("10"), Decimal("0.1"))
    assert (drop.metric_label, drop.severity) == ("页面访问量 PV", "general")
    alert = drop.to_alert()
    assert (alert.check, alert.slice, alert.stat_date) == ("outlier", "wechat/all", DROP)
    assert drop.threshold == (
        "> 1.5x or < 0.7x the mean of the same weekday of the previous 2 weeks (judged when it is >= 5)")
    [missing] = [r for r in run.flagged if r.check == "missing"]
    assert (missing.actual, missing.baseline, missing.severity) == (Decimal("0"), Decimal("10"), "critical")
    [duplicates] = [r for r in run.flagged if r.check == "duplicates"]
    assert duplicates.actual == Decimal("0.1667")  # 8 / 48
    assert duplicates.alert_fields()["slice"] == "all/all"
    # the half-loaded day: 3 views of official would be a drop; it is skipped, never flagged
    assert run.skipped_days == [HALF]
    half = [r for r in run.results if r.stat_date == HALF]
    assert half and {r.status for r in half} == {"skipped_incomplete"}
    [official] = [r for r in half if r.check == "outlier" and r.slice == "official/all"]
    assert official.actual == Decimal("3") and not official.flagged
    # a quiet slice: official judged every complete day, never flagged
    quiet = [r for r in run.results if r.slice == "official/all" and r.stat_date <= LAST]
    assert len(quiet) == 2 * 7 and {(r.status, r.flagged) for r in quiet} == {("judged", False)}


def test_day_of_week_seasonality(built, tmp_path):
    def h5(run):
        return sorted(r.stat_date for r in run.flagged if r.slice == "h5/all")

    assert h5(_checks(built, tmp_path, seasonal=True)) == []
    flat = _checks(built, tmp_path, seasonal=False, now=NOW + timedelta(seconds=1))
    # every 7-day window holds 5 weekdays of 10 and 2 weekend days of 30: mean 110 / 7
    assert h5(flat) == [date(2024, 3, 18) + timedelta(days=n) for n in range(7)]
    saturday = next(r for r in flat.flagged if r.slice == "h5/all" and r.stat_date == date(2024, 3, 23))
    assert (saturday.actual, saturday.baseline, saturday.ratio) == (
        Decimal("30"), Decimal("15.7143"), Decimal("1.9091"))
    # all/all without seasonality: 03-20 31 against (5 x 40 + 2 x 60) / 7, 03-21 30 against
    # (4 x 40 + 31 + 2 x 60) / 7: both below 0.7x
    totals = {
        r.stat_date: (r.actual, r.baseline)
        for r in flat.flagged if (r.check, r.slice) == ("outlier", "all/all")
    }
    assert totals == {DROP: (Decimal("31"), Decimal("45.7143")), MISSING: (Decimal("30"), Decimal("44.4286"))}


def test_thresholds_come_from_the_yaml(built, tmp_path):
    run = _checks(built, tmp_path, low="0.05", max_duplicates="0.2", now=NOW + timedelta(seconds=2))
    # 0.1x is above 0.05x; 0.1667 below 0.2: only the zero day remains
    assert _flagged(run) == {("missing", "pv", "app/all", MISSING), ("outlier", "pv", "app/all", MISSING)}


def test_history_keeps_other_days_and_replaces_a_rerun_day(built, tmp_path):
    first = _checks(built, tmp_path, now=NOW + timedelta(seconds=3))
    rerun = _checks(built, tmp_path, start=DROP, end=DROP, low="0.05", now=NOW + timedelta(seconds=4))
    assert {r.stat_date for r in rerun.results} == {DROP} and not rerun.flagged
    stored = built.query(
        "select stat_date, checked_at, flagged from {schema}.anomaly_check_results "
        "where check_name = 'outlier' and channel in ('wechat', 'app') and device_type = 'all' "
        "and stat_date in ('2024-03-20', '2024-03-21') order by stat_date, channel"
    )
    assert [(str(d), c, f) for d, c, f in stored] == [
        ("2024-03-20", first.checked_at + timedelta(seconds=1), 0),  # app, re-run
        ("2024-03-20", first.checked_at + timedelta(seconds=1), 0),  # wechat, re-run: no longer flagged
        ("2024-03-21", first.checked_at, 1),  # app's zero day, kept from the first run
        ("2024-03-21", first.checked_at, 0),
    ]
    runs = built.query("select count(distinct checked_at) from {schema}.monitor_results")
    assert runs[0][0] >= 2  # every run's monitors are kept


def test_cross_checks_pass_on_a_build_and_catch_a_mismatch(built, tmp_path):
    run = _checks(built, tmp_path, start=DROP, end=DROP, now=NOW + timedelta(seconds=5))
    monitors = {m.monitor: m for m in run.monitors}
    assert (monitors["data_error_rate"].actual, monitors["data_error_rate"].flagged) == (Decimal("0"), False)
    assert monitors["collection_success_rate"].status == "not_available"
    collection = monitors["collection_success_rate"]
    assert collection.note == "the collector received no event in 2024-03-20 .. 2024-03-20"
    assert monitors["job_duration"].status == "not_available"
    assert monitors["realtime_vs_offline"].status == "not_available"
    # realtime_vs_offline is stored with the run's monitors (the board and the alerts read them)
    stored = built.query(
        "select status, threshold_text, flagged, severity, range_start, range_end "
        "from {schema}.monitor_results "
        f"where monitor_name = 'realtime_vs_offline' and checked_at = '{run.checked_at:%Y-%m-%d %H:%M:%S}'"
    )
    assert [(st, t, f, sev, str(a), str(b)) for st, t, f, sev, a, b in stored] == [(
        "not_available", "offline vs real-time counters within 5% (the registry's event counters, all/all)",
        0, "critical", "2024-03-20", "2024-03-20")]  # fmt: skip
    where = ("stat_date = '2024-03-20' and stat_hour = 9 and channel = 'official' "
             "and device_type = 'pc'")
    built.execute(f"update {{schema}}.hourly_stats set pv = pv + 1 where {where}")
    try:
        broken = _checks(built, tmp_path, start=DROP, end=DROP, now=NOW + timedelta(seconds=6))
    finally:
        built.execute(f"update {{schema}}.hourly_stats set pv = pv - 1 where {where}")
    failing = built.query(
        "select channel, device_type, metric, daily_value, hourly_low, hourly_high "
        "from {schema}.cross_check_results where passed = 0"
    )
    assert [(c, d, m, int(v), int(lo), int(hi)) for c, d, m, v, lo, hi in failing] == [
        ("official", "pc", "pv", 10, 11, 11)]
    error_rate = {m.monitor: m for m in broken.monitors}["data_error_rate"]
    assert error_rate.actual == Decimal("0.0037")  # 1 failing row of 30 slices x 9 metrics
    assert not error_rate.flagged  # 0.0037 <= 0.01
    assert not [a for a in broken.alerts() if a.check == "data_error_rate"]

    # the same mismatch against a 0.1% limit: the monitor is flagged and alerts like a check
    built.execute(f"update {{schema}}.hourly_stats set pv = pv + 1 where {where}")
    try:
        strict = _checks(built, tmp_path, start=DROP, end=DROP, max_error_rate="0.001",
                         now=NOW + timedelta(seconds=8))
    finally:
        built.execute(f"update {{schema}}.hourly_stats set pv = pv - 1 where {where}")
    [alert] = [a for a in strict.alerts() if a.check == "data_error_rate"]
    assert (alert.severity, alert.actual, alert.stat_date) == ("critical", Decimal("0.0037"), None)
    assert len(strict.alerts()) == len(strict.flagged) + 1


def test_stale_during_active_hours(built, tmp_path):
    run = _checks(built, tmp_path, start=LAST, end=LAST, stale=True, now=NOW + timedelta(seconds=7))
    [stale] = [r for r in run.results if r.check == "stale"]
    # newest event 03-25 01:02:00 UTC; checked 04:00:07 UTC (12:00 local, inside 8-23): 178 min 7 s
    assert (stale.stat_date, stale.actual, stale.flagged) == (HALF, Decimal("178.1167"), True)


def test_builds_leave_the_check_history_alone(built, tmp_path):
    """`bizstats build` does not run the checks' models (run_checks does, with the current
    thresholds): a nightly and even a full refresh of the marts keep every stored result."""
    _checks(built, tmp_path, now=NOW + timedelta(seconds=9))
    count = "select count(*) from {schema}.anomaly_check_results"
    stored = built.query(count)[0][0]
    assert stored > 0
    built.build(day=str(LAST))
    build(built.target, start=FIRST, end=HALF, full_refresh=True, with_tests=False)
    assert built.query(count)[0][0] == stored


def test_realtime_counters_are_cross_checked_against_daily_stats(built, redis_url):
    """With the collector's counters present, the offline numbers of a day are compared with
    them: counters rebuilt from the same events agree; 50% more page views in Redis (a
    double-counting collector) is flagged and alerts."""
    import redis

    from bizstats.checks.hooks import realtime_vs_offline
    from bizstats.realtime.keys import key
    from bizstats.realtime.rebuild import rebuild_day

    assert realtime_vs_offline(built.target, DROP).status == "no_data"  # nothing counted yet
    assert rebuild_day(built.target, redis_url, LAST, 8, uv_exact=False) == 60
    agree = realtime_vs_offline(built.target, LAST)
    assert (agree.status, agree.actual, agree.flagged) == ("judged", Decimal("0.0000"), False), agree.note

    redis.Redis.from_url(redis_url).incrby(key("pv", LAST), 30)  # 90 where daily_stats has 60
    apart = realtime_vs_offline(built.target, LAST)
    assert (apart.status, apart.actual, apart.flagged) == ("judged", Decimal("0.5000"), True)
    assert apart.to_alert().check == "realtime_vs_offline"


def test_monitoring_yml_names_published_registry_metrics_only(tmp_path, monkeypatch):
    """A metric check may judge any published metric of the registry (a daily_stats column),
    one added there included; any other name stops the config with one line."""
    from bizstats.checks.config import load_thresholds
    from bizstats.checks.labels import metric_label
    from bizstats.config import project_dir
    from bizstats.errors import BizstatsError
    from bizstats.registry import load_registry

    path = tmp_path / "monitoring.yml"
    path.write_text("monitoring:\n  checks:\n    - {check: outlier, metrics: [pv, login_count], "
                    "high_ratio: 3, low_ratio: 0.3, floor: 100}\n")  # fmt: skip
    published = ", ".join(m.name for m in load_registry().published())
    with pytest.raises(BizstatsError) as caught:
        load_thresholds(path)
    assert str(caught.value) == (
        f"{path}: outlier: metric 'login_count' is not a published metric of the registry (the columns of "
        f"daily_stats, vars.metrics of dbt_project.yml: {published}): name one of them"
    )
    hidden = path.with_name("hidden.yml")  # a metric that is not published is no column either
    hidden.write_text(path.read_text().replace("login_count", "visit_duration_total"))
    with pytest.raises(BizstatsError, match="metric 'visit_duration_total' is not a published metric"):
        load_thresholds(hidden)
    copy = tmp_path / "project"
    copy.mkdir()
    registry = (project_dir() / "dbt_project.yml").read_text(encoding="utf-8")
    entry = ("    - {name: login_count, label_zh: 登录次数, label_en: Logins, short_en: Logins, unit: count, "
             "format: integer, description: Logins., kind: counter, source: events, "
             "filter: {event_type: user_login}}\n")  # fmt: skip
    edited = registry.replace("\n\n  # Breakdown", "\n" + entry + "\n  # Breakdown", 1)
    (copy / "dbt_project.yml").write_text(edited, encoding="utf-8")
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(copy))
    rows = load_thresholds(path)
    assert sorted({r.metric for r in rows}) == ["login_count", "pv"] and len(rows) == 2
    assert (metric_label("login_count"), metric_label("pv"), metric_label("event_logs")) == (
        "登录次数 Logins", "页面访问量 PV", "原始事件 raw events")  # fmt: skip
    assert metric_label("removed_metric") == "removed_metric"


def test_collection_success_rate_per_day_from_the_collectors_tally(built, tmp_path):
    """数据上报成功率: delivered (stored, duplicates, quarantined) / received per local day of
    the collector's tally, judged on the worst day: 03-04 has 95 stored, 3 duplicates and 2
    refused (an invalid event, an unauthorized request) = 98 / 100, below 99%: flagged and
    alerted; 03-05 has 200 stored = 1; 03-06 received nothing. A range with no tally is
    not_available."""
    from bizstats.db import connect, create_table, qualified
    from bizstats.load.collected.tally import COLUMNS, DELIVERED, TABLE

    target = built.target
    tally = [("2024-03-04", "stored", 95), ("2024-03-04", "duplicate", 3), ("2024-03-04", "invalid_event", 1),
             ("2024-03-04", "unauthorized", 1), ("2024-03-05", "stored", 200)]  # fmt: skip
    with connect(target) as con:
        table = create_table(con.cursor(), target, target.raw_schema, TABLE, COLUMNS)
        ph = "?" if target.name == "duckdb" else "%s"
        con.cursor().executemany(
            f"insert into {table} values ({ph}, {ph}, {ph}, {ph})",
            [(day, outcome, int(outcome in DELIVERED), n) for day, outcome, n in tally],
        )
        con.commit()
    try:
        run = _checks(built, tmp_path, start=FIRST, end=FIRST + timedelta(days=2),
                      now=NOW + timedelta(seconds=20))
        quiet = _checks(built, tmp_path, start=DROP, end=DROP, now=NOW + timedelta(seconds=21))
    finally:
        with connect(target) as con:
            con.cursor().execute(f"drop table {qualified(target, target.raw_schema, TABLE)}")
            con.commit()
    rate = {m.monitor: m for m in run.monitors}["collection_success_rate"]
    assert (rate.status, rate.actual, rate.flagged, rate.threshold, rate.severity) == (
        "judged", Decimal("0.9800"), True, "< 0.99", "critical")
    assert rate.note == (
        "2024-03-04: 98 of 100 events delivered; refused: invalid_event 1, unauthorized 1 "
        "(worst of 2 days with events; 1 received none)"
    )
    [alert] = [a for a in run.alerts() if a.check == "collection_success_rate"]
    assert (alert.severity, alert.actual) == ("critical", Decimal("0.9800"))
    assert {m.monitor: m for m in quiet.monitors}["collection_success_rate"].status == "not_available"


def test_the_old_report_success_rate_key_is_refused_with_its_new_name(tmp_path):
    from bizstats.checks.config import load_thresholds
    from bizstats.errors import BizstatsError

    path = tmp_path / "monitoring.yml"
    path.write_text("monitoring:\n  monitors:\n    report_success_rate: {min_rate: 0.99}\n")
    with pytest.raises(BizstatsError) as caught:
        load_thresholds(path)
    assert str(caught.value) == (
        f"{path}: monitor 'report_success_rate' is now called 'collection_success_rate': rename the key"
    )
