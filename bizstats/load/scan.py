"""Check a CSV file in DuckDB: the good rows as one query, the refused rows with their reason.

One pass of SQL (bizstats.load.sql) over the whole file sets aside the rows that are not
surely good; DuckDB's CSV reader sets aside the rows it cannot read (with their byte
position). Only those few rows go through Python (bizstats.load.checks), which words the
reason — or finds the row good after all, e.g. bytes that are not UTF-8 in a column the
loader ignores. The good rows are then a query over the file in file order, which the
writer streams into its target.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from bizstats.db import single_row
from bizstats.errors import BizstatsError
from bizstats.load.checks import TEXT_MAX_BYTES, BadRow, Layout, checks, raw_values, row_values
from bizstats.load.lines import Lines, read_record, record_starts
from bizstats.load.records import FileFacts
from bizstats.load.sql import (
    ORDINAL,
    kept,
    last_characters,
    may_hold_personal_data,
    pseudonymized,
    surely_good,
    values,
    with_values,
)
from bizstats.privacy import Scrubber, column_rule

POSITION = "_pos"  # a good row's place in the file: ORDINAL * SLOTS (+ n for a Python row)
# The rows DuckDB could not read sit between its rows: the n-th after row k is at
# k * SLOTS + n. More than SLOTS - 1 unreadable rows in a row are beyond any real file.
SLOTS = 1 << 24
PAGE_ROWS = 10_000  # rows taken to Python at a time
ROWS = "_bizstats_load_rows"  # the file as read: ordinal, raw fields, surely good or not
FIXED = "_bizstats_load_fixed"  # rows Python found good
REJECTS = "_bizstats_load_rejects"  # DuckDB's unreadable rows (its rejects_table)


@dataclass(frozen=True)
class Refusal:
    """A refused row: its physical line, the column (None for the row itself), the reason,
    and its raw values as JSON (see checks.raw_values)."""

    line: int
    field: str | None
    reason: str
    raw_values: str


@dataclass(frozen=True)
class Scan:
    """A checked file: `rows` selects its good rows (POSITION, then the layout's values v0,
    v1, ... as text, NULL for none) on the connection that scanned it, in file order unless
    `ordered`: then order them by POSITION (rows Python found good are among them)."""

    rows: str
    ordered: bool


Refuse = Callable[[list[Refusal]], None]  # takes refused rows, a page at a time


@dataclass(frozen=True)
class Line:
    """A row's physical line: known, or DuckDB's row `ordinal`'s, found when asked."""

    known: int
    lines: Lines | None = None

    def __call__(self) -> int:
        return self.lines.of_row(self.known) if self.lines is not None else self.known


def scan(
    con: duckdb.DuckDBPyConnection,
    layout: Layout,
    facts: FileFacts,
    loaded_at: datetime,
    refuse: Refuse,
    scrub: Scrubber,
) -> Scan:
    """Check the file on `con` (its temporary tables stay until the next scan); refused rows
    go to `refuse` in file order. Good rows have their personal data replaced by `scrub`'s
    rule (bizstats.privacy): in Python for the rows SQL flags, whole user_ids in SQL."""
    path = str(layout.path)
    for table in (ROWS, FIXED, REJECTS, REJECTS + "_scan"):
        con.execute(f"drop table if exists {table}")
    fields = ", ".join(f"c{i}" for i in range(len(layout.header)))
    try:
        # one read of the file, kept: a second read could skip other rows (DuckDB checks the
        # UTF-8 of the columns a query uses only)
        con.execute(
            f"create temp table {ROWS} as select {ORDINAL}, {fields}, "
            f"{surely_good(layout, loaded_at)} and not ({may_hold_personal_data(layout, scrub)}) "
            f"as _good from ({with_values(path, layout, REJECTS)})"
        )
    except duckdb.InvalidInputException as exc:
        first = str(exc).splitlines()[0].removeprefix("Invalid Input Error: ")
        raise BizstatsError(
            f"{layout.path}: malformed CSV ({first}); nothing of this file was loaded: check its quotes"
        ) from exc
    columns = ", ".join(f"v{i} varchar" for i in range(len(layout.slots)))
    con.execute(f"create temp table {FIXED} ({POSITION} bigint, {columns})")
    positions = [p for (p,) in con.execute(f"select distinct line_byte_position from {REJECTS}").fetchall()]
    kept_rows = kept(len(layout.header))
    suspects = f"select {ORDINAL}, {fields} from {ROWS} where not _good and {kept_rows}"
    sorter = _Sorter(con, layout, loaded_at, refuse, scrub)
    if positions or _any(con, suspects):
        starts = sorted(record_starts(layout.path, positions).values())
        (read_rows,) = single_row(con.execute(f"select count(*) from {ROWS}"))
        lines = Lines(layout.path, facts, read_rows, [line for _, line in starts], len(layout.header))
        for position, line, raw in heapq.merge(
            _suspects(con, suspects, lines), _unreadable(layout.path, starts, lines)
        ):
            sorter.take(position, line, raw)
        sorter.flush()
    rows = (
        f"select {ORDINAL} * {SLOTS} as {POSITION}, {values(layout)} "
        f"from (select *, {last_characters(layout)} from {ROWS} where _good and {kept_rows})"
    )
    rows = pseudonymized(rows, layout, scrub)
    if sorter.fixed:
        rows = f"{rows} union all select * from {FIXED}"
    return Scan(rows, sorter.fixed > 0)


def _any(con: duckdb.DuckDBPyConnection, query: str) -> bool:
    return bool(single_row(con.execute(f"select exists ({query})"))[0])


def _unreadable(
    path: Path, starts: list[tuple[int, int]], lines: Lines
) -> Iterator[tuple[int, Line, list[str]]]:
    """The rows DuckDB could not read (their first byte and line, in file order) as the csv
    module reads them: their POSITION (after the DuckDB rows before them), line and fields."""
    after: dict[int, int] = {}
    for start, line in starts:
        fields = read_record(path, start)
        if fields:
            before = lines.rows_before(line)
            after[before] = after.get(before, 0) + 1
            yield before * SLOTS + after[before], Line(line), fields


def _suspects(
    con: duckdb.DuckDBPyConnection, suspects: str, lines: Lines
) -> Iterator[tuple[int, Line, list[str]]]:
    """The rows SQL did not clear, in file order, as the csv module reads them ('' for NULL):
    their POSITION, line (found when asked: only a refused row needs it) and fields."""
    last = 0
    while True:
        page = con.execute(
            f"{suspects} and {ORDINAL} > ? order by {ORDINAL} limit {PAGE_ROWS}", [last]
        ).fetchall()
        if not page:
            return
        for ordinal, *raw in page:
            yield ordinal * SLOTS, Line(ordinal, lines), ["" if v is None else v for v in raw]
        last = page[-1][0]


def _scrubbed(layout: Layout, scrub: Scrubber, values: list[str | None]) -> list[str | None]:
    """A good row's values with the privacy rule applied, or BadRow when extra_data outgrows
    its column once its numbers are encrypted."""
    out = []
    for column, value in zip(layout.table.columns, values, strict=True):
        if value is not None and (rule := column_rule(column)) is not None:
            value = scrub.column(rule, column, value)
            if column.kind == "json" and len(value.encode()) > TEXT_MAX_BYTES:
                reason = f"longer than {TEXT_MAX_BYTES:,} bytes once its numbers are encrypted"
                raise BadRow(column.name, reason)
        out.append(value)
    return out


class _Sorter:
    """Python's verdict on rows SQL could not clear: good ones to the FIXED table, refused
    ones to `refuse`, a page at a time."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        layout: Layout,
        loaded_at: datetime,
        refuse: Refuse,
        scrub: Scrubber,
    ) -> None:
        self.con = con
        self.layout = layout
        self.checks = checks(layout, loaded_at)
        self.refuse = refuse
        self.scrub = scrub
        self.good: list[list[Any]] = []
        self.refused: list[Refusal] = []
        self.fixed = 0

    def take(self, position: int, line: Line, fields: list[str]) -> None:
        try:
            values = row_values(self.layout, self.checks, fields)
            self.good.append([position, *_scrubbed(self.layout, self.scrub, values)])
        except BadRow as bad:
            start = line()
            if bad.field is None and (breaks := _line_breaks(fields)):
                raise BizstatsError(_swallowed(self.layout.path, start, start + breaks, bad.reason)) from None
            self.refused.append(Refusal(start, bad.field, bad.reason, raw_values(self.layout.header, fields)))
        if len(self.good) + len(self.refused) >= PAGE_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.good:
            import pandas as pd  # imported here, not with the module: the build needs none of it

            columns = [POSITION, *(f"v{i}" for i in range(len(self.layout.slots)))]
            frame = pd.DataFrame(self.good, columns=columns).astype({POSITION: "int64"})
            frame[columns[1:]] = frame[columns[1:]].astype("string")
            self.con.register("_bizstats_load_page", frame)
            self.con.execute(f"insert into {FIXED} select * from _bizstats_load_page")
            self.con.unregister("_bizstats_load_page")
            self.fixed += len(self.good)
            self.good = []
        if self.refused:
            self.refuse(self.refused)
            self.refused = []


def _line_breaks(fields: list[str]) -> int:
    """The line breaks inside a row's values (`\\r\\n`, `\\n` and a lone `\\r` one each): the
    lines the row spans after its first."""
    return sum(f.count("\n") + f.count("\r") - f.count("\r\n") for f in fields)


def _swallowed(path: Path, first: int, last: int, reason: str) -> str:
    """A malformed row that spans lines: a quote left open took the lines after it into one of
    its values, so those rows would be lost inside one rejected row. The file is refused whole,
    naming the lines, rather than losing them."""
    return (
        f"{path} line {first}: a quoted value runs from line {first} to line {last} and its row is "
        f"malformed ({reason}): a quote left open would take the rows of those lines into one "
        "value; nothing of this file was loaded: close the quote (a quote inside a quoted field "
        'is doubled: "")'
    )
