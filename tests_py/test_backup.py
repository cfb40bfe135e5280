"""Backups and the restore drill (备份与恢复演练), on DuckDB and MariaDB: a backup restored into
a fresh file or database equals its source table by table (row counts and checksums, and the
marts row by row); a flipped byte, a cut file, a wrong key or a target that is not fresh is
refused with one line and nothing is made; backups older than the kept days are pruned; the
daily job runs at 03:00 and a failed backup raises an alert.

Warehouse: the hand-computed sample (support/sample_data), built once per target for the
module (2024-03-01 .. 03-12); a key store and its pseudonym secret beside the DuckDB file."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from bizstats.backup import BackupStore, Damaged, restore_backup, run_backup, verify_backup
from bizstats.backup.tables import duckdb_figures, mysql_figures
from bizstats.backup_settings import BackupSettings
from bizstats.config import Target
from bizstats.db import connect, fetch_all
from bizstats.errors import BizstatsError
from tests_py.support.receivers import alert_config
from tests_py.support.sample_data import TRAFFIC_EVENTS, TRAFFIC_EXPECTED
from tests_py.support.services import drop_mysql_schemas, mysql_schema
from tests_py.support.warehouse import built_warehouse

BIZSTATS = str(Path(sys.executable).parent / "bizstats")
KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
OTHER_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()
NOW = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def built(request, tmp_path_factory):
    """The sample warehouse built once per target, with an API key and the pseudonym secret
    (DuckDB: both in files beside the database; MySQL: tables)."""
    with pytest.MonkeyPatch.context() as env:
        w = built_warehouse(request.param, tmp_path_factory, env)
        from bizstats.privacy import warehouse_secret
        from bizstats.web.query.keys import create_key

        _record, token = create_key(w.target, "finance-bi")
        warehouse_secret(w.target)
        schema = w.target.models_schema if request.param == "mysql" else None  # read while set
        yield w, dict(os.environ), token
    if schema:
        drop_mysql_schemas(schema)


@pytest.fixture
def warehouse(built, monkeypatch):
    w, env, _token = built
    for name in ("BIZSTATS_DUCKDB_PATH", "BIZSTATS_MYSQL_SCHEMA"):
        if name in env:  # as the module's fixture left it (CI sets neither for duckdb's)
            monkeypatch.setenv(name, env[name])
        else:
            monkeypatch.delenv(name, raising=False)
    return w


def _config(keep_days: int = 30, key: str = KEY) -> BackupSettings:
    return BackupSettings.from_env(
        {
            "BIZSTATS_BACKUP_DIR": f"memory://backups-{uuid.uuid4().hex[:8]}",
            "BIZSTATS_BACKUP_KEY": key,
            "BIZSTATS_BACKUP_KEEP_DAYS": str(keep_days),
        }
    )


def _fresh(target: Target, tmp_path: Path) -> str:
    return mysql_schema("t") if target.name == "mysql" else str(tmp_path / "restored" / "copy.duckdb")


def _figures(target: Target, where: str) -> list:
    """Every table's figures of the warehouse `where` (a DuckDB file, or a models database)."""
    if target.name == "duckdb":
        con = duckdb.connect(where, read_only=True)
        try:
            return duckdb_figures(con)
        finally:
            con.close()
    with connect(target) as con:
        return mysql_figures(con.cursor(), {"models": where, "raw": f"{where}_raw"})


def _daily_stats(target: Target, where: str) -> list[tuple]:
    sql = "select * from {t} order by stat_date, channel, device_type"
    if target.name == "duckdb":
        con = duckdb.connect(where, read_only=True)
        try:
            return con.execute(sql.format(t="main.daily_stats")).fetchall()
        finally:
            con.close()
    with connect(target) as con:
        return fetch_all(con, sql.format(t=f"`{where}`.daily_stats"))


def _source(target: Target) -> str:
    return str(target.duckdb_path) if target.name == "duckdb" else target.models_schema


def _drop_later(target: Target, into: str, request) -> None:
    if target.name == "mysql":
        request.addfinalizer(lambda: drop_mysql_schemas(into))


def test_a_restored_backup_equals_its_source_table_by_table(warehouse, tmp_path, request, monkeypatch):
    wh = warehouse
    config = _config()
    manifest, pruned = run_backup(wh.target, config, now=NOW)
    assert pruned == []
    store = BackupStore(config.directory)
    assert store.ids() == [manifest.id] and manifest.id.startswith(f"20261207T190000Z-{wh.target.name}-")
    names = {m.name for m in manifest.members}
    assert names == (
        {"mysql.sql"} if wh.target.name == "mysql" else {"warehouse.duckdb", "keys.sqlite", "pseudonym-key"}
    )
    assert verify_backup(store, manifest.id, config.require_key()) == manifest
    into = _fresh(wh.target, tmp_path)
    _drop_later(wh.target, into, request)
    restored = restore_backup(store, manifest.id, config.require_key(), into)
    source = _figures(wh.target, _source(wh.target))
    copy = _figures(wh.target, into)
    assert copy == source == list(restored.tables) == list(manifest.tables)
    tables = {f.table for f in copy}
    assert {"daily_stats", "hourly_stats", "event_logs", "users", "bizstats_builds"} <= tables
    # DuckDB keeps every delivery of an event, MySQL one row per event_id
    events = (
        len(TRAFFIC_EVENTS) if wh.target.name == "duckdb" else len({e["event_id"] for e in TRAFFIC_EVENTS})
    )
    assert [f.rows for f in copy if f.table == "event_logs"] == [events]
    rows = _daily_stats(wh.target, into)
    assert rows == _daily_stats(wh.target, _source(wh.target))
    assert len(rows) == 12 * 30  # 03-01 .. 03-12, 30 slices a day
    # the copy answers as the source does
    monkeypatch.setenv(
        "BIZSTATS_DUCKDB_PATH" if wh.target.name == "duckdb" else "BIZSTATS_MYSQL_SCHEMA", into
    )
    for (day, channel, device), (pv, uv, duration) in TRAFFIC_EXPECTED.items():
        found = wh.daily(day, channel, device)
        assert (found["pv"], found["uv"], found["avg_visit_duration"]) == (pv, uv, duration)
    monkeypatch.setenv(
        "BIZSTATS_DUCKDB_PATH" if wh.target.name == "duckdb" else "BIZSTATS_MYSQL_SCHEMA", _source(wh.target)
    )
    if wh.target.name == "duckdb":  # the side files come back beside the copy, byte for byte
        for suffix in (".keys.sqlite", ".pseudonym-key"):
            assert Path(into + suffix).read_bytes() == Path(_source(wh.target) + suffix).read_bytes()
    # a second restore into the same place is refused and leaves the first one whole
    with pytest.raises(BizstatsError, match="restore into a new"):
        restore_backup(store, manifest.id, config.require_key(), into)
    assert _figures(wh.target, into) == copy


def _stored(store: BackupStore, backup_id: str, name: str) -> bytes:
    with store.reader(backup_id, name) as fh:
        return fh.read()


def _put(store: BackupStore, backup_id: str, name: str, data: bytes) -> None:
    with store.writer(backup_id, name) as fh:
        fh.write(data)


def test_a_damaged_backup_or_a_wrong_key_is_refused_and_nothing_is_made(warehouse, tmp_path, request):
    wh = warehouse
    config = _config()
    manifest, _ = run_backup(wh.target, config, now=NOW)
    store, key = BackupStore(config.directory), config.require_key()
    [big] = [m for m in manifest.members if m.name in ("warehouse.duckdb", "mysql.sql")]
    good = _stored(store, manifest.id, big.stored)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01
    into = _fresh(wh.target, tmp_path)
    _drop_later(wh.target, into, request)
    cases = [
        (bytes(flipped), r"does not decrypt at chunk \d+: the file was altered or damaged"),
        (good[: len(good) - 100], r"is truncated: it ends before its last chunk"),
        (good[:10], r"is not a bizstats backup file"),
    ]
    for data, message in cases:
        _put(store, manifest.id, big.stored, data)
        with pytest.raises(Damaged, match=f"backup {manifest.id}: {big.stored} {message}"):
            verify_backup(store, manifest.id, key)
        with pytest.raises(Damaged, match=message):
            restore_backup(store, manifest.id, key, into)
        _nothing_made(wh.target, into)
    _put(store, manifest.id, big.stored, good)
    other = BackupSettings.from_env({"BIZSTATS_BACKUP_KEY": OTHER_KEY}).require_key()
    with pytest.raises(Damaged, match=r"was encrypted with another key \(key id [0-9a-f]{16}; "):
        restore_backup(store, manifest.id, other, into)
    _nothing_made(wh.target, into)
    assert verify_backup(store, manifest.id, key) == manifest  # whole again


def _nothing_made(target: Target, into: str) -> None:
    if target.name == "duckdb":
        assert not Path(into).parent.exists() or list(Path(into).parent.iterdir()) == []
        return
    with connect(target) as con:
        found = fetch_all(
            con,
            "select schema_name from information_schema.schemata where schema_name in (%s, %s)",
            (into, f"{into}_raw"),
        )
    assert found == []


def test_backups_older_than_the_kept_days_are_pruned(duckdb_target, tmp_path):
    from bizstats.db import ensure_raw_tables

    ensure_raw_tables(duckdb_target)
    config = _config(keep_days=30)
    store = BackupStore(config.directory)
    made = [run_backup(duckdb_target, config, now=NOW - timedelta(days=days))[0].id for days in (40, 31, 29)]
    cut_short = f"{NOW - timedelta(days=35):%Y%m%dT%H%M%SZ}-duckdb-0000"  # killed before its manifest
    _put(store, cut_short, "warehouse.duckdb.gz.enc", b"partial")
    assert store.manifest(cut_short) is None
    with pytest.raises(Damaged, match=rf"backup {cut_short} is incomplete \(no manifest\): it was cut"):
        verify_backup(store, cut_short, config.require_key())
    # none was older than 30 days when the next one ran
    assert store.ids() == sorted([*made, cut_short])
    latest, pruned = run_backup(duckdb_target, config, now=NOW)
    assert sorted(pruned) == sorted([made[0], cut_short, made[1]])
    assert store.ids() == [made[2], latest.id]
    # the newest complete backup is kept however old
    alone = _config(keep_days=1)
    old, _ = run_backup(duckdb_target, alone, now=NOW - timedelta(days=9))
    assert BackupStore(alone.directory).prune(1, NOW) == []


def test_settings_are_checked_in_one_line_without_the_key():
    with pytest.raises(BizstatsError, match="BIZSTATS_BACKUP_KEY is not set"):
        BackupSettings.from_env({}).require_key()
    short = "short-secret"
    with pytest.raises(BizstatsError, match="BIZSTATS_BACKUP_KEY is not a backup key") as caught:
        BackupSettings.from_env({"BIZSTATS_BACKUP_KEY": short})
    assert short not in str(caught.value)
    # a key in base64 as is; a passphrase stretched, the same each time
    assert BackupSettings.from_env({"BIZSTATS_BACKUP_KEY": KEY}).key == b"k" * 32
    phrase = BackupSettings.from_env({"BIZSTATS_BACKUP_KEY": "correct horse battery staple"}).key
    assert phrase == BackupSettings.from_env({"BIZSTATS_BACKUP_KEY": "correct horse battery staple"}).key
    assert phrase is not None and len(phrase) == 32 and phrase != b"k" * 32
    with pytest.raises(BizstatsError, match="BIZSTATS_BACKUP_KEEP_DAYS must be a whole number of days"):
        BackupSettings.from_env({"BIZSTATS_BACKUP_KEEP_DAYS": "0"})
    assert BackupSettings.from_env({}) == BackupSettings("backups", 30, None)


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIZSTATS, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("built", ["duckdb"], indirect=True)
def test_the_drill_through_the_cli_and_no_secret_in_a_backup(built, tmp_path):
    """`bizstats backup run | list | verify | restore` as a user runs them (DuckDB); nothing
    stored holds a setting's value, in the stored bytes or decrypted."""
    w, source_env, token = built
    secrets_in_settings = {
        "BIZSTATS_MYSQL_PASSWORD": "pw-" + uuid.uuid4().hex,
        "BIZSTATS_COLLECT_PSEUDONYM_KEY": "ps-" + uuid.uuid4().hex,
    }
    env = dict(
        source_env,
        BIZSTATS_BACKUP_DIR=str(tmp_path / "backups"),
        BIZSTATS_BACKUP_KEY=KEY,
        **secrets_in_settings,
    )
    ran = _cli(["backup", "run"], env)
    assert ran.returncode == 0, ran.stderr
    backup_id = ran.stdout.strip()
    listed = _cli(["backup", "list"], env)
    assert listed.stdout.splitlines()[1].startswith(f"{backup_id}\t") and listed.stdout.endswith(
        "\tcomplete\n"
    )
    assert _cli(["backup", "list", "--target", "mysql"], env).stdout.count("\n") == 1  # the header only
    wrong = _cli(["backup", "verify", backup_id, "--target", "mysql"], env)
    assert wrong.stderr == f"bizstats: error: backup {backup_id} is a duckdb backup, not mysql\n"
    verified = _cli(["backup", "verify", backup_id], env)
    assert verified.stdout.startswith(f"backup {backup_id}: ok (3 files, "), verified.stderr
    into = tmp_path / "drill" / "copy.duckdb"
    restored = _cli(["backup", "restore", backup_id, "--into", str(into)], env)
    assert restored.returncode == 0, restored.stderr
    last = restored.stdout.splitlines()[-1]
    assert last.startswith(f"backup {backup_id} restored into {into}: ") and last.endswith(
        "equal to the backup's record"
    )
    assert _daily_stats(w.target, str(into)) == _daily_stats(w.target, str(w.target.duckdb_path))
    assert len(restored.stdout.splitlines()) == len(_figures(w.target, str(into))) + 1  # a line per table
    folder = tmp_path / "backups" / backup_id
    store, key = BackupStore(str(tmp_path / "backups")), BackupSettings.from_env(env).require_key()
    from bizstats.backup.crypto import unseal

    for path in folder.iterdir():
        plain = b""
        if path.name.endswith(".enc"):
            with open(path, "rb") as fh:
                plain = b"".join(unseal(fh, key, path.name))
        # nor an API key's secret: the key store holds its hash only
        for value in [KEY, *secrets_in_settings.values(), token.split("_", 2)[2]]:
            assert value.encode() not in path.read_bytes() + plain, (path.name, value)
    assert store.manifest(backup_id) is not None
    # a flipped byte: one line, exit 1, nothing made
    damaged = folder / "warehouse.duckdb.gz.enc"
    data = bytearray(damaged.read_bytes())
    data[-20] ^= 0x80
    damaged.write_bytes(bytes(data))
    refused = _cli(["backup", "restore", backup_id, "--into", str(tmp_path / "second" / "copy.duckdb")], env)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1].startswith(
        f"bizstats: error: backup {backup_id}: warehouse.duckdb.gz.enc does not decrypt at chunk "
    )
    assert "Traceback" not in refused.stderr and not (tmp_path / "second").exists()
    missing = _cli(["backup", "run"], {k: v for k, v in env.items() if k != "BIZSTATS_BACKUP_KEY"})
    assert missing.stderr.startswith("bizstats: error: BIZSTATS_BACKUP_KEY is not set")


def test_the_backup_job_runs_at_03_and_a_failed_backup_raises_an_alert(duckdb_target, tmp_path, smtp, http):
    from bizstats.db import ensure_raw_tables
    from bizstats.ops.job_runs import list_runs
    from bizstats.ops.runner import deployments
    from bizstats.ops.schedules import JOBS, job_range

    assert (JOBS["backup"].cron, JOBS["backup"].label) == ("0 3 * * *", "每日备份任务 backup job")
    assert job_range("backup", date(2026, 12, 7)) == (date(2026, 12, 7), date(2026, 12, 7))
    crons = {d.name: d.schedules[0].schedule.cron for d in deployments("duckdb")}
    assert crons["bizstats-backup-duckdb"] == "0 3 * * *" and len(crons) == 5
    ensure_raw_tables(duckdb_target)
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "BIZSTATS_BACKUP_KEY")}
    env.update(
        BIZSTATS_ALERTS_CONFIG=alert_config(tmp_path, smtp.port, http),
        PREFECT_HOME=str(tmp_path / "prefect"),
        BIZSTATS_BACKUP_DIR=str(tmp_path / "backups"),
    )
    failed = _cli(["run", "backup", "--date", "2026-12-07"], env)
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1].startswith(
        "bizstats: error: backup run failed: BIZSTATS_BACKUP_KEY is not set"
    )
    [run] = list_runs(duckdb_target)
    assert (run.job, run.end_date, run.outcome) == ("backup", date(2026, 12, 7), "failed")
    [mail] = smtp.mails
    assert mail.message["Subject"] == (
        "[bizstats critical] job_failed: 每日备份任务 backup job on 2026-12-07 (target=duckdb)"
    )
    assert "the previous backups are kept" in mail.message.get_content()
    [post] = http.posts
    assert (post.body["check"], post.body["severity"]) == ("job_failed", "critical")


@pytest.mark.parametrize("built", ["mysql"], indirect=True)
def test_a_table_written_while_mysql_is_dumped_is_told_apart(built, monkeypatch, tmp_path, request):
    """The collector writes raw event_logs without the warehouse lock: a row stored while the
    dump runs makes that table's figures a range (rows before and after the dump, no checksum);
    every other table stays exact, and the restore accepts the copy within the range."""
    w, env, _token = built
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", env["BIZSTATS_MYSQL_SCHEMA"])
    table = f"`{w.target.raw_schema}`.`zz_incoming`"
    w.execute(f"create table {table} (id int primary key)")
    request.addfinalizer(lambda: w.execute(f"drop table if exists {table}"))
    w.execute(f"insert into {table} values (1)")
    import bizstats.backup.run as run_module

    dump = run_module.mysql_dump

    def dump_while_writing(*args):
        w.execute(f"insert into {table} values (2)")  # between the figures before and the dump
        yield from dump(*args)

    monkeypatch.setattr(run_module, "mysql_dump", dump_while_writing)
    config = _config()
    manifest, _ = run_backup(w.target, config, now=NOW)
    [moving] = [f for f in manifest.tables if f.table == "zz_incoming"]
    assert (moving.schema, moving.rows, moving.rows_after, moving.checksum) == ("raw", 1, 2, "")
    assert [f.table for f in manifest.tables if f.changing] == ["zz_incoming"]
    into = _fresh(w.target, tmp_path)
    _drop_later(w.target, into, request)
    restored = restore_backup(BackupStore(config.directory), manifest.id, config.require_key(), into)
    assert [f.rows for f in restored.tables if f.table == "zz_incoming"] == [2]


# the setting that names a target's warehouse
_WHERE = {"duckdb": "BIZSTATS_DUCKDB_PATH", "mysql": "BIZSTATS_MYSQL_SCHEMA"}


def _audited(env: dict[str, str], target: Target) -> list:
    """The audit rows of the warehouse `env` names (its store: outside the warehouse)."""
    from bizstats import audit_log

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(_WHERE[target.name], env[_WHERE[target.name]])
        return sorted(audit_log.list_entries(target, limit=1000), key=lambda r: r.id)


def test_the_audit_rows_of_a_drill_leave_source_and_copy_equal(built, tmp_path, request):
    """The acceptance drill through the real CLI, on both targets: `backup run`, then `backup
    restore --into NEW` (without --target: audited into the store of the backup's target), each
    writing its audit row; then every table of the source (DuckDB: of the file; MySQL: of
    `<schema>` and `<schema>_raw`) equals the copy's exactly (row count and an
    order-independent checksum of all rows), because the audit trail lives outside the
    warehouse. The trail is backed up: the copy's holds the row written before the backup."""
    from bizstats import audit_log

    w, source_env, _token = built
    target = w.target
    env = dict(source_env, BIZSTATS_BACKUP_DIR=str(tmp_path / "backups"), BIZSTATS_BACKUP_KEY=KEY)
    with pytest.MonkeyPatch.context() as patch:  # a row before the backup: the trail exists
        patch.setenv(_WHERE[target.name], env[_WHERE[target.name]])
        audit_log.record(target, audit_log.Entry("drill", "keys create", target.name, {"name": "x"}))
    before = _audited(env, target)
    into = _fresh(target, tmp_path)
    _drop_later(target, into, request)
    ran = _cli(["backup", "run", "--target", target.name, "--by", "ops-li"], env)
    assert ran.returncode == 0, ran.stderr
    backup_id = ran.stdout.strip()
    restored = _cli(["backup", "restore", backup_id, "--into", into, "--by", "ops-li"], env)
    assert restored.returncode == 0, restored.stderr

    source = _figures(target, env[_WHERE[target.name]])
    copy = _figures(target, into)
    assert copy == source
    assert {"daily_stats", "event_logs", "users", "bizstats_builds"} <= {f.table for f in source}
    assert not [f for f in source if "audit" in f.table]
    # the source's trail: the row before, then one row of each command, ok, by ops-li
    rows = _audited(env, target)
    assert [r.id for r in rows[: len(before)]] == [r.id for r in before]
    new = [(r.what, r.who, r.target, r.outcome) for r in rows[len(before):]]
    assert new == [("backup run", "ops-li", target.name, "ok"),
                   ("backup restore", "ops-li", target.name, "ok")]
    assert '"into": ' in rows[-1].arguments and '"backup_id": "' + backup_id in rows[-1].arguments
    # the copy's trail is the source's as it was at the backup
    copied = _audited({**env, _WHERE[target.name]: into}, target)
    assert [(r.id, r.what, r.who) for r in copied] == [(r.id, r.what, r.who) for r in before]
