"""The bulk loader (DuckDB SQL checks, insert ... select / LOAD DATA) on both targets: the
same outcome, row for row, as the contract's Python checks (bizstats.load.checks), exact
physical lines, values byte for byte, event_logs' keep-earliest across files."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pymysql
import pytest

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.errors import BizstatsError
from bizstats.load.checks import BadRow, checks, layout, row_values
from bizstats.load.loader import LoadReport, load_dir, load_file
from tests_py.support.raw_files import query_rows, raw_table, write_lines

EVENT_COLUMNS = TABLES["event_logs"].column_names
AT = "2024-03-01 12:00:00"
PAD = "\u3000\xa0\t"  # whitespace str.strip() removes: an id padded with it is trimmed

# (column, value) set into an otherwise good event row; each row tells SQL's checks apart
# from Python's, so both the surely-good rows and the doubtful ones are exercised
VARIANTS = [
    ("event_id", f"{PAD}padded{PAD}"),
    ("event_id", PAD),
    ("user_id", "\u00e9" * 50),
    ("user_id", "\u00e9" * 51),
    ("user_id", "用户"),
    ("device_id", " spaced "),  # not an id column: kept as is
    ("page_title", PAD),  # blank: NULL
    ("page_title", "标题\ttab"),
    ("amount", "-0"),
    ("amount", "-0.00"),
    ("amount", "-0.01"),
    ("amount", "+7"),
    ("amount", "0012.3"),
    ("amount", " 1.00"),
    ("amount", "9999999999999999.99"),
    ("amount", "9999999999.99"),  # the largest amount (bizstats.validate.AMOUNT_MAX)
    ("amount", "10000000000.00"),
    ("amount", "00000000000000000001.5"),
    ("amount", "12345678901234567"),
    ("amount", "1."),
    ("amount", "١٢"),  # Arabic-Indic digits: not [0-9]
    ("extra_data", '{"note": "nan and Infinity are words here"}'),
    ("extra_data", '{"a": NaN}'),
    ("extra_data", "Infinity"),
    ("extra_data", "[1, 2,]"),
    ("extra_data", '"\\ud83d\\ude00"'),  # an escaped surrogate pair: good
    ("extra_data", '"\\udE00"'),
    ("extra_data", "[" * 31 + "]" * 31),
    ("extra_data", "[" * 32 + "]" * 32),
    ("extra_data", "[[]]" * 20),  # many brackets, shallow: good
    ("extra_data", '"' + "x" * 65_533 + '"'),  # 65,535 bytes of JSON: good
    ("extra_data", '"' + "x" * 65_534 + '"'),
    ("extra_data", '{"a": "tab\there"}'),  # a raw control character in a string
    ("extra_data", " {} "),
    ("user_agent", "\u00e9" * 32767 + "a"),  # 65,535 bytes: the most TEXT holds
    ("user_agent", "\u00e9" * 32768),
    ("event_time", "0000-01-01 00:00:00"),
    ("event_time", "2024-01-01 23:59:60"),
    ("event_time", "2023-02-29 00:00:00"),
    ("event_time", "2024-02-29 23:59:59"),
    ("event_time", "2024-1-01 00:00:00"),
    ("event_time", "２０２４-01-01 00:00:00"),
    ("created_at", ""),
    ("created_at", "1999-12-31 23:59:59"),
    ("event_type", ""),
]


def _event(**values: str) -> dict[str, str]:
    row = dict.fromkeys(EVENT_COLUMNS, "")
    row.update(event_type="page_view", user_id="u1", amount="1.50", extra_data="{}")
    row.update(event_time=AT, created_at=AT)
    row.update(values)
    return row


def _csv_text(rows: list[dict[str, str]], line_end: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(rows[0].keys())
    for row in rows:
        writer.writerow(row.values())
    return out.getvalue()


def _expected(
    path: Path, loaded_at: datetime
) -> tuple[list[list[str | None]], list[tuple[int, str | None, str]]]:
    """The contract's verdict, row by row, from the Python checks: (good values, refusals)."""
    lay = layout(TABLES["event_logs"], path)
    row_checks = checks(lay, loaded_at)
    good, refused = [], []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        start = reader.line_num + 1
        for fields in reader:
            if fields:
                try:
                    good.append(row_values(lay, row_checks, fields))
                except BadRow as bad:
                    refused.append((start, bad.field, bad.reason))
            start = reader.line_num + 1
    return good, refused


def _stored(target: Target, table: str = "event_logs") -> list[tuple]:
    """The raw rows as text, in store order (NULL as None)."""
    columns = TABLES[table].column_names
    order = "id" if table == "event_logs" else "_row_id"
    rows = query_rows(target, f"select {', '.join(columns)} from {raw_table(target, table)} order by {order}")
    return [tuple(_text(v) for v in row) for row in rows]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _as_stored(values: list[str | None]) -> tuple:
    """Python's values as the raw table stores them (amounts as DECIMAL(18,2), -0 as 0)."""
    amount = EVENT_COLUMNS.index("amount")
    return tuple(
        f"{abs(Decimal(v)):.2f}" if i == amount and v is not None else v for i, v in enumerate(values)
    )


def test_sql_checks_agree_with_the_python_checks(target: Target, tmp_path: Path) -> None:
    rows = [_event(event_id=f"g{n}") for n in range(3)]
    for n, (column, value) in enumerate(VARIANTS):
        rows.append(_event(**{"event_id": f"v{n}", column: value}))
    rows.append(_event(event_id="last"))
    path = tmp_path / "event_logs.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")

    (result,) = load_dir(target, tmp_path).files

    ((loaded_at,),) = query_rows(target, f"select max(_loaded_at) from {raw_table(target, 'event_logs')}")
    good, refused = _expected(path, loaded_at)
    assert [(r.line, r.field, r.reason) for r in result.rejected] == refused
    assert _stored(target) == [_as_stored(v) for v in good], "same values, in file order"
    assert result.loaded == len(good) == len(rows) - len(refused)
    assert len(refused) == 25


def test_lines_of_rows_after_multiline_values_blank_lines_and_unreadable_rows(
    target: Target, tmp_path: Path
) -> None:
    path = write_lines(
        tmp_path,
        "event_logs.csv",
        "event_id,event_type,page_title,event_time",
        f"g1,page_view,,{AT}",
        f'g2,page_view,"three{chr(10)}line{chr(10)}title",{AT}',  # lines 3-5
        "",
        f"b1,page_view,,{AT},surplus",  # line 7
        f'g3,page_view,"two{chr(10)}lines",{AT}',  # lines 8-9
        "b2,page_view,,2024-13-01 00:00:00",  # line 10
        "",
        "",
        f'b3,page_view,"{"x" * 300}",{AT}',  # line 13
        f"g4,page_view,,{AT}",
    )
    path.write_bytes(path.read_bytes() + f"g5,page_view,caf\xe9,{AT}\n".encode("latin-1"))  # line 15

    (result,) = load_dir(target, tmp_path).files

    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (7, None, "5 fields where the header has 4"),
        (10, "event_time", "not a date-time YYYY-MM-DD HH:MM:SS: '2024-13-01 00:00:00'"),
        (13, "page_title", "longer than 255 characters: 300"),
        (15, "page_title", "not UTF-8 (byte 0xe9 at character 4): save the file as UTF-8"),
    ]
    assert [row[0] for row in _stored(target)] == ["g1", "g2", "g3", "g4"]
    assert query_rows(
        target, f"select line, field from {raw_table(target, '_rejected_rows')} order by line"
    ) == [(7, None), (10, "event_time"), (13, "page_title"), (15, "page_title")]


def test_crlf_file_with_multiline_values(target: Target, tmp_path: Path) -> None:
    rows = [
        _event(event_id="g1", page_title="a\r\nb"),
        _event(event_id="b1", amount="oops"),
        _event(event_id="g2"),
        _event(event_id="b2", event_time="x"),
    ]
    (tmp_path / "event_logs.csv").write_bytes(_csv_text(rows, "\r\n").encode())

    (result,) = load_dir(target, tmp_path).files

    assert [(r.line, r.field) for r in result.rejected] == [(4, "amount"), (6, "event_time")]
    assert [(row[0], row[6]) for row in _stored(target)] == [("g1", "a\r\nb"), ("g2", None)]


def test_rows_python_finds_good_keep_their_place(target: Target, tmp_path: Path) -> None:
    """Rows DuckDB cannot read (bytes not UTF-8 in an ignored column, a stray quote) or SQL
    cannot clear (JSON naming NaN) but Python finds good are stored in file order."""
    path = write_lines(
        tmp_path,
        "users.csv",
        "user_id,nickname,channel",
        "u1,,wechat",
        "u2,PLACEHOLDER,app",
        'u3,"q"z,h5',  # the csv module reads q z as 'qz'
        "u4,,official",
    )
    path.write_bytes(path.read_bytes().replace(b"PLACEHOLDER", "张三".encode("gbk")))
    write_lines(
        tmp_path,
        "orders.csv",
        "order_id,amount",
        "o1,1",
        "o2,-0",
        "o3,2",
        "o4,-0.00",
    )

    report = load_dir(target, tmp_path)

    assert report.rejected == []
    assert _stored(target, "users") == [
        ("u1", None, "wechat", None),
        ("u2", None, "app", None),
        ("u3", None, "h5", None),
        ("u4", None, "official", None),
    ]
    assert _stored(target, "orders") == [
        ("o1", None, None, None, "1.00", None),
        ("o2", None, None, None, "0.00", None),
        ("o3", None, None, None, "2.00", None),
        ("o4", None, None, None, "0.00", None),
    ]


def test_values_survive_byte_for_byte(target: Target, tmp_path: Path) -> None:
    """Tabs, backslashes, line breaks, `\\N` and `NULL` as text, quotes, Chinese: stored as
    written (LOAD DATA's escapes undone); an empty, quoted-empty or blank value is NULL."""
    tricky = [
        "tab\there",
        "back\\slash\\",
        "\\N",
        "NULL",
        "line\nbreak\r\nand\rcr",
        'say "hi", twice',
        "中文，标点。",
        " lead and trail ",
        "\\t not a tab",
    ]
    rows = [_event(event_id=f"e{n}", page_title=value, user_agent=value) for n, value in enumerate(tricky)]
    text = _csv_text(rows)
    text += f'n1,page_view,,,,,"",,,,,,,   ,{AT},\n'  # quoted empty, blank: NULL
    (tmp_path / "event_logs.csv").write_text(text, encoding="utf-8")

    (result,) = load_dir(target, tmp_path).files

    assert result.rejected == []
    stored = _stored(target)
    title, agent = EVENT_COLUMNS.index("page_title"), EVENT_COLUMNS.index("user_agent")
    assert [(row[title], row[agent]) for row in stored] == [*((v, v) for v in tricky), (None, None)]


def test_one_column_file_with_blank_lines(target: Target, tmp_path: Path) -> None:
    write_lines(tmp_path, "users.csv", "user_id", "u1", "", "u2", '""', "", "  ", "u3", "", "")

    (result,) = load_dir(target, tmp_path).files

    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (5, "user_id", "required value is missing"),
        (7, "user_id", "required value is missing"),
    ]
    assert [row[0] for row in _stored(target, "users")] == ["u1", "u2", "u3"]


def test_line_longer_than_duckdb_reads_at_once(target: Target, tmp_path: Path) -> None:
    """A row over DuckDB's line size (2 MB) is read by the csv module: refused when the long
    value is a column's, loaded when it sits in a column the loader ignores."""
    write_lines(
        tmp_path,
        "event_logs.csv",
        "event_id,event_type,notes,user_agent,event_time",
        f"g1,page_view,,,{AT}",
        f"g2,page_view,{'n' * 3_000_000},,{AT}",
        f"b1,page_view,,{'a' * 3_000_000},{AT}",
        f"g3,page_view,,,{AT}",
    )

    (result,) = load_dir(target, tmp_path).files

    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (4, "user_agent", "longer than 65,535 bytes (MySQL TEXT)")
    ]
    assert [row[0] for row in _stored(target)] == ["g1", "g2", "g3"]


def test_mixed_line_endings_load_normalised(target: Target, tmp_path: Path) -> None:
    """A Windows export with lines appended on Linux (and one old-Mac line): every row loads,
    on its line; line breaks inside quoted values are the values' own and stay as they are."""
    lines = [
        b"event_id,event_type,page_title,event_time\r\n",  # line 1
        b"e1,page_view,plain,%s\r\n",  # 2
        b'e2,page_view,"two\r\nlines",%s\n',  # 3-4
        b'e3,page_view,"lone\rcarriage return",%s\n',  # 5-6
        b"bad,page_view,,not-a-date\r\n",  # 7
        b'e4,page_view,"quote ""inside""",%s\n',  # 8
        b"e5,page_view,unquoted 5'11\" tall,%s\r",  # 9, a quote inside an unquoted field
        b"e6,page_view,last,%s\n",  # 10
    ]
    (tmp_path / "event_logs.csv").write_bytes(b"".join(
        line % AT.encode() if b"%s" in line else line for line in lines
    ))
    messages: list[str] = []

    (result,) = load_dir(target, tmp_path, progress=messages.append).files

    said = "event_logs.csv: mixed line endings (3 \\r\\n, 4 \\n, 1 lone \\r): read with every one made \\n"
    assert said in messages
    assert [(r.line, r.field) for r in result.rejected] == [(7, "event_time")]
    assert [row[:2] for row in _stored(target)] == [
        ("e1", "page_view"), ("e2", "page_view"), ("e3", "page_view"), ("e4", "page_view"),
        ("e5", "page_view"), ("e6", "page_view"),
    ]
    titles = query_rows(target, f"select page_title from {raw_table(target, 'event_logs')} order by id")
    assert [title for (title,) in titles] == [
        "plain", "two\r\nlines", "lone\rcarriage return", 'quote "inside"', "unquoted 5'11\" tall", "last"
    ]


def test_event_ids_repeated_within_and_across_files(target: Target, tmp_path: Path) -> None:
    header = "event_id,event_type,user_id,event_time,created_at"
    first = write_lines(
        tmp_path / "a",
        "event_logs.csv",
        header,
        "e1,view,first-e1,2024-01-01 00:00:00,2024-01-01 10:00:00",
        "e2,view,first-e2,2024-01-01 00:00:00,2024-01-01 10:00:00",
    )
    fresh = write_lines(tmp_path / "b", "event_logs.csv", header, "e3,view,b-e3,2024-01-01 00:00:00,")
    both = write_lines(
        tmp_path / "c",
        "event_logs.csv",
        header,
        "e3,view,c-e3-late,2024-01-01 00:00:00,2024-01-01 12:00:00",  # stored one has NULL
        "e1,view,c-e1-early,2024-01-01 00:00:00,2024-01-01 09:00:00",
        "e4,view,c-e4,2024-01-01 00:00:00,2024-01-01 09:00:00",
        "e2,view,c-e2-late,2024-01-01 00:00:00,2024-01-01 11:00:00",
        "e4,view,c-e4-earlier,2024-01-01 00:00:00,2024-01-01 08:00:00",
        "e5,view,c-e5,2024-01-01 00:00:00,",
    )

    assert load_file(target, "event_logs", first).duplicates == 0
    assert load_file(target, "event_logs", fresh).duplicates == 0  # into a non-empty table
    assert load_file(target, "event_logs", both).duplicates == 4

    stored = {(row[0], row[2]) for row in _stored(target)}
    if target.name == "duckdb":  # every delivery appended
        assert len(_stored(target)) == 9
        return
    assert stored == {
        ("e1", "c-e1-early"),
        ("e2", "first-e2"),
        ("e3", "c-e3-late"),
        ("e4", "c-e4-earlier"),
        ("e5", "c-e5"),
    }


def test_both_targets_store_the_same_rows(
    duckdb_target: Target, mysql_target: Target, tmp_path: Path
) -> None:
    rows = [_event(**{"event_id": f"v{n}", column: value}) for n, (column, value) in enumerate(VARIANTS)]
    rows += [_event(event_id="t1", page_title="a\tb\\c\nd", user_agent="中文 \\N")]
    (tmp_path / "event_logs.csv").write_text(_csv_text(rows), encoding="utf-8")

    on_duckdb = load_dir(duckdb_target, tmp_path)
    on_mysql = load_dir(mysql_target, tmp_path)

    def refusals(report: LoadReport) -> list[tuple[int, str | None, str]]:
        # the window's end is the load time + 1 day: the two loads may be a second apart
        return [(r.line, r.field, re.sub(r", [0-9: -]+\]", ", <end>]", r.reason)) for r in report.rejected]

    assert refusals(on_duckdb) == refusals(on_mysql)
    assert len(refusals(on_duckdb)) == 25
    assert _stored(duckdb_target) == _stored(mysql_target)
    quarantine = "select line, raw_values from {} order by line"
    assert [
        (line, json.loads(raw))
        for line, raw in query_rows(
            duckdb_target, quarantine.format(raw_table(duckdb_target, "_rejected_rows"))
        )
    ] == [
        (line, json.loads(raw))
        for line, raw in query_rows(
            mysql_target, quarantine.format(raw_table(mysql_target, "_rejected_rows"))
        )
    ]


def test_server_refusing_load_data_is_one_clear_error(mysql_target: Target, tmp_path: Path) -> None:
    class Refusing(pymysql.cursors.Cursor):
        """A cursor of a server with local_infile off (MariaDB's error)."""

        def execute(self, query: str, args: object = None) -> int:
            if query.startswith("load data"):
                raise pymysql.err.OperationalError(4166, "local infile capability disabled")
            return super().execute(query, args)

    write_lines(tmp_path, "users.csv", "user_id", "u1")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(BizstatsError) as raised:
        patch.setattr(pymysql.connections.Connection, "cursor", lambda self, cursor=None: Refusing(self))
        load_dir(mysql_target, tmp_path)

    assert str(raised.value).endswith(
        "the server refuses LOAD DATA LOCAL INFILE, which `bizstats load` uses: enable it with "
        "`SET GLOBAL local_infile = ON` (or local_infile=1 in the server's configuration); "
        "nothing of this file was loaded"
    )
    assert _stored(mysql_target, "users") == []
