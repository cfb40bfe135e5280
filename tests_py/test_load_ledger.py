"""Loads are safe to re-run: the load ledger (`<raw>._load_ledger`) on both targets.

The same folder twice, a `bizstats load` killed (-9) between files and run again, and a file
rolled back by the database then loaded on the re-run: raw row counts are exact each time.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.db import connect, create_table_sql, ensure_raw_tables
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir, load_file
from tests_py.support.raw_files import query_rows, raw_table, write_lines

BIZSTATS = str(Path(sys.executable).parent / "bizstats")
EVENTS = (
    "event_id,event_type,user_id,event_time,created_at",
    "e1,page_view,u1,2024-01-01 00:00:00,2024-01-01 00:00:01",
    "e2,page_view,u2,2024-01-01 00:00:00,2024-01-01 00:00:01",
    "e3,page_view,u2,2024-01-01 00:00:00,",
)
USERS = ("user_id,registered_at,channel", "u1,2024-01-01 00:00:00,wechat", "u2,,app", "u3,bad,app")
ORDERS = ("order_id,user_id,amount", "o1,u1,1.00", "o2,u2,2.50")


def _counts(target: Target) -> dict[str, int]:
    tables = ("event_logs", "users", "orders", "_rejected_rows")
    return {t: query_rows(target, f"select count(*) from {raw_table(target, t)}")[0][0] for t in tables}


def _ledger(target: Target) -> list[tuple]:
    return query_rows(
        target,
        "select source_table, rows_read, rows_loaded, rows_rejected, outcome from "
        f"{raw_table(target, '_load_ledger')} order by _loaded_at, source_table",
    )


def _folder(directory: Path) -> Path:
    write_lines(directory, "event_logs.csv", *EVENTS)
    write_lines(directory, "users.csv", *USERS)
    write_lines(directory, "orders.csv", *ORDERS)
    return directory


def test_same_folder_twice_is_all_skips(target: Target, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "in")
    first = load_dir(target, folder)
    after_first = _counts(target)
    assert after_first == {"event_logs": 3, "users": 2, "orders": 2, "_rejected_rows": 1}
    assert first.already_loaded == []
    assert [f.sha256 for f in first.files] == [
        hashlib.sha256((folder / f"{t}.csv").read_bytes()).hexdigest()
        for t in ("event_logs", "users", "orders")
    ]
    messages: list[str] = []

    second = load_dir(target, folder, messages.append)

    assert _counts(target) == after_first, "nothing stored twice (event_logs on DuckDB too)"
    assert second.loaded == 0 and second.rejected == [] and second.duplicates == 0
    assert [f.table for f in second.already_loaded] == ["event_logs", "users", "orders"]
    assert all(f.already_loaded is not None for f in second.files)
    assert len(messages) == 3
    for message, name in zip(messages, ("event_logs.csv", "users.csv", "orders.csv"), strict=True):
        assert message.startswith(f"{name}: already loaded on ")
        assert message.endswith(" UTC (same content), skipped")
    assert _ledger(target) == [
        ("event_logs", 3, 3, 0, "committed"),
        ("orders", 2, 2, 0, "committed"),
        ("users", 3, 2, 1, "committed"),
    ], "a skipped file adds no ledger row"


def test_same_content_under_another_name_or_table(target: Target, tmp_path: Path) -> None:
    """The identity is the content and the table: a copy is skipped, another table loads."""
    path = write_lines(tmp_path / "a", "orders.csv", *ORDERS)
    load_dir(target, path.parent)
    copy = write_lines(tmp_path / "b", "elsewhere.csv", *ORDERS)

    assert load_file(target, "orders", copy).already_loaded is not None
    assert load_file(target, "refunds", write_lines(tmp_path / "c", "r.csv", "refund_id", "o1")).loaded == 1
    changed = write_lines(tmp_path / "d", "orders.csv", *ORDERS, "o3,u3,3.00")
    assert load_dir(target, changed.parent).loaded == 3, "other bytes: a new delivery, appended"
    assert _counts(target)["orders"] == 5


def _forbid_user(target: Target, table: str, user_id: str) -> None:
    """Make the database itself refuse rows of `table` with this user_id (a CHECK)."""
    ensure_raw_tables(target)
    with connect(target) as con:
        if target.name == "duckdb":  # DuckDB cannot add a constraint: recreate the table
            create = create_table_sql(target, TABLES[table])[-1]
            con.cursor().execute(f"drop table {raw_table(target, table)}")
            con.cursor().execute(f"{create[:-1]}, check (user_id <> '{user_id}'))")
        else:
            con.cursor().execute(
                f"alter table {raw_table(target, table)} "
                f"add constraint chk_test check (user_id <> '{user_id}')"
            )
        con.commit()


def _allow_all(target: Target, table: str) -> None:
    with connect(target) as con:
        if target.name == "duckdb":
            con.cursor().execute(f"drop table {raw_table(target, table)}")
            con.commit()
            ensure_raw_tables(target)
        else:
            con.cursor().execute(f"alter table {raw_table(target, table)} drop constraint chk_test")
            con.commit()


def test_rolled_back_file_loads_on_the_rerun(target: Target, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "in")
    _forbid_user(target, "orders", "u2")

    with pytest.raises(BizstatsError, match=r"orders\.csv: database error, nothing of this file"):
        load_dir(target, folder)
    assert _counts(target) == {"event_logs": 3, "users": 2, "orders": 0, "_rejected_rows": 1}
    assert [row[0::4] for row in _ledger(target)] == [
        ("event_logs", "committed"),
        ("orders", "rolled back"),
        ("users", "committed"),
    ]
    _allow_all(target, "orders")
    messages: list[str] = []

    report = load_dir(target, folder, messages.append)

    assert [f.table for f in report.already_loaded] == ["event_logs", "users"]
    assert report.loaded == 2
    assert messages[-1] == "orders.csv: 2 rows, 2 loaded, 0 rejected"
    assert _counts(target) == {"event_logs": 3, "users": 2, "orders": 2, "_rejected_rows": 1}
    assert _ledger(target)[-1] == ("orders", 2, 2, 0, "committed")
    assert load_dir(target, folder).loaded == 0, "and now it is skipped too"


def _start_load(folder: Path, target: Target) -> subprocess.Popen:
    return subprocess.Popen(
        [BIZSTATS, "load", str(folder), "--target", target.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "BIZSTATS_LOCK_WAIT": "60"},
    )


def test_killed_load_resumes_on_the_rerun(target: Target, tmp_path: Path) -> None:
    """kill -9 while a large third file loads (event_logs and users committed, orders checked
    and being written), run again."""
    big_rows = 150_000
    folder = _folder(tmp_path / "in")
    write_lines(folder, "orders.csv", ORDERS[0], *(f"o{i},u{i % 7},{i % 100}.25" for i in range(big_rows)))
    proc = _start_load(folder, target)
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if line.startswith("orders.csv: checked"):  # the earlier files have committed
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    assert _counts(target) == {"event_logs": 3, "users": 2, "orders": 0, "_rejected_rows": 1}
    assert [row[0::4] for row in _ledger(target)] == [
        ("event_logs", "committed"),
        ("users", "committed"),
    ], "the killed file left no trace"

    rerun = subprocess.run(
        [BIZSTATS, "load", str(folder), "--target", target.name],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BIZSTATS_LOCK_WAIT": "60"},
    )

    assert rerun.returncode == 0, rerun.stderr
    lines = rerun.stderr.splitlines()
    assert lines[0].startswith("event_logs.csv: already loaded on ")
    assert lines[0].endswith(" UTC (same content), skipped")
    assert lines[1].startswith("users.csv: already loaded on ")
    assert f"orders.csv: {big_rows:,} rows, {big_rows:,} loaded, 0 rejected" in lines
    assert rerun.stdout.strip().endswith("; 2 files already loaded (same content), skipped")
    assert _counts(target) == {
        "event_logs": 3,
        "users": 2,
        "orders": big_rows,
        "_rejected_rows": 1,
    }
    assert _ledger(target)[-1] == ("orders", big_rows, big_rows, 0, "committed")
