"""Clear failures: database errors reach the user as one line naming the target and what to
do; read-only commands create nothing; JSON money is exact; schema names are quoted.

Real databases throughout (DuckDB files, the MariaDB at BIZSTATS_MYSQL_*), no mocks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pymysql
import pytest

from bizstats.cli import main
from bizstats.config import Target
from bizstats.db import connect, describe, ensure_raw_tables, fetch_all, qualified
from bizstats.demo.report import render_report
from bizstats.errors import BizstatsError
from bizstats.export import daily_stats_columns
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.services import drop_mysql_schemas, mysql_up, require
from tests_py.support.warehouse import Warehouse

EXPORT = ["export", "daily_stats", "--start", "2024-03-10", "--end", "2024-03-10"]


def _run(argv: list[str], target: Target, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the CLI on `target`; (exit code, stderr) with stderr checked to be one error line."""
    code = main([*argv, "--target", target.name])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bizstats: error: "), err
    assert "Traceback" not in err
    return code, lines[0]


def _create_daily_stats(target: Target, columns: str, rows: list[str]) -> None:
    """A hand-made daily_stats in the models schema (no dbt involved)."""
    ensure_raw_tables(target)  # creates the file / the two MySQL databases
    table = qualified(target, target.models_schema, "daily_stats")
    with connect(target) as con:
        cur = con.cursor()
        cur.execute(f"create table {table} ({columns})")
        for row in rows:
            cur.execute(f"insert into {table} values ({row})")
        con.commit()


_SEED_COLUMNS = (
    "stat_date date, pv int, uv int, avg_visit_duration int, real_name_count int, "
    "bind_card_count int, new_member_count int, credit_order_count int, "
    "daily_member_deduction decimal(18,2), history_member_deduction decimal(18,2), "
    "total_deduction decimal(18,2), channel varchar(50), device_type varchar(20), "
    "created_at timestamp, updated_at timestamp"
)
_ROW = (
    "'2024-03-10', 7, 5, 9, 1, 1, 1, 3, 12.3, 0.10, 1234567890123456.78, 'all', 'all', "
    "'2024-03-11 02:00:00', '2024-03-11 02:00:00'"
)


def test_missing_duckdb_file_is_one_line_and_nothing_is_created(tmp_path, monkeypatch, capsys):
    path = tmp_path / "nope" / "x.duckdb"
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(path))
    code, line = _run(EXPORT, Target("duckdb"), capsys)
    assert code == 1
    assert line == (
        f"bizstats: error: duckdb {path}: the database file does not exist; run `bizstats demo`,"
        " or `bizstats load DIR` and `bizstats build`, first (or point BIZSTATS_DUCKDB_PATH at "
        "your warehouse)"
    )
    assert not (tmp_path / "nope").exists()
    assert list(tmp_path.iterdir()) == []


def test_missing_daily_stats_says_build_first(target, capsys):
    ensure_raw_tables(target)  # the warehouse exists, nothing was built
    code, line = _run(EXPORT, target, capsys)
    assert code == 1
    assert line.startswith(f"bizstats: error: {describe(target)}: ")
    assert line.endswith("; run `bizstats build` first")
    assert "daily_stats" in line


def test_sql_error_is_one_line_naming_the_target(target, capsys):
    # a daily_stats without the seed's columns: the query itself fails, and it is not
    # reported as "nothing built"
    _create_daily_stats(target, "stat_date date", ["'2024-03-10'"])
    code, line = _run(EXPORT, target, capsys)
    assert code == 1
    assert line.startswith(f"bizstats: error: {describe(target)}: ")
    assert "channel" in line  # the first column export reads that this table lacks
    assert "bizstats build --full-refresh" in line
    assert "run `bizstats build` first" not in line


def test_sql_error_inside_any_with_connect_block_is_a_bizstats_error(target):
    ensure_raw_tables(target)
    with pytest.raises(BizstatsError) as caught, connect(target) as con:
        con.cursor().execute("selec 1")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{describe(target)}: ")
    assert "please report it" in message
    assert isinstance(caught.value.__cause__, (duckdb.Error, pymysql.err.MySQLError))


def test_json_money_is_an_exact_decimal_string(target, capsys):
    _create_daily_stats(target, _SEED_COLUMNS, [_ROW])
    assert main([*EXPORT, "--format", "json", "--target", target.name]) == 0
    out = capsys.readouterr().out
    assert '"daily_member_deduction": "12.30",' in out
    assert '"history_member_deduction": "0.10",' in out
    assert '"total_deduction": "1234567890123456.78",' in out  # a float would end in ...56.8
    [record] = json.loads(out)
    assert list(record) == list(daily_stats_columns())
    assert record["pv"] == 7 and record["stat_date"] == "2024-03-10"


def test_locked_duckdb_file_names_the_other_process(duckdb_target, capsys):
    ensure_raw_tables(duckdb_target)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            str(duckdb_target.duckdb_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        code, line = _run(EXPORT, duckdb_target, capsys)
    finally:
        holder.communicate("")
    assert code == 1
    assert line.startswith(f"bizstats: error: {describe(duckdb_target)}: IO Error: ")
    assert f"(PID {holder.pid})" in line
    assert line.endswith("another bizstats (or dbt) process holds the file: wait for it to finish")


@pytest.mark.parametrize("command", [EXPORT, ["load", "DIR"]])
def test_mysql_connection_refused_is_one_line(command, tmp_path, monkeypatch, capsys):
    (tmp_path / "users.csv").write_text("user_id\nu1\n", encoding="utf-8")
    argv = [str(tmp_path) if arg == "DIR" else arg for arg in command]
    monkeypatch.setenv("BIZSTATS_MYSQL_HOST", "127.0.0.1")
    monkeypatch.setenv("BIZSTATS_MYSQL_PORT", "1")
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", "bizstats")
    code, line = _run(argv, Target("mysql"), capsys)
    assert code == 1
    assert line.startswith("bizstats: error: mysql 127.0.0.1:1/bizstats: (2003) Can't connect")
    assert line.endswith(
        "; is the server running? check BIZSTATS_MYSQL_HOST/_PORT/_USER/_PASSWORD"
    )


@pytest.fixture
def dashed_mysql_target(monkeypatch) -> Iterator[Target]:
    """A fresh MySQL schema whose name has a dash (quoted everywhere or it fails)."""
    require(mysql_up(), "MariaDB/MySQL")
    schema = f"biz-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", schema)
    yield Target("mysql")
    drop_mysql_schemas(schema)


def test_mysql_schema_with_a_dash_loads_builds_and_exports(dashed_mysql_target, tmp_path, capsys):
    target = dashed_mysql_target
    assert "-" in target.models_schema
    Warehouse(target, tmp_path).load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    # a rejected row and a duplicate delivery: the quarantine and duplicate queries run too
    late = tmp_path / "late"
    late.mkdir()
    (late / "event_logs.csv").write_text(
        "event_id,event_type,user_id,event_time,created_at\n"
        "v1,page_view,u1,2024-03-09 16:00:00,2024-03-09 16:00:00\n"
        "bad,page_view,u1,not a time,2024-03-09 16:00:00\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["load", str(late), "--target", "mysql"]) == 0
    assert "1 rejected (kept in _rejected_rows), 1 duplicate" in capsys.readouterr().out
    with connect(target) as con:
        rejected = qualified(target, target.raw_schema, "_rejected_rows")
        assert fetch_all(con, f"select field from {rejected}") == [("event_time",)]

    assert main(["build", "--start", "2024-03-10", "--end", "2024-03-11", "--target", "mysql"]) == 0
    # the second build is incremental: dbt reads the stored tables' columns under the dashed name
    assert main(["build", "--date", "2024-03-11", "--target", "mysql"]) == 0
    capsys.readouterr()
    assert main([*EXPORT, "--target", "mysql"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 30
    all_all = next(line for line in lines if ",all,all," in line)
    assert all_all.startswith("2024-03-10,all,all,7,5,9,1,1,1,3,30.00,30.00,42.34,")


def test_qualified_quotes_for_each_target():
    assert qualified(Target("mysql"), "rel-dash", "daily_stats") == "`rel-dash`.`daily_stats`"
    assert qualified(Target("duckdb"), "main", "daily_stats") == '"main"."daily_stats"'
    assert qualified(Target("mysql"), "a`b", "t") == "`a``b`.`t`"


def test_no_stray_files_from_read_only_commands(tmp_path, monkeypatch, capsys):
    # report reads through the same path as export: nothing appears under a wrong path
    path = tmp_path / "wrong" / "bizstats.duckdb"
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(path))
    with pytest.raises(BizstatsError, match="does not exist"):
        render_report(Target("duckdb"), date(2024, 3, 10))
    assert not path.parent.exists()
    assert os.listdir(tmp_path) == []
    capsys.readouterr()


def test_database_path_in_a_missing_folder_can_still_be_created(tmp_path, monkeypatch):
    # writing commands (load, build, demo) create the file and its folders as before
    path = tmp_path / "new" / "dir" / "bizstats.duckdb"
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(path))
    ensure_raw_tables(Target("duckdb"))
    assert Path(path).is_file()
