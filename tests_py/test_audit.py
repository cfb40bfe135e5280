"""The audit trail (审计日志) on DuckDB, kept outside the warehouse in a SQLite file whose
triggers refuse UPDATE and DELETE: each state-changing command leaves exactly one row (who,
what, arguments, reason, outcome), secrets never; commands at once each append theirs;
`bizstats audit list` filters; a changed monitoring config is audited once; the jobs' runs are
rows of `schedule`; the query API's access log holds the key id, not the secret, and rotates;
no route serves the audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient

from bizstats import audit_log
from bizstats.alerts import AlertConfig, raise_alerts
from bizstats.alerts.model import Alert
from bizstats.checks.config import default_path, load_thresholds
from bizstats.checks.thresholds_audit import WHAT as THRESHOLDS_CHANGED
from bizstats.checks.thresholds_audit import audit_thresholds
from bizstats.cli import main
from bizstats.commands.audit import os_user
from bizstats.config import Target
from bizstats.ops import job_runs
from bizstats.web.app import create_app
from tests_py.support.raw_files import write_csvs
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS

DAY = "2024-03-10"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    """A DuckDB warehouse loaded and built through the CLI: (target, its folder, data folder)."""
    with pytest.MonkeyPatch.context() as env:
        folder = tmp_path_factory.mktemp("audit")
        env.setenv("BIZSTATS_DUCKDB_PATH", str(folder / "w.duckdb"))
        env.setenv("BIZSTATS_ACCESS_LOG", str(folder / "logs" / "access.log"))
        env.setenv("BIZSTATS_ACCESS_LOG_MAX_BYTES", "2048")
        env.setenv("BIZSTATS_ACCESS_LOG_BACKUPS", "2")
        env.delenv("BIZSTATS_REDIS_URL", raising=False)
        data = folder / "data"
        write_csvs(data, {"event_logs": TRAFFIC_EVENTS, **BUSINESS})
        assert main(["load", str(data)]) == 0
        assert main(["build", "--start", DAY, "--end", DAY, "--reason", "refunds of 03-10 re-delivered",
                     "--by", "wang"]) == 0
        yield Target("duckdb"), folder, data


def _rows(target: Target, what: str) -> list[audit_log.Stored]:
    return [r for r in audit_log.list_entries(target, limit=1000) if r.what == what]


def test_a_load_and_a_backfill_each_leave_one_row(wh):
    target, _, data = wh
    [load] = _rows(target, "load")
    assert (load.who, load.target, load.outcome, load.error, load.reason) == (
        os_user(), "duckdb", "ok", "", "")
    assert json.loads(load.arguments) == {"directory": str(data)}
    [build] = _rows(target, "build")
    assert (build.who, build.outcome, build.reason) == ("wang", "ok", "refunds of 03-10 re-delivered")
    assert json.loads(build.arguments) == {
        "date": None, "start": DAY, "end": DAY, "full_refresh": False, "select": None,
    }
    assert load.at <= build.at


def test_a_failing_command_leaves_one_error_row(wh, capsys):
    target, _, _ = wh
    assert main(["alerts", "ack", "999", "--by", "li", "--note", "looking"]) == 1
    assert "bizstats: error: no alert 999" in capsys.readouterr().err
    [row] = _rows(target, "alerts ack")
    assert (row.who, row.outcome) == ("li", "error")
    assert row.error.startswith("no alert 999 on duckdb")
    assert json.loads(row.arguments) == {"id": 999, "note": "looking"}


def test_an_alert_ack_and_resolve(wh):
    target, _, _ = wh
    alert = Alert("outlier", "general", "pv", "PV", "all/all", date(2024, 3, 10), None, None, "> 3x", "check")
    [stored] = [s for s in raise_alerts(target, [alert], AlertConfig()).alerts]
    before = len(_rows(target, "alerts ack"))
    assert main(["alerts", "ack", str(stored.id), "--by", "zhao"]) == 0
    acks = _rows(target, "alerts ack")
    assert len(acks) == before + 1
    assert (acks[0].who, acks[0].outcome, json.loads(acks[0].arguments)) == (
        "zhao", "ok", {"id": stored.id, "note": ""})
    assert main(["alerts", "resolve", str(stored.id), "--by", "zhao", "--note", "fixed"]) == 0
    [resolved] = _rows(target, "alerts resolve")
    assert (resolved.outcome, json.loads(resolved.arguments)) == ("ok", {"id": stored.id, "note": "fixed"})


def test_key_create_and_revoke_never_store_the_secret(wh, capsys):
    target, _, _ = wh
    capsys.readouterr()
    assert main(["keys", "create", "--name", "finance-bi", "--by", "qian"]) == 0
    token = capsys.readouterr().out.strip()
    key_id, secret = token.split("_")[1], token.split("_", 2)[2]
    [created] = _rows(target, "keys create")
    assert (created.who, created.outcome) == ("qian", "ok")
    assert json.loads(created.arguments) == {"name": "finance-bi", "scope": "read"}

    # someone pastes the whole key where its id belongs: refused, and the secret is masked
    assert main(["keys", "revoke", token]) == 1
    assert main(["keys", "revoke", key_id]) == 0
    failed, revoked = sorted(_rows(target, "keys revoke"), key=lambda r: r.id)
    assert (failed.outcome, json.loads(failed.arguments)) == ("error", {"key_id": f"bzs_{key_id}_***"})
    assert secret not in failed.error
    assert (revoked.outcome, json.loads(revoked.arguments)) == ("ok", {"key_id": key_id})
    every = json.dumps([r.__dict__ for r in audit_log.list_entries(target, limit=1000)], default=str)
    assert secret not in every


# the commands that change nothing (every other one is in AUDITED): a new command must be
# put in one of the two
READ_ONLY = {
    "alerts list", "alerts test", "audit list", "backup list", "backup verify", "db roles", "export",
    "keys list", "quarantine list", "report", "retention plan", "runs", "schedule", "serve",
    # a local Spark Thrift server started and stopped: a process, not the warehouse
    "spark up", "spark down", "spark status",
}


def test_every_command_is_audited_or_changes_nothing():
    from bizstats.cli import _parser
    from bizstats.commands.audit import AUDITED, command_words

    parser = _parser()
    leaves = set()

    def walk(p, words):
        action = next((a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"), None)
        if action is None:
            leaves.add(" ".join(words))
            return
        for word, child in action.choices.items():
            walk(child, (*words, word))

    walk(parser, ())
    assert sorted(leaves - AUDITED - READ_ONLY) == []
    assert sorted(AUDITED - leaves) == []  # each name is a real command (the groups registered)
    args = parser.parse_args(["keys", "revoke", "abc", "--by", "x"])
    assert command_words(parser, args) == ("keys revoke", ["command", "keys_command"])
    assert args.by == "x"


def test_a_bad_access_log_setting_is_one_line_naming_it():
    from bizstats.errors import BizstatsError
    from bizstats.web.access_log import AccessLogSettings

    bad_size = r"^BIZSTATS_ACCESS_LOG_MAX_BYTES must be a whole number from 1024 "
    with pytest.raises(BizstatsError, match=bad_size):
        AccessLogSettings.from_env({"BIZSTATS_ACCESS_LOG_MAX_BYTES": "12x"})
    with pytest.raises(BizstatsError, match=r"^BIZSTATS_ACCESS_LOG_BACKUPS must be"):
        AccessLogSettings.from_env({"BIZSTATS_ACCESS_LOG_BACKUPS": "0"})


def test_the_trail_is_outside_the_warehouse_and_append_only(wh, capsys):
    """DuckDB: the rows are in `<warehouse>.audit.sqlite`, not in the warehouse file; its
    triggers refuse UPDATE and DELETE; while another process holds the warehouse file, a
    command whose change is elsewhere (keys create) is made and audited (its row has a file of
    its own, so no change goes unaudited and none is refused for the audit's sake)."""
    import sqlite3
    import subprocess
    import sys

    import duckdb

    from bizstats.web.query.keys import list_keys

    target, folder, _ = wh
    assert audit_log.sqlite_path(target) == folder / "w.duckdb.audit.sqlite"
    con = duckdb.connect(str(target.duckdb_path), read_only=True)
    try:
        tables = con.execute("select table_name from information_schema.tables "
                             "where table_name like '%audit%'").fetchall()
    finally:
        con.close()
    assert tables == []
    lite = sqlite3.connect(audit_log.sqlite_path(target))
    try:
        assert lite.execute("pragma journal_mode").fetchone() == ("wal",)
        count = lite.execute("select count(*) from audit_log").fetchone()[0]
        for sql in ("update audit_log set who = 'x'", "delete from audit_log",
                    "update audit_log set outcome = 'ok' where outcome = 'error'"):
            with pytest.raises(sqlite3.IntegrityError, match="audit_log is append-only"):
                lite.execute(sql)
        assert lite.execute("select count(*) from audit_log where who = 'x'").fetchone() == (0,)
    finally:
        lite.close()
    before = len(list_keys(target))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(target.duckdb_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        capsys.readouterr()
        assert main(["keys", "create", "--name", "while-held", "--by", "sun"]) == 0
    finally:
        holder.communicate("")
    assert capsys.readouterr().out.startswith("bzs_")
    assert len(list_keys(target)) == before + 1
    [row] = [r for r in _rows(target, "keys create") if r.who == "sun"]
    assert (row.outcome, json.loads(row.arguments)) == ("ok", {"name": "while-held", "scope": "read"})
    assert len(audit_log.list_entries(target, limit=1000)) == count + 1


def test_secrets_in_arguments_are_masked():
    assert audit_log.redact_arguments({
        "password": "hunter2", "api_key": "k", "url": "redis://u:pw@cache:6379/0?token=abc",
        "name": "x", "empty_secret": "",
    }) == {
        "password": "***", "api_key": "***", "url": "redis://u:***@cache:6379/0?token=***",
        "name": "x", "empty_secret": "",
    }


def test_audit_list_filters_newest_first(wh, capsys):
    capsys.readouterr()
    assert main(["audit", "list", "--what", "keys"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["AT", "(UTC)", "WHO", "WHAT", "OUTCOME", "ARGUMENTS", "REASON", "/", "ERROR"]
    assert [line.split()[3:5] for line in lines[1:]] == [
        ["keys", "create"], ["keys", "revoke"], ["keys", "revoke"], ["keys", "create"]]
    assert main(["audit", "list", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["audit", "list", "--what", "build", "--since", "2000-01-01"]) == 0
    [_, build] = capsys.readouterr().out.splitlines()
    assert " wang " in build and "refunds of 03-10 re-delivered" in build
    with pytest.raises(SystemExit) as exit_:  # argparse: one line naming it
        main(["audit", "list", "--since", "2024-13-01"])
    assert exit_.value.code == 2
    assert "--since: not a date (YYYY-MM-DD): '2024-13-01'" in capsys.readouterr().err


def test_a_changed_monitoring_config_is_audited_once(wh, tmp_path):
    target, _, _ = wh
    path = default_path()
    assert audit_thresholds(target, path, load_thresholds(path)) is True
    assert audit_thresholds(target, path, load_thresholds(path)) is False  # the same: nothing
    changed = tmp_path / "monitoring.yml"
    changed.write_text(path.read_text(encoding="utf-8").replace("floor: 1000\n", "floor: 2000\n", 1),
                       encoding="utf-8")
    assert audit_thresholds(target, changed, load_thresholds(changed)) is True
    assert audit_thresholds(target, changed, load_thresholds(changed)) is False
    first, second = sorted(_rows(target, THRESHOLDS_CHANGED), key=lambda r: r.id)
    assert (second.who, second.outcome) == ("checks", "ok")
    args = json.loads(second.arguments)
    assert (args["file"], args["added"], args["removed"]) == (str(changed), [], [])
    assert args["changed"] == [k for k in sorted(args["keys"]) if k.startswith("missing/pv/")]
    assert args["changed"]
    assert json.loads(first.arguments)["added"] == sorted(args["keys"])


def test_a_job_run_is_a_row_of_the_schedule(wh):
    target, _, _ = wh
    run = job_runs.start_run(target, "daily", "daily", date(2024, 3, 10), date(2024, 3, 10))
    failed = job_runs.JobRun(**{**run.__dict__, "outcome": "failed", "error": "dbt failed"})
    job_runs.finish_run(target, failed)
    [row] = _rows(target, "job daily")
    assert (row.who, row.outcome, row.error) == ("schedule", "error", "dbt failed")
    assert json.loads(row.arguments) == {"run_id": run.run_id, "start": DAY, "end": DAY}


def test_the_access_log_has_the_key_id_and_rotates_and_no_route_serves_the_audit(wh):
    target, folder, _ = wh
    from bizstats.web.query.keys import create_key

    key, token = create_key(target, "access-log")
    secret = token.split("_", 2)[2]
    log = folder / "logs" / "access.log"
    with TestClient(create_app(target)) as client:
        paths = {getattr(r, "path", "") for r in client.app.routes}
        assert not [p for p in paths if "audit" in p.lower()]
        headers = {"Authorization": f"Bearer {token}"}
        answer = client.get(f"/api/stats/daily?start={DAY}&end={DAY}&channel=all&device=all&token=x",
                            headers=headers)
        assert answer.status_code in (200, 422)
        status = answer.status_code
        assert "audit" not in answer.text
        assert client.get("/api/audit", headers=headers).status_code == 404
        assert client.get("/healthz").status_code == 200  # not the query API: not logged
        first = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
        for _ in range(40):  # ~190 bytes a line: 2048 bytes rotate; two old files are kept
            client.get(f"/api/stats/daily?start={DAY}&end={DAY}", headers=headers)
    assert {k: first[k] for k in ("key_id", "method", "route", "status")} == {
        "key_id": key.key_id, "method": "GET", "route": "/api/stats/daily", "status": status}
    assert first["params"] == {"start": DAY, "end": DAY, "channel": "all", "device": "all", "token": "***"}
    assert first["ms"] >= 0 and first["time"].endswith("+00:00")
    rotated = sorted(p.name for p in log.parent.iterdir())
    assert rotated == ["access.log", "access.log.1", "access.log.2"]
    text = "".join(p.read_text(encoding="utf-8") for p in log.parent.iterdir())
    assert secret not in text and token not in text
    assert "/healthz" not in text
    assert all(len(p.read_bytes()) <= 2048 for p in log.parent.iterdir())


def test_commands_at_once_each_append_their_rows(tmp_path, monkeypatch):
    """DuckDB's trail (a SQLite file in WAL mode with a busy timeout): four processes appending
    at once, none fails and no row is lost or doubled."""
    import subprocess
    import sys

    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    code = ("import sys; from bizstats import audit_log; from bizstats.config import Target; "
            "[audit_log.record(Target('duckdb'), audit_log.Entry(sys.argv[1], 'load', 'duckdb', {'n': n})) "
            "for n in range(25)]")
    writers = [subprocess.Popen([sys.executable, "-c", code, f"w{i}"], stderr=subprocess.PIPE, text=True)
               for i in range(4)]
    errors = [w.communicate()[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], errors
    rows = audit_log.list_entries(Target("duckdb"), limit=1000)
    assert len(rows) == 100 and len({r.id for r in rows}) == 100
    assert sorted((r.who, json.loads(r.arguments)["n"]) for r in rows) == [
        (f"w{i}", n) for i in range(4) for n in range(25)]
