"""bizstats.load.loader against real DuckDB and MariaDB/MySQL databases (the `target` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.db import connect, create_table_sql, ensure_raw_tables
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir, load_file
from tests_py.support.raw_files import query_rows, raw_table, write_lines

EVENT_HEADER = "event_id,event_type,user_id,amount,extra_data,event_time,created_at"
GOOD_EVENT = "{id},page_view,u1,,,2024-01-01 00:00:00,2024-01-01 00:00:01"





def _execute(target: Target, sql: str) -> None:
    with connect(target) as con:
        con.cursor().execute(sql)
        con.commit()


def _count(target: Target, table: str) -> int:
    return query_rows(target, f"select count(*) from {raw_table(target, table)}")[0][0]


def _quarantined(target: Target) -> list[tuple]:
    return query_rows(
        target,
        "select source_table, file, line, field from "
        f"{raw_table(target, '_rejected_rows')} order by source_table, line",
    )


def test_loads_good_rows_with_exact_values(target: Target, tmp_path: Path) -> None:
    deep_json = "[" * 31 + "]" * 31  # the deepest document MariaDB accepts
    write_lines(
        tmp_path,
        "orders.csv",
        "order_id,user_id,pay_method,status,amount,created_at",
        "o1,u1,wechat,success,9999999999.99,2024-02-29 23:59:59",  # the largest amount
        "o2, u2 ,ALIPAY,failed,-0.00,2024-01-01 00:00:00",
        "o3,   ,credit,success,+7,",
        "o4,u4,bank_card,cancelled,0012.3,2000-01-01 00:00:00",
    )
    write_lines(
        tmp_path,
        "event_logs.csv",
        EVENT_HEADER,
        f'e1,page_leave,{"u" * 50},0.10,"{{""page_view_id"": ""e0"", ""duration_ms"": 5}}",'
        "2024-03-01 12:34:56,2024-03-01 12:34:57",
        f'e2,page_view,,,"{deep_json}",2024-03-01 00:00:00,',
    )
    before = datetime.now(UTC).replace(tzinfo=None)

    report = load_dir(target, tmp_path)

    assert [(f.table, f.loaded, f.rejected) for f in report.files] == [
        ("event_logs", 2, []),
        ("orders", 4, []),
    ]
    assert report.loaded == 6
    assert report.rejected == []
    assert query_rows(
        target,
        "select order_id, user_id, pay_method, status, amount, created_at "
        f"from {raw_table(target, 'orders')} order by order_id",
    ) == [
        ("o1", "u1", "wechat", "success", Decimal("9999999999.99"),
         datetime(2024, 2, 29, 23, 59, 59)),
        ("o2", "u2", "ALIPAY", "failed", Decimal("0.00"), datetime(2024, 1, 1)),
        ("o3", None, "credit", "success", Decimal("7.00"), None),
        ("o4", "u4", "bank_card", "cancelled", Decimal("12.30"), datetime(2000, 1, 1)),
    ]  # fmt: skip
    events = query_rows(
        target,
        "select event_id, user_id, amount, extra_data, event_time, created_at "
        f"from {raw_table(target, 'event_logs')} order by event_id",
    )
    assert [(e[0], e[1], e[2], e[4], e[5]) for e in events] == [
        ("e1", "u" * 50, Decimal("0.10"), datetime(2024, 3, 1, 12, 34, 56),
         datetime(2024, 3, 1, 12, 34, 57)),
        ("e2", None, None, datetime(2024, 3, 1), None),
    ]  # fmt: skip
    assert json.loads(events[0][3]) == {"page_view_id": "e0", "duration_ms": 5}
    assert json.loads(events[1][3]) == json.loads(deep_json)

    stamps = query_rows(
        target,
        f"select distinct _loaded_at from {raw_table(target, 'orders')} union "
        f"select distinct _loaded_at from {raw_table(target, 'event_logs')}",
    )
    assert len(stamps) == 1, "one _loaded_at for every file of a load"
    (loaded_at,) = stamps[0]
    assert before <= loaded_at <= before + timedelta(seconds=60)


BAD_VALUES = [
    ("event_time", "2024-02-30 00:00:00", "not a date-time"),
    ("event_time", "2024-01-01T00:00:00", "not a date-time"),
    ("event_time", "2024-01-01 00:00", "not a date-time"),
    ("event_time", "2024-01-01 24:00:00", "not a date-time"),
    ("created_at", " 2024-01-01 00:00:00", "not a date-time"),
    ("amount", "1.234", "not a decimal"),
    ("amount", "1e3", "not a decimal"),
    ("amount", "12,50", "not a decimal"),
    ("amount", "NaN", "not a decimal"),
    ("amount", "12345678901234567", "more than 9,999,999,999.99 (the largest amount, dbt var amount_max)"),
    ("amount", "10000000000", "more than 9,999,999,999.99 (the largest amount, dbt var amount_max)"),
    ("user_id", "u" * 51, "longer than 50 characters"),
    ("user_agent", "\u00e9" * 32768, "longer than 65,535 bytes"),
    ("extra_data", "{bad", "not valid JSON"),
    ("extra_data", "NaN", "not valid JSON"),
    ("extra_data", "[" * 32 + "]" * 32, "nested deeper than 31"),
    ("extra_data", '"\\ud800"', "unpaired UTF-16 surrogate"),
    ("event_id", "", "required value is missing"),
    ("event_id", "   ", "required value is missing"),
    ("event_type", "", "required value is missing"),
]


@pytest.mark.parametrize(("column", "value", "reason"), BAD_VALUES)
def test_bad_value_is_quarantined_and_good_rows_load(
    target: Target, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    good = dict(
        event_id="bad",
        event_type="click",
        user_id="u9",
        amount="1.00",
        extra_data="{}",
        user_agent="Mozilla/5.0",
        event_time="2024-01-01 00:00:00",
        created_at="2024-01-01 00:00:01",
    )

    def line(values: dict[str, str]) -> str:
        return ",".join('"' + v.replace('"', '""') + '"' for v in values.values())

    path = write_lines(
        tmp_path,
        "event_logs.csv",
        ",".join(good),
        line({**good, "event_id": "g1"}),
        line({**good, column: value}),
        line({**good, "event_id": "g2"}),
    )

    (result,) = load_dir(target, tmp_path).files

    assert result.loaded == 2
    assert [(r.table, r.file, r.line, r.field) for r in result.rejected] == [
        ("event_logs", str(path), 3, column)
    ]
    assert reason in result.rejected[0].reason
    assert query_rows(target, f"select event_id from {raw_table(target, 'event_logs')} order by 1") == [
        ("g1",),
        ("g2",),
    ]
    assert _quarantined(target) == [("event_logs", str(path), 3, column)]
    (raw_values,) = query_rows(target, f"select raw_values from {raw_table(target, '_rejected_rows')}")[0]
    assert json.loads(raw_values) == {**good, column: value}


def test_rejected_rows_keep_physical_line_numbers(target: Target, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path,
        "event_logs.csv",
        EVENT_HEADER,
        GOOD_EVENT.format(id="g1"),
        'g2,page_view,u1,,"{""note"":',  # a quoted value spanning lines 3-4
        ' ""two lines""}",2024-01-01 00:00:00,',
        "",  # a blank line is skipped
        "short,row",
        "g3,page_view,u1,,,2024-01-01 00:00:00,,surplus",
        "g4,page_view,u1,,,2024-13-01 00:00:00,",
        GOOD_EVENT.format(id="g5"),
    )

    (result,) = load_dir(target, tmp_path).files

    assert [(r.line, r.field) for r in result.rejected] == [(6, None), (7, None), (8, "event_time")]
    assert result.rejected[0].reason == "2 fields where the header has 7"
    assert result.loaded == 3
    assert _quarantined(target) == [
        ("event_logs", str(path), 6, None),
        ("event_logs", str(path), 7, None),
        ("event_logs", str(path), 8, "event_time"),
    ]
    events = raw_table(target, "event_logs")
    rows = query_rows(target, f"select event_id, extra_data from {events} order by 1")
    assert [r[0] for r in rows] == ["g1", "g2", "g5"]
    assert json.loads(rows[1][1]) == {"note": "two lines"}
    rejected = raw_table(target, "_rejected_rows")
    (raw_values,) = query_rows(target, f"select raw_values from {rejected} where line = 6")[0]
    assert json.loads(raw_values) == ["short", "row"]


def test_missing_nullable_column_is_null_and_extra_column_ignored(target: Target, tmp_path: Path) -> None:
    write_lines(tmp_path, "users.csv", "nickname,user_id,channel", "Ann,u1,wechat", "Bob,u2,")

    report = load_dir(target, tmp_path)

    assert report.loaded == 2
    assert query_rows(
        target,
        f"select user_id, registered_at, channel, device_type from {raw_table(target, 'users')} "
        "order by user_id",
    ) == [("u1", None, "wechat", None), ("u2", None, None, None)]


def test_missing_required_column_loads_nothing(target: Target, tmp_path: Path) -> None:
    ensure_raw_tables(target)
    write_lines(tmp_path, "users.csv", "user_id", "u1")
    write_lines(tmp_path, "event_logs.csv", "event_id,event_type,created_at", "e1,click,")

    with pytest.raises(BizstatsError, match=r"event_logs\.csv.*'event_time'"):
        load_dir(target, tmp_path)

    assert _count(target, "users") == 0
    assert _count(target, "event_logs") == 0


def test_unknown_file_name_loads_nothing(target: Target, tmp_path: Path) -> None:
    ensure_raw_tables(target)
    write_lines(tmp_path, "users.csv", "user_id", "u1")
    write_lines(tmp_path, "user.csv", "user_id", "u2")

    with pytest.raises(BizstatsError, match=r"user\.csv.*accepted names: event_logs\.csv, users"):
        load_dir(target, tmp_path)

    assert _count(target, "users") == 0


def test_folder_without_csv_files_is_an_error(duckdb_target: Target, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no data here")
    with pytest.raises(BizstatsError, match="no .csv files"):
        load_dir(duckdb_target, tmp_path)


def test_file_without_header_is_an_error(duckdb_target: Target, tmp_path: Path) -> None:
    write_lines(tmp_path, "users.csv")
    with pytest.raises(BizstatsError, match=r"users\.csv: no header row"):
        load_dir(duckdb_target, tmp_path)


def test_load_file_loads_one_table(target: Target, tmp_path: Path) -> None:
    path = write_lines(tmp_path, "anything.csv", "refund_id,amount", "r1,3.50", "r2,oops")

    result = load_file(target, "refunds", path)

    assert (result.table, result.file, result.loaded) == ("refunds", str(path), 1)
    assert [(r.line, r.field) for r in result.rejected] == [(3, "amount")]
    assert query_rows(target, f"select refund_id, amount from {raw_table(target, 'refunds')}") == [
        ("r1", Decimal("3.50"))
    ]
    with pytest.raises(BizstatsError, match="unknown table 'refund'"):
        load_file(target, "refund", path)


EARLIEST_WINS = [
    # created_at of the stored delivery, of the new delivery, which one is kept
    ("2024-01-01 10:00:00", "2024-01-01 09:00:00", "new"),
    ("2024-01-01 09:00:00", "2024-01-01 10:00:00", "stored"),
    ("", "2024-01-01 10:00:00", "new"),
    ("2024-01-01 10:00:00", "", "stored"),
    ("2024-01-01 10:00:00", "2024-01-01 10:00:00", "stored"),
    ("", "", "stored"),
]


@pytest.mark.parametrize(("stored_at", "new_at", "kept"), EARLIEST_WINS)
def test_duplicate_delivery_keeps_the_earliest(
    target: Target, tmp_path: Path, stored_at: str, new_at: str, kept: str
) -> None:
    header = "event_id,event_type,user_id,amount,event_time,created_at"
    write_lines(
        tmp_path / "a",
        "event_logs.csv",
        header,
        f"e1,view,stored,1.00,2024-01-01 00:00:00,{stored_at}",
    )
    write_lines(tmp_path / "b", "event_logs.csv", header, f"e1,click,new,,2024-01-02 00:00:00,{new_at}")
    assert load_dir(target, tmp_path / "a").duplicates == 0
    _execute(target, f"update {raw_table(target, 'event_logs')} set _loaded_at = '2000-01-01 00:00:00'")

    assert load_dir(target, tmp_path / "b").duplicates == 1

    rows = query_rows(
        target,
        "select user_id, event_type, amount, event_time, created_at, _loaded_at "
        f"from {raw_table(target, 'event_logs')} order by id",
    )
    if target.name == "duckdb":  # no unique key there: every delivery is appended
        assert [r[0] for r in rows] == ["stored", "new"]
        return
    assert len(rows) == 1
    user_id, event_type, amount, event_time, created_at, loaded_at = rows[0]
    winner_at = stored_at if kept == "stored" else new_at
    assert user_id == kept
    assert created_at == (datetime.fromisoformat(winner_at) if winner_at else None)
    if kept == "new":
        assert (event_type, amount, event_time) == ("click", None, datetime(2024, 1, 2))
        assert loaded_at > datetime(2000, 1, 1), "a replacing delivery takes the new _loaded_at"
    else:
        assert (event_type, amount, event_time) == ("view", Decimal("1.00"), datetime(2024, 1, 1))
        assert loaded_at == datetime(2000, 1, 1)


def test_duplicates_within_one_file(target: Target, tmp_path: Path) -> None:
    write_lines(
        tmp_path,
        "event_logs.csv",
        "event_id,event_type,user_id,event_time,created_at",
        "e1,view,late,2024-01-01 00:00:00,2024-01-01 10:00:00",
        "e1,view,early,2024-01-01 00:00:00,2024-01-01 09:00:00",
        "e2,view,only,2024-01-01 00:00:00,2024-01-01 12:00:00",
        "e1,view,later,2024-01-01 00:00:00,2024-01-01 11:00:00",
        "e3,view,null,2024-01-01 00:00:00,",
        "e3,view,dated,2024-01-01 00:00:00,2024-01-01 08:00:00",
        "e1,view,tie,2024-01-01 00:00:00,2024-01-01 09:00:00",
    )

    (result,) = load_dir(target, tmp_path).files

    assert (result.loaded, result.duplicates) == (7, 4)
    events = raw_table(target, "event_logs")
    rows = query_rows(target, f"select event_id, user_id from {events} order by event_id, id")
    if target.name == "duckdb":
        assert len(rows) == 7
    else:
        assert rows == [("e1", "early"), ("e2", "only"), ("e3", "dated")]


def _forbid_user(target: Target, table: str, user_id: str) -> None:
    """Make the database itself refuse rows of `table` with this user_id (a CHECK)."""
    ensure_raw_tables(target)
    if target.name == "duckdb":  # DuckDB cannot add a constraint: recreate the table
        create = create_table_sql(target, TABLES[table])[-1]
        _execute(target, f"drop table {raw_table(target, table)}")
        _execute(target, f"{create[:-1]}, check (user_id <> '{user_id}'))")
    else:
        check = f"constraint chk_test check (user_id <> '{user_id}')"
        _execute(target, f"alter table {raw_table(target, table)} add {check}")


def test_database_failure_rolls_back_the_whole_file(target: Target, tmp_path: Path) -> None:
    _forbid_user(target, "orders", "boom")
    write_lines(tmp_path, "users.csv", "user_id", "u1", "u2", "u3")
    header = "order_id,user_id,amount"
    orders = ["o1,u1,1.00", "o2,u1,bad", "o3,u2,3.00", "o4,u2,4.00", "o5,boom,5.00", "o6,u3,6"]
    write_lines(tmp_path, "orders.csv", header, *orders)

    with pytest.raises(BizstatsError, match=r"orders\.csv: database error, nothing of this file"):
        load_dir(target, tmp_path)

    assert _count(target, "users") == 3, "files loaded before the failure stay loaded"
    assert _count(target, "orders") == 0
    assert _quarantined(target) == [], "the file's quarantined rows are rolled back too"

    write_lines(tmp_path, "orders.csv", header, *[o for o in orders if "boom" not in o])
    tmp_path.joinpath("users.csv").unlink()
    assert load_dir(target, tmp_path).loaded == 4


def test_bytes_not_utf8_refuse_their_row_only(target: Target, tmp_path: Path) -> None:
    # more than the text decoder's first chunk, and DuckDB's first buffer is well into the file
    path = write_lines(tmp_path, "users.csv", "user_id", *(f"user{i:05}" for i in range(2000)))
    path.write_bytes(path.read_bytes() + b"u\xff\xfe5\n" + b"last\n")

    (result,) = load_dir(target, tmp_path).files

    assert result.loaded == 2001
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (2002, "user_id", "not UTF-8 (byte 0xff at character 2): save the file as UTF-8")
    ]
    assert _count(target, "users") == 2001
    (raw_values,) = query_rows(target, f"select raw_values from {raw_table(target, '_rejected_rows')}")[0]
    assert json.loads(raw_values) == {"user_id": "u\\xff\\xfe5"}


def test_progress_reports_rows(duckdb_target: Target, tmp_path: Path) -> None:
    write_lines(tmp_path, "users.csv", "user_id", "u1", "u2", "u3", "", "u4", "u5")
    messages: list[str] = []

    load_dir(duckdb_target, tmp_path, messages.append)

    assert messages == [
        "users.csv: checked, 0 rows rejected; writing the good rows",
        "users.csv: 5 rows, 5 loaded, 0 rejected",
    ]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def test_datetimes_outside_the_window_are_quarantined(target: Target, tmp_path: Path) -> None:
    soon = f"{_now() + timedelta(hours=23):%Y-%m-%d %H:%M:%S}"
    later = f"{_now() + timedelta(days=1, minutes=5):%Y-%m-%d %H:%M:%S}"
    path = write_lines(
        tmp_path,
        "event_logs.csv",
        "event_id,event_type,event_time,created_at",
        "g1,page_view,2000-01-01 00:00:00,",  # the window's first second
        "b1,page_view,1999-12-31 23:59:59,",
        "b2,page_view,1900-01-01 00:00:00,",
        "b3,page_view,0001-01-01 00:00:00,",
        "b4,page_view,9999-12-31 23:59:59,",
        f"b5,page_view,{later},",
        f"g2,page_view,{soon},{soon}",  # within load time + 1 day
        "b6,page_view,2024-01-01 00:00:00,1900-01-01 00:00:00",  # a nullable datetime too
    )
    write_lines(
        tmp_path,
        "users.csv",
        "user_id,registered_at",
        "u1,2024-01-01 00:00:00",
        "u2,9999-12-31 23:59:59",
    )

    report = load_dir(target, tmp_path)

    assert [(f.table, f.loaded) for f in report.files] == [("event_logs", 2), ("users", 1)]
    assert [(r.table, r.line, r.field) for r in report.rejected] == [
        ("event_logs", 3, "event_time"),
        ("event_logs", 4, "event_time"),
        ("event_logs", 5, "event_time"),
        ("event_logs", 6, "event_time"),
        ("event_logs", 7, "event_time"),
        ("event_logs", 9, "created_at"),
        ("users", 3, "registered_at"),
    ]
    assert report.rejected[0].reason.startswith("outside the accepted window [2000-01-01 00:00:00, ")
    assert report.rejected[0].reason.endswith(
        "(BIZSTATS_MIN_DATETIME, BIZSTATS_MAX_DAYS_AHEAD): 1999-12-31 23:59:59"
    )
    assert len(_quarantined(target)) == 7
    assert query_rows(target, f"select event_id from {raw_table(target, 'event_logs')} order by 1") == [
        ("g1",),
        ("g2",),
    ]
    assert str(path) == report.rejected[0].file


def test_datetime_window_is_a_setting(
    duckdb_target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIZSTATS_MIN_DATETIME", "2024-03-01")
    monkeypatch.setenv("BIZSTATS_MAX_DAYS_AHEAD", "0")
    soon = f"{_now() + timedelta(hours=1):%Y-%m-%d %H:%M:%S}"
    write_lines(
        tmp_path,
        "users.csv",
        "user_id,registered_at",
        "u1,2024-02-29 23:59:59",
        "u2,2024-03-01 00:00:00",
        f"u3,{soon}",
    )

    report = load_dir(duckdb_target, tmp_path)

    assert report.loaded == 1
    assert [(r.line, r.field) for r in report.rejected] == [(2, "registered_at"), (4, "registered_at")]

    monkeypatch.setenv("BIZSTATS_MAX_DAYS_AHEAD", "a week")
    with pytest.raises(BizstatsError, match="BIZSTATS_MAX_DAYS_AHEAD must be a whole number"):
        load_dir(duckdb_target, tmp_path)
    monkeypatch.setenv("BIZSTATS_MAX_DAYS_AHEAD", "1")
    monkeypatch.setenv("BIZSTATS_MIN_DATETIME", "2024/03/01")
    with pytest.raises(BizstatsError, match="BIZSTATS_MIN_DATETIME must be YYYY-MM-DD"):
        load_dir(duckdb_target, tmp_path)
    assert _count(duckdb_target, "users") == 1


AMOUNT_TABLES = [t for t in TABLES.values() if "amount" in t.column_names]


@pytest.mark.parametrize("table", AMOUNT_TABLES, ids=[t.name for t in AMOUNT_TABLES])
def test_negative_amounts_are_quarantined(target: Target, tmp_path: Path, table) -> None:
    required = [c.name for c in table.columns if not c.nullable]
    filler = {"event_type": "order_create", "event_time": "2024-01-01 00:00:00"}

    def line(key: str, amount: str) -> str:
        values = {table.key: key, **{c: filler[c] for c in required if c != table.key}}
        return ",".join([*values.values(), amount])

    write_lines(
        tmp_path,
        f"{table.name}.csv",
        ",".join([table.key, *(c for c in required if c != table.key), "amount"]),
        line("k1", "5"),
        line("k2", "-5"),
        line("k3", "0"),
        line("k4", "-0.01"),
        line("k5", "-0.00"),
    )

    (result,) = load_dir(target, tmp_path).files

    assert result.loaded == 3
    assert [(r.line, r.field) for r in result.rejected] == [(3, "amount"), (5, "amount")]
    assert result.rejected[0].reason == (
        "negative amount (every amount is >= 0; a refund is a row of its own): -5"
    )
    assert query_rows(
        target, f"select {table.key}, amount from {raw_table(target, table.name)} order by 1"
    ) == [("k1", Decimal("5.00")), ("k3", Decimal("0.00")), ("k5", Decimal("0.00"))]


def test_ids_are_trimmed_and_case_exact(target: Target, tmp_path: Path) -> None:
    write_lines(
        tmp_path,
        "event_logs.csv",
        "event_id,event_type,user_id,device_id,session_id,order_id,event_time",
        "x,page_view, u1 ,d1 , s1,o1 ,2024-01-01 00:00:00",
        "x ,page_view,u1,d1,s1,o1,2024-01-01 00:00:00",
        " x,page_view,u1,d1,s1,o1,2024-01-01 00:00:00",
        "X,page_view,u1,d1,s1,o1,2024-01-01 00:00:00",
        f"{'y' * 64}  ,page_view,,,,,2024-01-01 00:00:00",  # 64 characters once trimmed
    )
    write_lines(tmp_path, "refunds.csv", "refund_id,deduction_id", " r1\t,d1 ")

    report = load_dir(target, tmp_path)

    assert report.rejected == []
    events = query_rows(
        target,
        "select distinct event_id, user_id, device_id, session_id, order_id "
        f"from {raw_table(target, 'event_logs')} order by 1",
    )
    assert events == [
        ("X", "u1", "d1", "s1", "o1"),
        ("x", "u1", "d1", "s1", "o1"),
        ("y" * 64, None, None, None, None),
    ]
    assert query_rows(target, f"select refund_id, deduction_id from {raw_table(target, 'refunds')}") == [
        ("r1", "d1")
    ]


def test_trailing_spaces_and_case_give_the_same_numbers_on_both_targets(wh) -> None:
    at = "2024-03-10 01:00:00"  # local day 2024-03-10
    event = dict(event_type="page_view", device_id="d1", session_id="s1", event_time=at, created_at=at)
    wh.load(
        event_logs=[
            {**event, "event_id": "x", "user_id": "u1"},
            {**event, "event_id": "x ", "user_id": "u1 "},
            {**event, "event_id": "X", "user_id": " u1"},
        ],
        users=[{"user_id": "u1 ", "channel": "wechat", "device_type": "pc"}],
        orders=[
            {"order_id": "o1", "user_id": " u1", "pay_method": "credit", "amount": "1.00",
             "created_at": at},
            {"order_id": "o1 ", "user_id": "u1", "pay_method": "credit", "amount": "1.00",
             "created_at": at},
        ],  # fmt: skip
    )
    wh.build(start="2024-03-10", end="2024-03-10")

    row = wh.daily("2024-03-10")
    assert (row["pv"], row["uv"], row["credit_order_count"]) == (2, 1, 1)
    assert wh.daily("2024-03-10", "wechat", "pc")["credit_order_count"] == 1


def test_oversized_field_refuses_only_its_row(target: Target, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path,
        "event_logs.csv",
        "event_id,event_type,user_agent,page_url,event_time",
        "g1,page_view,,,2024-01-01 00:00:00",
        f"b1,page_view,{'a' * 200_000},,2024-01-01 00:00:00",
        f"b2,page_view,,{'p' * 140_000},2024-01-01 00:00:00",
        "g2,page_view,,,2024-01-01 00:00:00",
    )

    (result,) = load_dir(target, tmp_path).files

    assert result.loaded == 2
    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (3, "user_agent", "longer than 65,535 bytes (MySQL TEXT)"),
        (4, "page_url", "longer than 255 characters: 140000"),
    ]
    assert query_rows(target, f"select event_id from {raw_table(target, 'event_logs')} order by 1") == [
        ("g1",),
        ("g2",),
    ]
    (raw_values,) = query_rows(
        target, f"select raw_values from {raw_table(target, '_rejected_rows')} where line = 3"
    )[0]
    assert json.loads(raw_values)["user_agent"] == "a" * 65_535 + "... [cut: 200,000 characters]"
    assert str(path) == result.file


def test_gbk_file_refuses_its_non_ascii_rows_only(target: Target, tmp_path: Path) -> None:
    text = (
        "user_id,channel,device_type,nickname\n"
        "u1,wechat,pc,Ann\n"
        "u2,微信,pc,Bob\n"  # not a contract value issue: the bytes are GBK
        "u3,app,mobile,张三\n"  # an ignored column: the row loads
        "u4,app,mobile,Dan\n"
    )
    (tmp_path / "users.csv").write_bytes(text.encode("gbk"))

    (result,) = load_dir(target, tmp_path).files

    assert result.loaded == 3
    assert [(r.line, r.field) for r in result.rejected] == [(3, "channel")]
    assert result.rejected[0].reason.startswith("not UTF-8 (byte 0x")
    assert result.rejected[0].reason.endswith("): save the file as UTF-8")
    assert query_rows(target, f"select user_id from {raw_table(target, 'users')} order by 1") == [
        ("u1",),
        ("u3",),
        ("u4",),
    ]
    assert len(_quarantined(target)) == 1


def test_file_names_match_case_insensitively_and_others_are_skipped(
    target: Target, tmp_path: Path
) -> None:
    write_lines(tmp_path, "event_logs.CSV", EVENT_HEADER, GOOD_EVENT.format(id="e1"))
    write_lines(tmp_path, "Users.csv", "user_id", "u1")
    write_lines(tmp_path, "users.tsv", "user_id\tchannel", "u2\tapp")
    write_lines(tmp_path, "README", "notes")
    messages: list[str] = []

    report = load_dir(target, tmp_path, messages.append)

    assert [(f.table, Path(f.file).name, f.loaded) for f in report.files] == [
        ("event_logs", "event_logs.CSV", 1),
        ("users", "Users.csv", 1),
    ]
    assert report.skipped == ["README", "users.tsv"]
    assert messages[:2] == ["README: skipped, not a .csv file", "users.tsv: skipped, not a .csv file"]


def test_one_table_in_two_files_loads_nothing(target: Target, tmp_path: Path) -> None:
    ensure_raw_tables(target)
    write_lines(tmp_path, "event_logs.csv", EVENT_HEADER, GOOD_EVENT.format(id="e1"))
    write_lines(tmp_path, "event_logs.CSV", EVENT_HEADER, GOOD_EVENT.format(id="e2"))
    write_lines(tmp_path, "users.csv", "user_id", "u1")

    with pytest.raises(BizstatsError) as raised:
        load_dir(target, tmp_path)

    assert str(raised.value) == (
        f"{tmp_path}: one table in two files (event_logs.CSV and event_logs.csv): "
        "keep one file per table; nothing was loaded"
    )
    assert _count(target, "event_logs") == 0
    assert _count(target, "users") == 0
