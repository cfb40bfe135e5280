"""No row lost or read twice by `bizstats load` (issue 15, points 1 and 2): a huge record, an
unclosed quote, and the loader's count of the file's records checked against what it stored."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bizstats.load.records as load_records
from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir
from bizstats.load.records import RECORD_MAX_BYTES, file_facts
from tests_py.support.raw_files import query_rows, raw_table

AT = "2024-03-01 12:00:00"
HEADER = "event_id,event_type,user_agent,event_time"
MIB = 1024 * 1024


def _events(target: Target) -> list[tuple]:
    return query_rows(
        target, f"select event_id, length(user_agent) from {raw_table(target, 'event_logs')} order by id"
    )


def _ledger(target: Target) -> list[tuple]:
    return query_rows(target, f"select rows_read, outcome from {raw_table(target, '_load_ledger')}")


def _write_big_row(folder: Path, mib: int) -> None:
    folder.mkdir(exist_ok=True)
    with open(folder / "event_logs.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(f"{HEADER}\ne1,page_view,ua,{AT}\n")
        fh.write(f'e2,page_view,"{"x" * (mib * MIB)}",{AT}\n')
        fh.write(f"e3,page_view,ua,{AT}\n")


def test_a_33_mib_value_refuses_its_row_only(target: Target, tmp_path: Path) -> None:
    """It made DuckDB's reader set the row aside with the previous row's position: e1 was
    stored twice and e2 lost, reported as `3 loaded, 0 rejected`."""
    _write_big_row(tmp_path / "in", 33)

    (result,) = load_dir(target, tmp_path / "in").files

    assert [(r.line, r.field, r.reason) for r in result.rejected] == [
        (3, "user_agent", "longer than 65,535 bytes (MySQL TEXT)")
    ]
    assert (result.loaded, result.duplicates) == (2, 0)
    assert _events(target) == [("e1", 2), ("e3", 2)]
    assert _ledger(target) == [(3, "committed")]


def test_a_row_over_the_record_limit_refuses_the_file_whole(target: Target, tmp_path: Path) -> None:
    _write_big_row(tmp_path / "in", 70)

    with pytest.raises(BizstatsError) as raised:
        load_dir(target, tmp_path / "in")

    assert str(raised.value) == (
        f"{tmp_path / 'in' / 'event_logs.csv'} line 3: a row of 70.0 MiB, more than the 64 MiB a "
        "row may have; nothing of this file was loaded: remove or shorten that row"
    )
    assert _events(target) == []
    assert _ledger(target) == []


def _unclosed_file(folder: Path, newline: str) -> Path:
    folder.mkdir(exist_ok=True)
    rows = [f"e{i},page_view,ua{i},{AT}" for i in range(2000)]
    rows[5] = f'e5,page_view,"unclosed,{AT}'  # line 7
    path = folder / "event_logs.csv"
    path.write_bytes(newline.join([HEADER, *rows, ""]).encode())
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_quote_left_open_until_a_later_quote_refuses_the_file_naming_the_lines(
    target: Target, tmp_path: Path, newline: str
) -> None:
    """The quote does close, at line 51: the rows of lines 7..51 were one rejected row (10
    fields), the 44 rows inside it lost although the record count added up."""
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [f"e{i},page_view,ua{i},{AT}" for i in range(2000)]
    rows[5] = f'e5,page_view,"unclosed,{AT}'  # line 7
    rows[49] = f'e49,page_view,"Mozilla, 5.0",{AT}'  # line 51: its first quote closes line 7's
    path = folder / "event_logs.csv"
    path.write_bytes(newline.join([HEADER, *rows, ""]).encode())

    for _attempt in range(2):
        with pytest.raises(BizstatsError) as raised:
            load_dir(target, folder)
        assert str(raised.value) == (
            f"{path} line 7: a quoted value runs from line 7 to line 51 and its row is malformed "
            "(5 fields where the header has 4): a quote left open would take the rows of those "
            "lines into one value; nothing of this file was loaded: close the quote (a quote "
            'inside a quoted field is doubled: "")'
        )
    assert _events(target) == []
    assert _ledger(target) == []
    assert query_rows(target, f"select count(*) from {raw_table(target, '_rejected_rows')}") == [(0,)]


def test_a_malformed_row_on_one_line_is_rejected_alone(target: Target, tmp_path: Path) -> None:
    """Only a malformed row spanning lines refuses the file; one on its own line is rejected
    with its line and the rows around it load."""
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [HEADER, f"e1,page_view,ua1,{AT}", f"e2,page_view,ua2,extra,{AT}", f"e3,page_view,ua3,{AT}"]
    (folder / "event_logs.csv").write_text("\n".join([*lines, ""]))

    report = load_dir(target, folder)

    assert [(r.line, r.field, r.reason) for r in report.rejected] == [
        (3, None, "5 fields where the header has 4")
    ]
    assert [e for e, _ in _events(target)] == ["e1", "e3"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_an_unclosed_quote_refuses_the_file_naming_its_line(
    target: Target, tmp_path: Path, newline: str
) -> None:
    """It swallowed the 1,994 rows after it into one rejected row, and the ledger marked the
    file committed, so a re-run skipped it."""
    path = _unclosed_file(tmp_path / "in", newline)

    for _attempt in range(2):  # nothing recorded: a re-run refuses it again, never skips it
        with pytest.raises(BizstatsError) as raised:
            load_dir(target, tmp_path / "in")
        assert str(raised.value) == (
            f"{path} line 7: a quoted field starts here and is never closed (an unclosed quote: "
            "every row after it would be read as its value); nothing of this file was loaded: "
            'close the quote (a quote inside a quoted field is doubled: "")'
        )
    assert _events(target) == []
    assert _ledger(target) == []
    assert query_rows(target, f"select count(*) from {raw_table(target, '_rejected_rows')}") == [(0,)]


def test_rows_stored_must_be_the_rows_of_the_file(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader's invariant: loaded + rejected = the file's records after the header, by a
    count of its own. A reader that lost a row (here: a count that says one more) leaves
    nothing stored and nothing in the ledger."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "event_logs.csv").write_text(f"{HEADER}\ne1,page_view,,{AT}\ne2,page_view,,bad\n")
    real = file_facts

    def one_more(path: Path) -> load_records.FileFacts:
        facts = real(path)
        return dataclasses.replace(facts, records=facts.records + 1)

    monkeypatch.setattr("bizstats.load.loader.file_facts", one_more)

    with pytest.raises(BizstatsError) as raised:
        load_dir(target, folder)

    assert str(raised.value) == (
        f"{folder / 'event_logs.csv'}: the file has 3 rows but 2 were read (1 loaded, 1 rejected): "
        "its quotes or line endings leave the CSV reader lost; nothing of this file was loaded"
    )
    assert _events(target) == []
    assert _ledger(target) == []
    assert query_rows(target, f"select count(*) from {raw_table(target, '_rejected_rows')}") == [(0,)]


@pytest.mark.parametrize(
    ("content", "records", "unclosed"),
    [
        (b"a,b\n1,2\n", 2, None),
        (b"a,b\n1,2", 2, None),  # no line break at the end
        (b"a,b\n\n1,2\n\n\n3,4\n", 3, None),  # blank lines are no records
        (b"a,b\r\n1,\"x\r\ny\"\r\n\r\n2,3\r\n", 3, None),
        (b'a,b\n1,"say ""hi""\n, twice"\n', 2, None),
        (b'a,b\n1,5\'11"\n2,x"y"\n', 3, None),  # quotes inside unquoted fields are characters
        (b'a,b\n1, "x,\ny"\n', 2, None),  # blanks before an opening quote
        (b'a,b\n1,"q"z\n2,3\n', 3, None),
        (b'a,b\n1,2\n3,"open\n4,5\n', 3, 3),  # the open record runs to the end
        (b'a,b\n1,b"c\n2,"d\n3,e\n', 3, 3),  # a literal quote, then an unclosed one
    ],
)
def test_records_are_counted_as_csv_readers_read_them(
    tmp_path: Path, content: bytes, records: int, unclosed: int | None
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)

    facts = file_facts(path)

    assert (facts.records, facts.unclosed_quote_line) == (records, unclosed)


_FIELD = st.text(st.sampled_from(list('ab ,"\n\r\u00e9\u4e2d')), max_size=6)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.lists(_FIELD, min_size=1, max_size=4), max_size=12),
    terminator=st.sampled_from(["\n", "\r\n"]),
    stray=st.lists(st.integers(min_value=0, max_value=400), max_size=3),
    chunk=st.sampled_from([1, 2, 3, 7, 64]),
)
def test_record_count_agrees_with_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows, terminator, stray, chunk
) -> None:
    """Files written by csv.writer (any field, line breaks and quotes included), with quotes
    inside unquoted fields added, counted in chunks of a few bytes: the csv module's records,
    less blank lines."""
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows(rows)
    text = _add_literal_quotes(out.getvalue(), stray)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    monkeypatch.setattr(load_records, "CHUNK_BYTES", chunk)

    facts = file_facts(path)

    expected = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    assert (facts.records, facts.unclosed_quote_line) == (len(expected), None)


def _add_literal_quotes(text: str, picks: list[int]) -> str:
    """A quote after the first letter of some unquoted fields (a letter right after a comma or
    a line start, outside quotes), where the csv module and DuckDB read it as a character."""
    candidates = [
        i
        for i in range(1, len(text))
        if text[i] in "ab" and text[i - 1] in ",\n" and text[:i].count('"') % 2 == 0
    ]
    chosen = {candidates[pick % len(candidates)] for pick in picks} if candidates else set()
    for i in sorted(chosen, reverse=True):
        text = text[: i + 1] + '"' + text[i + 1 :]
    return text


def test_oversize_is_measured_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_records, "CHUNK_BYTES", 4)
    monkeypatch.setattr(load_records, "RECORD_MAX_BYTES", 10)
    path = tmp_path / "f.csv"
    path.write_bytes(b'a,b\n1,"012345"\n2,"0123\n45678"\n3,4\n')  # 10 bytes, then 14 at line 3

    facts = file_facts(path)

    assert (facts.oversize_line, facts.oversize_bytes) == (3, 14)
    assert RECORD_MAX_BYTES == 64 * MIB
