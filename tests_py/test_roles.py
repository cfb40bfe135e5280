"""Least privilege (最小权限) on MariaDB/MySQL: the accounts of `bizstats db roles --print`,
created for a schema of the test's own (account names derived from it, dropped after), each
doing its job with its grants only and refused the others' (the reader cannot write or read
raw, the collector cannot read the marts, the loader cannot write the models)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pymysql
import pytest
from fastapi.testclient import TestClient
from pymysql.constants import CLIENT

from bizstats import roles
from bizstats.checks import run_checks
from bizstats.config import Target, project_dir
from bizstats.settings import settings
from tests_py.support.collector import COLLECT_ENV, ORIGIN, SITE_KEY, browser_view
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.services import drop_mysql_schemas, mysql_schema, mysql_up, require
from tests_py.support.warehouse import Warehouse

DAY = "2024-03-10"
JOBS = (*roles.JOBS, roles.SERVE)


def _password(job: str) -> str:
    return f"pw-{job}-7f3a"


def _root() -> pymysql.Connection:
    s = settings().mysql
    return pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password, autocommit=True,
                           client_flag=CLIENT.MULTI_STATEMENTS)


def _as(job: str, schema: str) -> pymysql.Connection:
    s = settings().mysql
    return pymysql.connect(host=s.host, port=s.port, user=roles.account(schema, job), password=_password(job),
                           autocommit=True)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    """A warehouse built, checked and prepared by the administrator (root), then the accounts
    of the printed SQL (passwords filled in): (target, schema, env patcher)."""
    require(mysql_up(), "MariaDB/MySQL")
    with pytest.MonkeyPatch.context() as env:
        schema = mysql_schema("t")
        env.setenv("BIZSTATS_MYSQL_SCHEMA", schema)
        for name, value in COLLECT_ENV.items():
            env.setenv(name, value)
        target = Target("mysql")
        con = _root()
        try:
            w = Warehouse(target, tmp_path_factory.mktemp("roles"))
            w.load(event_logs=TRAFFIC_EVENTS[:10], **BUSINESS)
            w.build(start=DAY, end=DAY)
            run_checks(target, date(2024, 3, 10), date(2024, 3, 10))
            roles.prepare(target)
            sql = roles.roles_sql(schema, project_dir())
            for job in JOBS:
                sql = sql.replace("${" + f"{job.upper()}_PASSWORD" + "}", _password(job))
            assert "_PASSWORD}" not in sql.replace("${..._PASSWORD}", "")
            with con.cursor() as cur:
                cur.execute(sql)
                while cur.nextset():
                    pass
            yield target, schema, env
        finally:
            with con.cursor() as cur:
                cur.execute(roles.drop_sql(schema))
                while cur.nextset():
                    pass
            con.close()
            drop_mysql_schemas(schema)


def _refused(con: pymysql.Connection, sql: str) -> int:
    """The error code of `sql`, which must fail."""
    with pytest.raises(pymysql.err.MySQLError) as failed, con.cursor() as cur:
        cur.execute(sql)
    return int(failed.value.args[0])


def _cli(job: str, schema: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BIZSTATS_MYSQL_USER": roles.account(schema, job),
           "BIZSTATS_MYSQL_PASSWORD": _password(job), "BIZSTATS_MYSQL_SCHEMA": schema}
    return subprocess.run([sys.executable, "-m", "bizstats.cli", *argv, "--target", "mysql"],
                          capture_output=True, text=True, env=env, timeout=300)


def test_the_printed_sql_names_passwords_as_placeholders_only(capsys):
    from bizstats.cli import main

    assert main(["db", "roles", "--print", "--schema", "shop"]) == 0
    sql = capsys.readouterr().out
    assert "CREATE USER IF NOT EXISTS `shop_reader`@'%' IDENTIFIED BY '${READER_PASSWORD}';" in sql
    assert "GRANT SELECT ON `shop`.`daily_stats` TO `shop_reader_role`;" in sql
    assert "GRANT SELECT ON `shop_raw`.* TO `shop_builder_role`;" in sql
    assert "GRANT INSERT ON `shop_audit`.`audit_log` TO `shop_builder_role`;" in sql
    assert "GRANT SELECT, INSERT ON `shop_audit`.`audit_log` TO `shop_admin_role`;" in sql
    assert [line for line in sql.splitlines() if "audit" in line and ("UPDATE" in line or "DELETE" in line
                                                                      or "ALL" in line)] == []
    assert [line for line in sql.splitlines() if "reader_role" in line and "raw" in line] == []
    assert main(["db", "roles", "--print", "--schema", "x'y"]) == 1
    assert "--schema must be" in capsys.readouterr().err


def test_each_account_does_its_job(wh, tmp_path):
    target, schema, env = wh
    # the loader loads a file (through the CLI: its audit row written with its grants)
    folder = str(tmp_path)
    with open(tmp_path / "event_logs.csv", "w", encoding="utf-8") as fh:
        fh.write("event_id,event_type,device_id,event_time,created_at\n"
                 "late-1,page_view,d9,2024-03-10 03:00:00,2024-03-10 03:00:01\n")
    loaded = _cli("loader", schema, "load", folder, "--by", "loader-test")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 1 rows" in loaded.stdout
    # the builder builds the day the late row touched, with a reason
    built = _cli("builder", schema, "build", "--start", DAY, "--end", DAY, "--reason", "late row")
    assert built.returncode == 0, built.stderr
    # the reader exports the marts
    exported = _cli("reader", schema, "export", "daily_stats", "--start", DAY, "--end", DAY,
                    "--channel", "all", "--device", "all")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines()[1].startswith(f"{DAY},all,all,")
    # the admin lists the audit: both rows, ok
    listed = _cli("admin", schema, "audit", "list")
    assert listed.returncode == 0, listed.stderr
    whats = [line.split()[3] for line in listed.stdout.splitlines()[1:]]
    assert whats[:2] == ["build", "load"]


def test_serve_collects_and_answers_with_its_account(wh):
    target, schema, env = wh
    from bizstats.web.app import create_app
    from bizstats.web.query.keys import create_key

    _, token = create_key(target, "roles-test")  # as the administrator
    env.setenv("BIZSTATS_MYSQL_USER", roles.account(schema, roles.SERVE))
    env.setenv("BIZSTATS_MYSQL_PASSWORD", _password(roles.SERVE))
    try:
        event = browser_view()
        with TestClient(create_app(target)) as client:
            stored = client.post(f"/api/report?key={SITE_KEY}", content=json.dumps(event),
                                 headers={"origin": ORIGIN})
            answer = client.get(f"/api/stats/daily?start={DAY}&end={DAY}&channel=all&device=all",
                                headers={"Authorization": f"Bearer {token}"})
    finally:
        env.delenv("BIZSTATS_MYSQL_USER")
        env.delenv("BIZSTATS_MYSQL_PASSWORD")
    assert stored.status_code == 200, stored.text
    assert stored.json()["new"] == [event["event_id"]]
    assert answer.status_code == 200, answer.text


def test_each_account_is_refused_the_others_jobs(wh):
    _, schema, _ = wh
    raw, models, audit = f"`{schema}_raw`", f"`{schema}`", f"`{schema}_audit`"
    reader = _as("reader", schema)
    for sql in (
        f"insert into {models}.daily_stats (stat_date) values ('2030-01-01')",
        f"update {models}.daily_stats set pv = 0",
        f"delete from {models}.daily_stats",
        f"drop table {models}.daily_stats",
        f"create table {models}.x (a int)",
        f"insert into {models}.bizstats_api_keys (key_id) values ('x')",
        f"select count(*) from {raw}.event_logs",
        f"select count(*) from {audit}.audit_log",
        f"insert into {audit}.audit_log (who) values ('x')",
        f"select count(*) from {models}.bizstats_build_state",
    ):
        assert _refused(reader, sql) in (1142, 1044), sql
    with reader.cursor() as cur:
        cur.execute(f"select count(*) from {models}.daily_stats")
        assert cur.fetchone()[0] > 0
    collector = _as("collector", schema)
    for sql in (f"select count(*) from {models}.daily_stats", f"select count(*) from {raw}.users",
                f"insert into {raw}.orders (order_id) values ('x')", f"delete from {raw}.event_logs"):
        assert _refused(collector, sql) in (1142, 1044), sql
    loader = _as("loader", schema)
    for sql in (f"insert into {models}.daily_stats (stat_date) values ('2030-01-01')",
                f"select count(*) from {models}.daily_stats", f"delete from {raw}.event_logs",
                f"update {audit}.audit_log set who = 'x'", f"drop table {raw}.users"):
        assert _refused(loader, sql) in (1142, 1044), sql
    builder = _as("builder", schema)
    for sql in (f"update {audit}.audit_log set who = 'x'", f"delete from {audit}.audit_log",
                f"insert into {raw}.users (user_id) values ('x')"):
        assert _refused(builder, sql) in (1142, 1044), sql
    admin = _as("admin", schema)
    # the audit trail is append-only for every account, the admin too (who reads it)
    for sql in (f"update {audit}.audit_log set who = who where 1 = 0", f"delete from {audit}.audit_log",
                f"drop table {audit}.audit_log"):
        assert _refused(admin, sql) in (1142, 1044), sql
    with admin.cursor() as cur:
        cur.execute(f"select count(*) from {audit}.audit_log")
        assert cur.fetchone()[0] >= 1
    for con in (reader, collector, loader, builder, admin):
        con.close()
