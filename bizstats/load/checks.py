"""The raw contract's row checks in Python: the exact reason a row is refused (the value
rules: bizstats.validate, shared with the collector).

The bulk of a file is checked in SQL (bizstats.load.sql), which only tells rows surely
good from the others. The few others — and the rows DuckDB's CSV reader could not read,
e.g. bytes that are not UTF-8 — come here, where `row_values` gives either the row's
values or the first broken column with its reason, as the contract words it.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from bizstats.config import DatetimeWindow
from bizstats.contract import RawTable
from bizstats.errors import BizstatsError
from bizstats.settings import settings
from bizstats.validate import JSON_MAX_DEPTH, TEXT_MAX_BYTES, Check, normalized, value_check

__all__ = ["JSON_MAX_DEPTH", "TEXT_MAX_BYTES", "Check"]  # the contract's limits, for the SQL checks

# The csv module refuses a field over 131,072 characters, which took the whole file down:
# read fields up to 64 Mi characters (beyond what any column stores), so an over-long value
# is refused by its row's length check, as any other.
FIELD_MAX_CHARS = 64 * 1024 * 1024
QUARANTINE_VALUE_CHARS = 65_535  # a longer value is cut in `raw_values` (a packet limit)
NOT_UTF8_HINT = "save the file as UTF-8"

csv.field_size_limit(max(csv.field_size_limit(), FIELD_MAX_CHARS))

# bytes that are not UTF-8, as the `surrogateescape` error handler reads them
_UNDECODED = re.compile("[\udc80-\udcff]+")


class Slot(NamedTuple):
    """How to take one contract column from a CSV row."""

    name: str
    position: int  # in the row; -1 when the file lacks the (nullable) column
    nullable: bool
    trim: bool  # an id: surrounding whitespace removed (the contract's one identity per id)
    max_chars: int  # a string column's length; 0 for the other kinds, which use `check`
    kind: str  # the contract column's kind (bizstats.contract.Column.kind)


@dataclass(frozen=True)
class Layout:
    """Where a table's contract columns sit in one file."""

    table: RawTable
    path: Path
    header: list[str]
    slots: list[Slot]
    window: DatetimeWindow  # the accepted datetimes, bound to the load time by `checks`


class BadRow(Exception):
    """A row that breaks the contract: the column (None for the whole row) and why."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def open_text(path: Path) -> TextIO:
    """The file as text for the csv module. Bytes that are not UTF-8 are read as lone
    surrogates: their row is refused, not the file."""
    try:
        return open(  # noqa: SIM115 - caller closes
            path, newline="", encoding="utf-8-sig", errors="surrogateescape"
        )
    except OSError as exc:
        raise BizstatsError(f"cannot read {path}: {exc.strerror}") from exc


def _read_header(path: Path) -> list[str]:
    with open_text(path) as fh:
        try:
            header = next(csv.reader(fh), None)
        except csv.Error as exc:
            raise BizstatsError(f"{path}: unreadable header row: {exc}") from exc
    if not header:
        raise BizstatsError(f"{path}: no header row (the first line must name the columns)")
    return header


def layout(table: RawTable, path: Path) -> Layout:
    """Match the file's header to the contract; a missing required column is an error."""
    header = _read_header(path)
    names = [h.strip() for h in header]
    for col in table.columns:
        if names.count(col.name) > 1:
            raise BizstatsError(f"{path}: column {col.name!r} appears more than once")
        if not col.nullable and col.name not in names:
            raise BizstatsError(f"{path}: required column {col.name!r} is missing from the header")
    slots = [
        Slot(
            col.name,
            names.index(col.name) if col.name in names else -1,
            col.nullable,
            col.is_id,
            (col.length or 0) if col.kind == "string" else 0,
            col.kind,
        )
        for col in table.columns
    ]
    return Layout(table, path, header, slots, settings().load.window)


def checks(layout: Layout, loaded_at: datetime) -> list[Check]:
    """Each slot's check of its non-empty values (bizstats.validate), datetimes bound to the
    window of a load at `loaded_at`."""
    window = layout.window.bounds(loaded_at)
    return [value_check(column, window) for column in layout.table.columns]


def row_values(layout: Layout, row_checks: list[Check], fields: list[str]) -> list[str | None]:
    """The row's contract values (ids trimmed, empty or all-blank = NULL), or BadRow."""
    if len(fields) != len(layout.header):
        raise BadRow(None, f"{len(fields)} fields where the header has {len(layout.header)}")
    values: list[str | None] = []
    for slot, column, check in zip(layout.slots, layout.table.columns, row_checks, strict=True):
        value = normalized(column, fields[slot.position] if slot.position >= 0 else None)
        if value is None:
            if not slot.nullable:
                raise BadRow(slot.name, "required value is missing")
        else:
            if not value.isascii() and (reason := _check_utf8(value)) is not None:
                raise BadRow(slot.name, reason)
            if (reason := check(value)) is not None:
                raise BadRow(slot.name, reason)
        values.append(value)
    return values


def _check_utf8(value: str) -> str | None:
    """A value read with bytes that are not UTF-8 (see open_text): the first of them, and the fix."""
    bad = _UNDECODED.search(value)
    if bad is None:
        return None
    byte = ord(bad.group()[0]) - 0xDC00
    return f"not UTF-8 (byte 0x{byte:02x} at character {bad.start() + 1}): {NOT_UTF8_HINT}"


def raw_values(header: list[str], fields: list[str]) -> str:
    """A refused row's `raw_values`: a JSON object by header (a list if misaligned)."""
    fields = [_storable(value) for value in fields]
    if len(fields) == len(header):
        raw: Any = dict(zip(map(_storable, header), fields, strict=True))
    else:
        raw = fields
    return json.dumps(raw, ensure_ascii=False)


def _storable(value: str) -> str:
    """A raw value as the quarantine can store it: bytes that are not UTF-8 written as
    `\\xNN`, a value longer than QUARANTINE_VALUE_CHARS cut (saying so)."""
    if not value.isascii():
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(value) > QUARANTINE_VALUE_CHARS:
        value = value[:QUARANTINE_VALUE_CHARS] + f"... [cut: {len(value):,} characters]"
    return value
