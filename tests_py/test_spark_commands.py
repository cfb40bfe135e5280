"""The CLI's other commands with `--target spark` (issue 20): each works on the spark target's
control database (BIZSTATS_SPARK_LANDING) or refuses in one line, never a traceback and never
the wrong database.

Without a Spark server (BIZSTATS_SPARK_PORT set to a closed port, so a command that reached
for Spark would fail): a closed port is one line saying "is the Spark Thrift server
running?" and no thrift log line; the bookkeeping commands (keys, alerts, runs, audit,
quarantine, backup) work on the control database; `db init` refuses; the alerts a build
raises name `--target spark`. With the server (one module warehouse: the sample data loaded,
never built): a schema never built says "run `bizstats build` first"; `retention run` archives
the landing's old rows and the lake follows, `retention restore` puts them back.
"""

from __future__ import annotations

import base64
import socket
from datetime import date

import pytest

from bizstats.cli import main
from bizstats.config import Target
from bizstats.db import connect, describe, fetch_all, qualified
from bizstats.load.loader import load_dir
from bizstats.settings import settings
from tests_py.support.raw_files import write_csvs
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS

EXPORT = ["export", "daily_stats", "--start", "2024-03-10", "--end", "2024-03-10", "--target", "spark"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def no_server(tmp_path, monkeypatch) -> Target:
    """The spark target with its control database under tmp_path and no Spark server (a closed
    port): the sample data loaded into the control database directly (no lake sync)."""
    monkeypatch.setenv("BIZSTATS_SPARK_HOST", "127.0.0.1")
    monkeypatch.setenv("BIZSTATS_SPARK_PORT", str(_closed_port()))
    monkeypatch.setenv("BIZSTATS_SPARK_SCHEMA", "bizstats_nowhere")
    monkeypatch.setenv("BIZSTATS_SPARK_LANDING", str(tmp_path / "landing.duckdb"))
    monkeypatch.setenv("BIZSTATS_SPARK_LAKE_DIR", str(tmp_path / "lake"))
    target = Target("spark")
    write_csvs(tmp_path / "files", {"event_logs": TRAFFIC_EVENTS, **BUSINESS})
    load_dir(target.control, tmp_path / "files")
    return target


def _one_error(capfd: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    out, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bizstats: error: ") and "Traceback" not in err
    return lines[0]


def test_a_closed_port_is_one_line_asking_for_the_server(no_server, capfd):
    line = _one_error(capfd, EXPORT)
    port = settings().spark.port
    # one line on stderr (_one_error): thrift's socket logger says nothing of its own
    assert line == (
        f"bizstats: error: spark 127.0.0.1:{port}/bizstats_nowhere: Could not connect to any of "
        f"[('127.0.0.1', {port})]; is the Spark Thrift server running? `bizstats spark status` "
        "tells (`bizstats spark up` starts a local one); check BIZSTATS_SPARK_HOST/_PORT/_USER/_AUTH"
    )


def test_db_init_refuses_on_spark(no_server, capfd):
    line = _one_error(capfd, ["db", "init", "--target", "spark"])
    assert line == "bizstats: error: accounts and grants are MySQL/MariaDB's: use --target mysql"


def test_bookkeeping_commands_work_without_spark(no_server, capfd):
    """keys, alerts, runs, audit, quarantine and the retention plan read and write the control
    database only."""
    assert main(["keys", "create", "--name", "ops", "--target", "spark"]) == 0
    assert main(["keys", "list", "--target", "spark"]) == 0
    out = capfd.readouterr().out
    assert "ops" in out
    assert main(["alerts", "list", "--target", "spark"]) == 0
    assert capfd.readouterr().out.strip() == "no open alerts on spark"
    assert main(["runs", "--target", "spark"]) == 0
    assert main(["quarantine", "list", "--target", "spark"]) == 0
    assert capfd.readouterr().out.strip().endswith("0 quarantined events on spark")
    assert main(["retention", "plan", "--target", "spark"]) == 0
    first = capfd.readouterr().out.splitlines()[0]
    assert first.startswith(f"retention on {describe(no_server)} (control database "
                            f"{no_server.control.duckdb_path}): raw rows of local days before "), first
    assert main(["audit", "list", "--target", "spark"]) == 0
    trail = capfd.readouterr().out
    assert "keys create" in trail


def test_backup_run_backs_up_the_control_database(no_server, capfd, monkeypatch, tmp_path):
    from bizstats.backup import BackupStore, backup_settings

    monkeypatch.setenv("BIZSTATS_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("BIZSTATS_BACKUP_KEY", base64.urlsafe_b64encode(b"k" * 32).decode())
    assert main(["backup", "run", "--target", "spark"]) == 0
    out, err = capfd.readouterr()
    assert "backing up its control database" in err and "snapshot them yourself" in err
    manifest = BackupStore(backup_settings().directory).manifest(out.strip())
    assert manifest is not None
    assert manifest.source == f"duckdb {no_server.control.duckdb_path}"
    raw = {f.table: f.rows for f in manifest.tables if f.schema.endswith("_raw")}
    assert raw["event_logs"] == len(TRAFFIC_EVENTS)


def test_a_builds_alerts_name_the_spark_target(no_server):
    """The late-data alerts a Spark build raises say `--target spark`, not its control
    database's duckdb."""
    from bizstats.changes import open_state
    from bizstats.load.quarantine import late_data_alerts

    with open_state(no_server) as state:
        alerts = late_data_alerts(state, [date(2024, 3, 1), date(2024, 3, 2)])
    (deferred,) = alerts
    assert deferred.slice == "target=spark"
    assert "`bizstats build --start 2024-03-01 --end 2024-03-02 --target spark`" in deferred.advice


def test_a_failed_jobs_alert_names_the_spark_target(no_server):
    """The job_failed alert of a scheduled run on Spark says how to re-run it on Spark."""
    from datetime import datetime

    from bizstats.ops.job_runs import JobRun
    from bizstats.ops.steps import job_alerts

    run = JobRun("r1", "daily", "daily-flow", date(2024, 3, 10), date(2024, 3, 10),
                 datetime(2024, 3, 11, 1, 0), outcome="failed", error="boom")
    (failed,) = job_alerts(no_server, run)
    assert failed.slice == "target=spark"
    assert "`bizstats run daily --date 2024-03-10 --target spark`" in failed.advice


# --- with a Spark server: the sample data loaded (landing and lake), never built


@pytest.fixture(scope="module")
def loaded(spark_module_target, tmp_path_factory) -> Target:
    """The module's Spark warehouse with the sample data loaded and examined (as a build would
    have: the rows scanned, no day pending), never built."""
    from bizstats.changes import clear_pending, open_state, pending_days, scan_new_rows

    target = spark_module_target
    folder = tmp_path_factory.mktemp("files")
    write_csvs(folder, {"event_logs": TRAFFIC_EVENTS, **BUSINESS})
    load_dir(target, folder)
    with open_state(target) as state:
        scan_new_rows(state, 8)
        clear_pending(state, pending_days(state))
    return target


def _counts(target: Target) -> tuple[int, int]:
    """(event_logs rows in the landing, in Spark's raw table)."""
    control = target.control
    raw = qualified(control, control.raw_schema, "event_logs")
    with connect(control) as con:
        (landing,) = fetch_all(con, f"select count(*) from {raw}")[0]
    with connect(target) as con:
        (spark,) = fetch_all(con, f"select count(*) from `{target.raw_schema}`.`event_logs`")[0]
    return int(landing), int(spark)


def test_a_schema_never_built_says_build_first(loaded, capfd):
    line = _one_error(capfd, EXPORT)
    assert line.endswith("run `bizstats build` first"), line
    assert "is the Spark Thrift server running?" not in line


def test_retention_archives_the_landing_and_the_lake_follows(loaded, capfd, monkeypatch, tmp_path_factory):
    archive = tmp_path_factory.mktemp("archive")
    monkeypatch.setenv("BIZSTATS_ARCHIVE_DIR", str(archive))
    assert _counts(loaded) == (len(TRAFFIC_EVENTS), len(TRAFFIC_EVENTS))
    assert main(["retention", "plan", "--before", "2024-03-11", "--target", "spark"]) == 0
    plan = capfd.readouterr().out
    assert f"go to {archive}" in plan
    with connect(loaded.control) as con:
        raw = qualified(loaded.control, loaded.control.raw_schema, "event_logs")
        local = "event_time + interval 8 hour"  # the statistics' time zone, UTC+8
        (old,) = fetch_all(con, f"select count(*) from {raw} where {local} < '2024-03-11'")[0]
    assert 0 < old < len(TRAFFIC_EVENTS)
    assert main(["retention", "run", "--before", "2024-03-11", "--target", "spark"]) == 0
    out, err = capfd.readouterr()
    assert "lake:" in err
    assert _counts(loaded) == (len(TRAFFIC_EVENTS) - old, len(TRAFFIC_EVENTS) - old)
    restore = ["retention", "restore", "--start", "2024-03-01", "--end", "2024-03-10", "--target", "spark"]
    assert main(restore) == 0
    out = capfd.readouterr().out
    assert out.strip().endswith("bizstats build --start 2024-03-01 --end 2024-03-10 --target spark")
    assert _counts(loaded) == (len(TRAFFIC_EVENTS), len(TRAFFIC_EVENTS))


def test_pii_rotate_reencrypts_the_landing_and_the_lake_follows(loaded, capfd, monkeypatch, tmp_path):
    """A phone number loaded under key A; with "B,A" `pii rotate --target spark` leaves it
    under B in the landing and in Spark's raw event_logs, and names the full build Spark's
    models need."""
    import json

    from cryptography.fernet import Fernet

    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", key_a.decode())
    event = {"event_id": "pii-1", "event_type": "page_view", "device_id": "d1",
             "extra_data": json.dumps({"contact": "13812345678"}), "event_time": "2024-03-11 03:00:00"}
    write_csvs(tmp_path / "files", {"event_logs": [event]})
    load_dir(loaded, tmp_path / "files")
    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", f"{key_b.decode()},{key_a.decode()}")
    assert main(["pii", "rotate", "--target", "spark"]) == 0
    out = capfd.readouterr().out
    assert "re-encrypted 1 values with the first key" in out
    assert "run `bizstats build --full-refresh --target spark` before you drop the old key" in out
    control = loaded.control
    raw = qualified(control, control.raw_schema, "event_logs")
    with connect(control) as con:
        (landing,) = fetch_all(con, f"select extra_data from {raw} where event_id = 'pii-1'")[0]
    with connect(loaded) as con:
        (lake,) = fetch_all(con, f"select extra_data from `{loaded.raw_schema}`.`event_logs` "
                                 "where event_id = 'pii-1'")[0]
    assert lake == landing
    token = json.loads(landing)["contact"].removeprefix("enc:")
    assert Fernet(key_b).decrypt(token.encode()) == b"13812345678"
