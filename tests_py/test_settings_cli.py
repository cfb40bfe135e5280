"""Bad settings and missing warehouses as a user meets them (issue 15, points 16 and 17): the
real `bizstats` command in a subprocess, each BIZSTATS_* setting with bad values, each
command on a DuckDB path where there is no warehouse; every answer is exit code 1 and one
stderr line naming the setting (or the path and the command that creates a warehouse),
never a traceback, never the secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bizstats.config import Target
from bizstats.db import ensure_raw_tables
from tests_py.support.services import mysql_up, require

BIZSTATS = str(Path(sys.executable).parent / "bizstats")
EXPORT = ["export", "daily_stats", "--start", "2024-03-10", "--end", "2024-03-10"]
KEEP = ("BIZSTATS_MYSQL_HOST", "BIZSTATS_MYSQL_PORT", "BIZSTATS_MYSQL_USER", "BIZSTATS_MYSQL_PASSWORD")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """An empty DuckDB warehouse (raw tables only), so commands get past the warehouse check."""
    path = tmp_path_factory.mktemp("settings") / "w.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BIZSTATS_DUCKDB_PATH", str(path))
        ensure_raw_tables(Target("duckdb"))
    return path


def _run(argv: list[str], settings: dict[str, str], home: Path, timeout: int = 120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZSTATS_") or k in KEEP}
    env["PREFECT_HOME"] = str(home / "prefect")
    env["BIZSTATS_MYSQL_SCHEMA"] = "bizstats_settings_probe"
    env.update(settings)
    return subprocess.run([BIZSTATS, *argv], env=env, capture_output=True, text=True, timeout=timeout)


def _one_line(result) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bizstats: error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# (setting, bad value, command): every BIZSTATS_* setting a user sets, with values that are
# malformed, out of range, or of the wrong kind
BAD_SETTINGS = [
    ("BIZSTATS_PROJECT_DIR", "/nonexistent/project", EXPORT),
    ("BIZSTATS_MYSQL_PORT", "abc", [*EXPORT, "--target", "mysql"]),
    ("BIZSTATS_MYSQL_PORT", "99999", [*EXPORT, "--target", "mysql"]),
    ("BIZSTATS_MYSQL_PORT", "²", [*EXPORT, "--target", "mysql"]),
    ("BIZSTATS_MYSQL_SCHEMA", "bad`name", ["build", "--target", "mysql"]),
    ("BIZSTATS_MYSQL_SCHEMA", "it's", ["load", "DIR", "--target", "mysql"]),
    ("BIZSTATS_MYSQL_SCHEMA", "a.b", ["build", "--target", "mysql"]),
    ("BIZSTATS_MYSQL_SCHEMA", "x" * 61, ["build", "--target", "mysql"]),
    ("BIZSTATS_MIN_DATETIME", "yesterday", ["load", "DIR"]),
    ("BIZSTATS_MIN_DATETIME", "0001-01-01", ["build"]),
    ("BIZSTATS_MAX_DAYS_AHEAD", "999999999", ["load", "DIR"]),
    ("BIZSTATS_MAX_DAYS_AHEAD", "999999999", ["build"]),
    ("BIZSTATS_MAX_DAYS_AHEAD", "-1", ["load", "DIR"]),
    ("BIZSTATS_LATE_DATA_DAYS", "0", ["build"]),
    ("BIZSTATS_LATE_DATA_DAYS", "1e3", ["serve"]),
    ("BIZSTATS_LOCK_WAIT", "soon", ["build"]),
    ("BIZSTATS_LOCK_WAIT", "nan", ["load", "DIR"]),
    ("BIZSTATS_TIMEZONE", "Mars/Olympus_Mons", ["schedule"]),
    ("BIZSTATS_JOB_MAX_MINUTES", "lots", ["run", "daily"]),
    ("BIZSTATS_RETRY_DELAY_SECONDS", "1e999", ["run", "daily"]),
    ("BIZSTATS_PREFECT_STARTUP_SECONDS", "nan", ["run", "daily"]),
    ("BIZSTATS_MONITORING_CONFIG", "/nonexistent/monitoring.yml", ["run", "daily"]),
    ("BIZSTATS_ALERTS_CONFIG", "/nonexistent/alerts.yml", ["alerts", "test"]),
    ("BIZSTATS_REDIS_URL", "notaurl", ["realtime", "rebuild"]),
    ("BIZSTATS_REDIS_URL", "redis://user:S3cretPw@host:notaport/0", ["build"]),
    # (the cache's settings are read when it is on: with a Redis URL)
    ("BIZSTATS_CACHE_TTL", "0", ["serve"]),
    ("BIZSTATS_CACHE_TTL", "²", ["build"]),
    ("BIZSTATS_COLLECT_SITES", "site-key-without-origins", ["serve"]),
    ("BIZSTATS_COLLECT_SOURCES", "orders:S3cretHmac", ["serve"]),
    ("BIZSTATS_COLLECT_MAX_BODY", "10", ["serve"]),
    ("BIZSTATS_COLLECT_MAX_BATCH", "0", ["serve"]),
    ("BIZSTATS_COLLECT_RATE", "²", ["serve"]),
    ("BIZSTATS_COLLECT_BURST", "-1", ["serve"]),
    ("BIZSTATS_COLLECT_IP_RATE", "fast", ["serve"]),
    ("BIZSTATS_COLLECT_IP_BURST", "1e9", ["serve"]),
    ("BIZSTATS_COLLECT_CLIENT_RATE", "0", ["serve"]),
    ("BIZSTATS_COLLECT_CLIENT_BURST", "99999999999999999999", ["serve"]),
    ("BIZSTATS_COLLECT_SIGNATURE_AGE", "5m", ["serve"]),
    ("BIZSTATS_COLLECT_TRUSTED_PROXIES", "10.0.0.0/8", ["serve"]),
    ("BIZSTATS_COLLECT_FERNET_KEY", "not-a-fernet-key", ["serve"]),
    ("BIZSTATS_COLLECT_FERNET_KEY", "not-a-fernet-key", ["load", "DIR"]),
    ("BIZSTATS_REALTIME_UV", "maybe", ["realtime", "rebuild"]),
    ("BIZSTATS_SPOOL_PATH", "TMP", ["collect", "ingest"]),
    ("BIZSTATS_DUCKDB_PATH", "TMP", ["load", "DIR"]),
    ("BIZSTATS_DUCKDB_MEMORY_LIMIT", "lots", ["build"]),
]


@pytest.mark.parametrize(("setting", "value", "argv"), BAD_SETTINGS)
def test_a_bad_setting_is_one_line_naming_it(setting, value, argv, warehouse, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "users.csv").write_text("user_id,registered_at\nu1,2024-03-01 00:00:00\n", encoding="utf-8")
    argv = [str(folder) if arg == "DIR" else arg for arg in argv]
    value = str(tmp_path) if value == "TMP" else value
    settings = {"BIZSTATS_DUCKDB_PATH": str(warehouse), setting: value}
    if setting.startswith("BIZSTATS_CACHE_"):
        settings["BIZSTATS_REDIS_URL"] = "redis://127.0.0.1:1/0"
    line = _one_line(_run(argv, settings, tmp_path))
    assert setting in line, line
    for secret in ("S3cretPw", "S3cretHmac", "not-a-fernet-key"):
        assert secret not in line, line


def test_mysql_connection_settings_are_named_when_the_server_refuses(tmp_path):
    require(mysql_up(), "MariaDB/MySQL")
    for setting, value in (
        ("BIZSTATS_MYSQL_HOST", "256.0.0.1"),
        ("BIZSTATS_MYSQL_USER", "nobody_h3_probe"),
        ("BIZSTATS_MYSQL_PASSWORD", "WrongPw42"),
    ):
        settings = {setting: value}
        if setting == "BIZSTATS_MYSQL_PASSWORD":
            settings["BIZSTATS_MYSQL_USER"] = "nobody_h3_probe"
        line = _one_line(_run([*EXPORT, "--target", "mysql"], settings, tmp_path))
        assert setting.removeprefix("BIZSTATS_MYSQL") in line and "BIZSTATS_MYSQL_" in line, line
        assert "WrongPw42" not in line


# Every command that needs a warehouse, on a DuckDB path where there is none
NO_WAREHOUSE = [
    ["build"],
    ["build", "--full-refresh"],
    EXPORT,
    ["report"],
    ["serve"],
    ["schedule"],
    ["run", "daily"],
    ["runs"],
    ["rebuild", "--start", "2024-03-10", "--end", "2024-03-10", "--reason", "probe"],
    ["alerts", "list"],
    ["alerts", "ack", "1"],
    ["alerts", "test"],
    ["keys", "create", "--name", "probe"],
    ["keys", "list"],
    ["collect", "ingest"],
    ["realtime", "rebuild"],
    ["quarantine", "list"],
]


@pytest.mark.parametrize("argv", NO_WAREHOUSE, ids=[" ".join(a[:2]) for a in NO_WAREHOUSE])
def test_only_load_and_demo_create_a_warehouse(argv, tmp_path):
    path = tmp_path / "no" / "such" / "folder" / "w.duckdb"
    line = _one_line(_run(argv, {"BIZSTATS_DUCKDB_PATH": str(path)}, tmp_path))
    assert line == (
        f"bizstats: error: duckdb {path}: the database file does not exist; run `bizstats demo`, "
        "or `bizstats load DIR` and `bizstats build`, first (or point BIZSTATS_DUCKDB_PATH at your "
        "warehouse)"
    )
    assert not (tmp_path / "no").exists()


def test_load_creates_the_warehouse_and_its_folder(tmp_path):
    path = tmp_path / "new" / "folder" / "w.duckdb"
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "users.csv").write_text("user_id,registered_at\nu1,2024-03-01 00:00:00\n", encoding="utf-8")
    result = _run(["load", str(folder)], {"BIZSTATS_DUCKDB_PATH": str(path)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.is_file()
    assert _run(["runs"], {"BIZSTATS_DUCKDB_PATH": str(path)}, tmp_path).returncode == 0


def test_select_of_a_model_that_does_not_exist_names_the_models(warehouse, tmp_path):
    line = _one_line(_run(["build", "--full-refresh", "--select", "nosuchmodel"],
                          {"BIZSTATS_DUCKDB_PATH": str(warehouse)}, tmp_path))
    assert line.startswith("bizstats: error: --select nosuchmodel: no such model; the models a build "
                           "rebuilds are cumulative_daily, daily_breakdowns, daily_stats, ")
    assert "weekly_stats" in line and "anomaly_check_results" not in line  # the checks' run apart
