"""The readers of the marts on Spark (issue 20): the query API's JSON, `bizstats export` (csv and
json) and the daily report (CSV and HTML) of a Spark warehouse equal, byte for byte, those of
a DuckDB build of the same files (tests_py/support/sample_data.py, 2024-03-01 .. 03-12); a
Spark server that is down is the API's 503 while the routes that need no warehouse answer,
and the API recovers when it is back; the checks' tables (thresholds, a hook's monitor row,
the job_duration monitor's copy of the latest job run) written and read back on Spark.

One Spark warehouse for the module (the server at BIZSTATS_SPARK_HOST:PORT, support/spark.py;
skipped without it, failed on CI)."""

from __future__ import annotations

import dataclasses
import io
import re
import socket
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from bizstats.checks import run_checks
from bizstats.checks.results import MonitorResult
from bizstats.checks.store import MONITOR_COLUMNS, read_rows, write_monitor
from bizstats.config import Target
from bizstats.export import read_daily_stats, write_rows
from bizstats.ops.daily_report import make_report
from bizstats.ops.job_runs import finish_run, start_run
from bizstats.web.app import create_app
from bizstats.web.query.keys import create_key
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.spark import spark_warehouse
from tests_py.support.warehouse import Warehouse, built_warehouse

START, END = "2024-03-01", "2024-03-12"
# a row's timestamps are when its build wrote it: the two builds differ there only
STAMPS = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?=,|\"|\n)")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """(DuckDB target, Spark target) holding the same sample data built over START .. END."""
    with (
        pytest.MonkeyPatch.context() as env,
        spark_warehouse(env, tmp_path_factory.mktemp("spark")) as spark,
    ):
        duck = built_warehouse("duckdb", tmp_path_factory, env)
        lake = Warehouse(spark, tmp_path_factory.mktemp("spark-loads"))
        lake.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
        lake.build(start=START, end=END)
        yield duck.target, spark


def _client(target: Target) -> tuple[TestClient, dict[str, str]]:
    _, token = create_key(target, "tests")
    return TestClient(create_app(target)), {"Authorization": f"Bearer {token}"}


# every grain, page 2 of 50 rows too (Spark's `limit … offset`)
REQUESTS = [
    *((grain, {"channel": "*", "device_type": "*"}) for grain in ("daily", "hourly", "weekly", "monthly")),
    ("daily", {"channel": "*", "device_type": "*", "size": "50", "page": "2"}),
    ("hourly", {"channel": "app,official", "device_type": "all", "metrics": "pv,uv"}),
    ("breakdowns", {"channel": "all", "device_type": "all"}),
    ("user-types", {}),
]


def test_the_api_answers_as_on_duckdb(both):
    duck, spark = both
    answers: dict[str, list[bytes]] = {}
    seconds: dict[str, float] = {}
    for target in both:
        client, auth = _client(target)
        with client:
            bodies = []
            for grain, params in REQUESTS:
                r = client.get(f"/api/stats/{grain}", params={"start": START, "end": END, **params},
                               headers=auth)
                assert r.status_code == 200, (target.name, grain, r.text)
                bodies.append(r.content)
            began = time.monotonic()  # one warm request, for the report
            client.get("/api/stats/daily", params={"start": START, "end": END}, headers=auth)
            seconds[target.name] = time.monotonic() - began
            answers[target.name] = bodies
    for (grain, params), on_duck, on_spark in zip(REQUESTS, answers["duckdb"], answers["spark"], strict=True):
        assert on_spark == on_duck, (grain, params)
    assert b'"total":360' in answers["spark"][0]  # 12 days x 30 slices
    print(f"one warm /api/stats/daily: duckdb {seconds['duckdb'] * 1000:.0f} ms, "
          f"spark {seconds['spark'] * 1000:.0f} ms")


def _export(target: Target, fmt: str) -> str:
    out = io.StringIO()
    write_rows(read_daily_stats(target, date.fromisoformat(START), date.fromisoformat(END)), fmt, out)
    return out.getvalue()


def test_export_and_report_as_on_duckdb(both, tmp_path):
    duck, spark = both
    for fmt in ("csv", "json"):
        on_duck, on_spark = _export(duck, fmt), _export(spark, fmt)
        assert on_spark.count("\n") > 300
        assert STAMPS.sub("T", on_spark) == STAMPS.sub("T", on_duck), fmt
    reports = {t.name: make_report(t, date(2024, 3, 12), folder=tmp_path / t.name) for t in both}
    assert reports["spark"].csv_path.read_bytes() == reports["duckdb"].csv_path.read_bytes()
    assert reports["spark"].html_path.read_bytes() == reports["duckdb"].html_path.read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_spark_server_down_is_a_503_and_the_api_recovers(both, monkeypatch):
    _, spark = both
    client, auth = _client(spark)
    port = str(spark_port())
    with client:
        monkeypatch.setenv("BIZSTATS_SPARK_PORT", str(_free_port()))  # nothing listens there
        r = client.get("/api/stats/daily", params={"start": END, "end": END}, headers=auth)
        assert r.status_code == 503, r.text
        error = r.json()["error"]
        assert error.startswith("the warehouse cannot be read right now; retry later (request id ")
        assert "Traceback" not in r.text
        assert client.get("/api/metrics", headers=auth).status_code == 200
        monkeypatch.setenv("BIZSTATS_SPARK_PORT", port)
        r = client.get("/api/stats/daily", params={"start": END, "end": END}, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 1


def spark_port() -> int:
    from bizstats.settings import settings

    return settings().spark.port


def _same_run(monitor: MonitorResult, run_ids: dict[str, str]) -> MonitorResult:
    """A monitor with what differs between the two warehouses by design taken out: the job
    run's id, and data_delay's minutes (the two loads were seconds apart)."""
    note = monitor.note
    for run_id in run_ids.values():
        note = note.replace(run_id, "RUN")
    if monitor.monitor == "data_delay":
        return dataclasses.replace(monitor, actual=None, note=re.sub(r"[\d:. -]+UTC", "T", note))
    return dataclasses.replace(monitor, note=note)


def test_the_checks_as_on_duckdb(both):
    """The checks of 03-10 .. 03-12 (thresholds written to Spark, monitoring models run there,
    the latest job run copied from the control database, the hook's row appended) find what
    they find on DuckDB."""
    now = datetime(2024, 3, 13, 3, 0)
    run_ids, runs = {}, {}
    for target in both:
        run = start_run(target, "daily", "daily-flow", date(2024, 3, 12), date(2024, 3, 12))
        finish_run(target, dataclasses.replace(
            run, finished_at=datetime(2024, 3, 13, 2, 5), duration_seconds=Decimal("300.250"),
            outcome="success",
        ))
        run_ids[target.name] = run.run_id
        runs[target.name] = run_checks(target, date(2024, 3, 10), date(2024, 3, 12), now=now)
    duck, spark = runs["duckdb"], runs["spark"]
    assert spark.results == duck.results
    assert len(spark.results) > 50
    assert [_same_run(m, run_ids) for m in spark.monitors] == [_same_run(m, run_ids) for m in duck.monitors]
    assert {m.monitor: m.status for m in spark.monitors}["job_duration"] == "judged"
    assert spark.checked_at == duck.checked_at == now

    # a hook's row keeps quotes and a backslash as written (Spark literals, not PyHive's ''); an
    # older checked_at than the run's, so the board below still shows the run
    _, target = both
    note = "it's \\ 'quoted'"
    write_monitor(target, MonitorResult("realtime_vs_offline", "judged", Decimal("0.0123"), "within 5%", True,
                                        "critical", note), date(2024, 3, 12), date(2024, 3, 12),
                  datetime(2024, 3, 9))
    stored = read_rows(target, "monitor_results", MONITOR_COLUMNS, "checked_at = ?", (datetime(2024, 3, 9),))
    assert stored == [{
        "monitor_name": "realtime_vs_offline", "status": "judged", "actual": Decimal("0.0123"),
        "threshold_text": "within 5%", "flagged": 1, "severity": "critical", "note": note,
    }]


def test_the_quality_board_and_metrics_read_both_databases(both):
    """After the checks (test above): the board's monitors and cross-checks come from Spark,
    its last build from the control database's builds log; /metrics reads the job runs there
    and the monitors on Spark."""
    boards, scraped = {}, {}
    for target in both:
        client, auth = _client(target)
        with client:
            r = client.get("/api/quality", headers=auth)
            assert r.status_code == 200, (target.name, r.text)
            boards[target.name] = r.json()
            scraped[target.name] = client.get("/metrics").text
    duck, spark = boards["duckdb"], boards["spark"]
    assert spark["missing"] == duck["missing"] == ["bizstats_alerts"]  # no alert raised yet
    assert spark["last_built_day"] == duck["last_built_day"] == END
    assert spark["last_build"]["outcome"] == "success"
    assert (spark["last_build"]["start_date"], spark["last_build"]["end_date"]) == (START, END)
    assert [m["monitor"] for m in spark["monitors"]] == [m["monitor"] for m in duck["monitors"]]
    assert len(spark["monitors"]) == 5
    assert spark["cross_checks"] == duck["cross_checks"]
    for text in scraped.values():
        assert "bizstats_warehouse_readable 1.0" in text
        assert 'bizstats_job_last_duration_seconds{job_name="daily"} 300.25' in text
        assert 'bizstats_monitor_flagged{monitor="job_duration"}' in text
