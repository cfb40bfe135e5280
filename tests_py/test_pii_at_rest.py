"""Secrets and personal data at rest (个人信息保护): after a load, a collected batch, a build,
the checks, an export, the daily report, the archive (数据归档) and a backup (备份) over data
full of phone and id numbers, no clear number and no secret of the settings is in any table of
either schema, the logs, the spool, the exports, the reports, the archive's Parquet files or
the backup's decrypted files. The Fernet key of extra_data rotates: `NEW,OLD` reads both, new
values are written with NEW, `bizstats pii rotate` re-encrypts the old ones (in batches,
resumable), and a re-run changes nothing."""

from __future__ import annotations

import base64
import json
import os
from datetime import date
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bizstats.config import Target
from bizstats.db import connect, fetch_all, qualified, quote
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir
from tests_py.support.collector import SECRET, browser_view, live_app, signed_headers
from tests_py.support.raw_files import write_csvs
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS

PHONE = "13812345678"
PHONE_2 = "13987654321"
ID_NUMBER = "11010519491231002X"  # 18 digits with its check digit (GB 11643)
CLEAR = (PHONE, PHONE_2, ID_NUMBER, ID_NUMBER[:17])  # the id's 17 digits too
PSEUDONYM_KEY = "pepper-for-pseudonyms-0123456789"
EVENT_TIME = "2024-03-10 02:00:00"  # local 2024-03-10 (UTC+8)


def _numbered_events() -> list[dict]:
    """Browser events carrying the numbers in every string column a person could fill."""
    extra = json.dumps({"contact": f"call {PHONE}", "id": ID_NUMBER, PHONE_2: [int(PHONE)]})
    return [
        {"event_id": "pii1", "event_type": "page_view", "user_id": PHONE, "device_id": ID_NUMBER,
         "session_id": f"s-{PHONE}", "page_url": f"/u?tel={PHONE}&id={ID_NUMBER}",
         "page_title": f"ID {ID_NUMBER}", "extra_data": extra, "device_type": "ios",
         "channel": "app", "user_agent": f"agent {PHONE_2}", "event_time": EVENT_TIME},
    ]  # fmt: skip


def _load(target: Target, folder: Path, **tables: list[dict]) -> None:
    write_csvs(folder, tables)
    assert not load_dir(target, folder).rejected


def _tables_as_text(target: Target) -> dict[str, str]:
    """Every table of both schemas, every column cast to text, one string per table."""
    with connect(target) as con:
        schemas = (target.raw_schema, target.models_schema)
        names = fetch_all(
            con,
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ('{schemas[0]}', '{schemas[1]}')",
        )
        found = {}
        for schema, name in names:
            table = qualified(target, schema, name)
            columns = [c for (c,) in fetch_all(
                con, "select column_name from information_schema.columns where table_schema = "
                f"'{schema}' and table_name = '{name}'")]  # fmt: skip
            cast = "varchar" if target.name == "duckdb" else "char"
            listed = ", ".join(f"cast({quote(target, c)} as {cast})" for c in columns)
            rows = fetch_all(con, f"select {listed} from {table}")
            found[f"{schema}.{name}"] = "\n".join("\t".join(str(v) for v in row) for row in rows)
    return found


def _files_as_text(*folders: Path) -> dict[str, str]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else [folder]:
            if path.is_file():
                found[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return found


def _archive_as_text(folder: Path) -> dict[str, str]:
    """Every Parquet file of the archive, read back (all columns as text), and its other files."""
    import duckdb

    found = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".parquet":
            rows = duckdb.connect().execute(f"select * from read_parquet('{path}')").fetchall()
            found[str(path)] = "\n".join("\t".join(str(v) for v in row) for row in rows)
        elif path.is_file():
            found[str(path)] = path.read_bytes().decode("utf-8", "replace")
    return found


def _backup_as_text(backup_id: str) -> dict[str, str]:
    """Every file of a backup, decrypted (bizstats.backup.crypto.unseal), by its name."""
    from bizstats.backup.crypto import unseal
    from bizstats.backup.restore import open_backup
    from bizstats.backup.run import backup_settings
    from bizstats.backup.store import BackupStore

    store = BackupStore(backup_settings().directory)
    raw_key = backup_settings().require_key()
    found = {}
    for member in open_backup(store, backup_id, raw_key).members:
        with store.reader(backup_id, member.stored) as stream:
            content = b"".join(unseal(stream, raw_key, member.stored))
        found[member.name] = content.decode("utf-8", "replace")
    return found


def _secrets() -> list[str]:
    """The settings' secrets set for this test (and the MySQL password, if one is set)."""
    names = ("BIZSTATS_COLLECT_FERNET_KEY", "BIZSTATS_COLLECT_PSEUDONYM_KEY", "BIZSTATS_MYSQL_PASSWORD")
    values = [os.environ.get(name, "") for name in names]
    keys = [key for value in values[:1] for key in value.split(",")]
    return [v for v in [*keys, *values[1:], SECRET] if v]


def _load_collect_and_build(target: Target, tmp_path: Path, monkeypatch) -> list[dict]:
    """With a Fernet key and a pseudonym key set: load the sample data plus rows carrying the
    numbers in every column a person fills, collect one signed event carrying them, build
    2024-03-09 .. 03-12; the collected events."""
    from bizstats.build import build

    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("BIZSTATS_COLLECT_PSEUDONYM_KEY", PSEUDONYM_KEY)
    users = [*BUSINESS["users"], {"user_id": PHONE, "registered_at": EVENT_TIME, "channel": "app",
                                  "device_type": "ios"}]  # fmt: skip
    auth = {"auth_id": "a-pii", "user_id": ID_NUMBER, "auth_method": "id_card", "status": "approved",
            "submitted_at": EVENT_TIME, "approved_at": EVENT_TIME}  # fmt: skip
    auths = [*BUSINESS["real_name_auths"], auth]
    _load(target, tmp_path / "load", event_logs=TRAFFIC_EVENTS + _numbered_events(),
          **{**BUSINESS, "users": users, "real_name_auths": auths})  # fmt: skip
    collected = [browser_view(user_id=PHONE_2, page_url=f"/c?m={PHONE}", device_id=f"d{ID_NUMBER}",
                              extra_data={"phone": PHONE, "nested": {"id": ID_NUMBER}})]  # fmt: skip
    body = json.dumps({"events": collected}).encode()
    with live_app(target) as url:
        answer = httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
        assert answer.json()["stored"] == 1
    build(target, start=date(2024, 3, 9), end=date(2024, 3, 12), with_tests=False)
    return collected


def test_no_clear_number_or_secret_in_the_mysql_tables(mysql_target, collector_env, tmp_path, monkeypatch):
    """MariaDB/MySQL (the loader's and the collector's own write paths): no clear number and
    no secret in any table of the two databases after a load, a collected batch and a build."""
    collected = _load_collect_and_build(mysql_target, tmp_path, monkeypatch)
    tables = _tables_as_text(mysql_target)
    raw, models = mysql_target.raw_schema, mysql_target.models_schema
    assert "enc:" in tables[f"{raw}.event_logs"] and "pii1" in tables[f"{models}.stg_event_logs"]
    assert collected[0]["event_id"] in tables[f"{raw}.event_logs"]  # the harness reads what is stored
    for where, text in tables.items():
        for value in (*CLEAR, *_secrets()):
            assert value not in text, f"{value[:4]}... in {where}"


def test_no_clear_number_or_secret_at_rest_after_a_run(duckdb_target, collector_env, tmp_path, monkeypatch):
    from bizstats.backup.run import run_backup
    from bizstats.checks import run_checks
    from bizstats.dbt_runner import log_file
    from bizstats.export import read_daily_stats, write_rows
    from bizstats.load.collected.spool import spool_path
    from bizstats.ops.daily_report import make_report
    from bizstats.retention.archive import run as archive_run
    from bizstats.settings import settings

    collected = _load_collect_and_build(duckdb_target, tmp_path, monkeypatch)
    run_checks(duckdb_target, date(2024, 3, 10), date(2024, 3, 12))
    exports = tmp_path / "exports"
    exports.mkdir()
    with open(exports / "daily.csv", "w", encoding="utf-8") as out:
        write_rows(read_daily_stats(duckdb_target, date(2024, 3, 9), date(2024, 3, 12)), "csv", out)
    make_report(duckdb_target, date(2024, 3, 10), folder=tmp_path / "reports")

    tables = _tables_as_text(duckdb_target)  # before the archive moves the raw rows out
    backup_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("BIZSTATS_BACKUP_KEY", backup_key)
    monkeypatch.setenv("BIZSTATS_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("BIZSTATS_ARCHIVE_DIR", str(tmp_path / "archive"))
    assert archive_run(duckdb_target, settings().retention, today=date(2025, 1, 1)).archived > 0
    manifest, _pruned = run_backup(duckdb_target)
    backup = _backup_as_text(manifest.id)
    assert any(name.endswith("warehouse.duckdb") for name in backup), sorted(backup)
    archive = _archive_as_text(tmp_path / "archive")
    assert any(collected[0]["event_id"] in text for text in archive.values())  # the archive is read
    assert "main_raw.event_logs" in tables and "main.stg_event_logs" in tables
    assert "enc:" in tables["main_raw.event_logs"]  # the numbers of extra_data are there, sealed
    files = _files_as_text(
        Path(os.environ["DBT_LOG_PATH"]), log_file(), spool_path(duckdb_target), exports, tmp_path / "reports"
    )
    # the harness reads what is stored: the events' ids are kept as they were sent
    spool = files[str(spool_path(duckdb_target))]
    assert collected[0]["event_id"] in spool and collected[0]["event_id"] in tables["main_raw.event_logs"]
    assert "pii1" in tables["main.stg_event_logs"]
    assert any(name.endswith(".csv") for name in files) and any(name.endswith(".html") for name in files)
    for where, text in {**tables, **files, **archive, **backup}.items():
        for value in (*CLEAR, *_secrets(), backup_key):
            assert value not in text, f"{value[:4]}... in {where}"


def _extra_tokens(target: Target) -> dict[str, str]:
    """event_id -> the token of extra_data's `contact`, in the raw event_logs and the
    quarantine (`q:` + event_id)."""
    found = {}
    with connect(target) as con:
        for table, prefix in (("event_logs", ""), ("_quarantined_events", "q:")):
            raw = qualified(target, target.raw_schema, table)
            for event, extra in fetch_all(con, f"select event_id, extra_data from {raw}"):
                found[prefix + event] = json.loads(extra)["contact"].removeprefix("enc:")
    return found


def _event(event_id: str, number: str) -> dict:
    return {"event_id": event_id, "event_type": "page_view", "device_id": "d1",
            "extra_data": json.dumps({"contact": number}), "event_time": EVENT_TIME}  # fmt: skip


def _quarantine_a_browser_event(target: Target, monkeypatch, number: str) -> str:
    """A browser event of 2024 sent to the collector, beyond a 30-day late-data horizon: held
    in `_quarantined_events` (on DuckDB through the spool); its event_id."""
    from bizstats.load.collected.ingest import ingest_spool
    from tests_py.support.collector import COLLECT_ENV, ORIGIN, SITE_KEY

    for name, value in {**COLLECT_ENV, "BIZSTATS_LATE_DATA_DAYS": "30"}.items():
        monkeypatch.setenv(name, value)
    event = browser_view(extra_data={"contact": number})
    with live_app(target) as url:
        answer = httpx.post(f"{url}/api/report/batch?key={SITE_KEY}", headers={"origin": ORIGIN},
                            content=json.dumps({"events": [event]}))  # fmt: skip
    assert answer.json()["quarantined"] == [event["event_id"]], answer.text
    ingest_spool(target)  # DuckDB: the spool's quarantined event into the table (MySQL: none)
    return str(event["event_id"])


def test_the_fernet_key_rotates(target, tmp_path, monkeypatch, capsys):
    """Data encrypted with key A (loaded, and a quarantined browser event); settings "B,A":
    the old values read, a new one is written with B; `bizstats pii rotate` leaves every value
    readable with B alone; a re-run is a no-op (counts 0); a run stopped after its first batch
    is finished by the next."""
    from bizstats.audit_log import last_entry
    from bizstats.cli import main
    from bizstats.load.rekey import rotate_pii

    key_a, key_b = Fernet.generate_key(), Fernet.generate_key()
    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", key_a.decode())
    _load(target, tmp_path / "a", event_logs=[_event("e1", PHONE), _event("e2", PHONE_2)])
    held = "q:" + _quarantine_a_browser_event(target, monkeypatch, ID_NUMBER)
    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", f"{key_b.decode()}, {key_a.decode()}")
    _load(target, tmp_path / "b", event_logs=[_event("e3", ID_NUMBER)])
    tokens = _extra_tokens(target)
    assert Fernet(key_b).decrypt(tokens["e3"].encode()) == ID_NUMBER.encode()  # new: B
    both = MultiFernet([Fernet(key_b), Fernet(key_a)])
    old = {e: both.decrypt(tokens[e].encode()).decode() for e in ("e1", "e2", held)}
    assert old == {"e1": PHONE, "e2": PHONE_2, held: ID_NUMBER}
    only_b = Fernet(key_b)

    def under_b() -> set[str]:
        return {e for e, t in _extra_tokens(target).items() if _decrypts(only_b, t)}

    def stop_after_first_batch(line: str) -> None:
        if "rows read" in line:
            raise KeyboardInterrupt  # killed midway: the first batch (one row) is committed

    with pytest.raises(KeyboardInterrupt):
        rotate_pii(target, progress=stop_after_first_batch, batch=1)
    assert len(under_b()) == 2  # e3 and the one row of the first batch
    assert main(["pii", "rotate", "--target", target.name, "--by", "ops-wang"]) == 0
    audited = last_entry(target, "pii rotate")  # the audit trail (审计日志) has the run
    assert audited is not None and (audited.who, audited.outcome) == ("ops-wang", "ok")
    said = capsys.readouterr().out
    assert "re-encrypted 2 values with the first key (2 already under it) in 2 tables" in said
    tokens = _extra_tokens(target)
    assert {e: only_b.decrypt(t.encode()).decode() for e, t in tokens.items()} == {
        "e1": PHONE, "e2": PHONE_2, "e3": ID_NUMBER, held: ID_NUMBER,
    }  # fmt: skip
    again = rotate_pii(target, key_b.decode())
    assert (again.reencrypted, again.current) == (0, 4)
    assert _extra_tokens(target) == tokens
    # a key missing from the list: one line naming the row, nothing echoed
    row = r"(event_logs row id|_quarantined_events row quarantine_id)=\d+: .* decrypts with no key"
    with pytest.raises(BizstatsError, match=row) as err:
        rotate_pii(target, Fernet.generate_key().decode())
    assert key_b.decode() not in str(err.value)
    with pytest.raises(BizstatsError, match=r"key 2 of 2\)") as err:
        rotate_pii(target, f"{key_b.decode()},not-a-key")
    assert key_b.decode() not in str(err.value)


def _decrypts(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True
