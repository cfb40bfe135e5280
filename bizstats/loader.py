"""`bizstats load DIR`: a folder of `<table>.csv` files into the raw tables.

Every row is checked against the raw contract (bizstats.contract). Good rows are appended
to their raw table; bad rows go to the quarantine table `<raw schema>._rejected_rows` with
the reason. One file is one transaction: either all of it (good and quarantined rows) is
stored or nothing is. On MySQL, event_logs keeps one row per event_id: the delivery with
the earliest created_at.

Loads are safe to re-run: each file's transaction also records it in the load ledger
`<raw schema>._load_ledger` (table, file, sha256 of its bytes, row counts). A file whose
content is already recorded for its table is skipped, saying when it was loaded; so a folder
loaded twice stores its rows once, and a load killed midway resumes where it stopped (the
files that committed are skipped, the file that was cut short loads whole).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import duckdb
import pandas as pd
import pymysql

from bizstats.config import DatetimeWindow, Target
from bizstats.contract import LOADED_AT, TABLES, RawTable
from bizstats.db import (
    DB_ERRORS,
    _column_type,
    connect,
    database_error,
    ensure_raw_tables,
    placeholder,
    qualified,
    quote,
)
from bizstats.errors import BizstatsError

Progress = Callable[[str], None]
Check = Callable[[str], str | None]  # a value's problem, None when it is fine

REJECTED_TABLE = "_rejected_rows"
LEDGER_TABLE = "_load_ledger"
COMMITTED = "committed"  # a ledger outcome: the file's rows are stored
ROLLED_BACK = "rolled back"  # the file failed in the database: nothing of it is stored
HASH_CHUNK_BYTES = 1024 * 1024
DUCKDB_BATCH_ROWS = 50_000
MYSQL_BATCH_ROWS = 5_000
PROGRESS_EVERY = 100_000
JSON_MAX_DEPTH = 31  # MariaDB's JSON_VALID rejects deeper documents
TEXT_MAX_BYTES = 65_535  # MySQL TEXT
# The csv module refuses a field over 131,072 characters, which took the whole file down:
# read fields up to 64 Mi characters (beyond what any column stores), so an over-long value
# is refused by its row's length check, as any other.
FIELD_MAX_CHARS = 64 * 1024 * 1024
QUARANTINE_VALUE_CHARS = 65_535  # a longer value is cut in `raw_values` (a packet limit)
NOT_UTF8_HINT = "save the file as UTF-8"

csv.field_size_limit(max(csv.field_size_limit(), FIELD_MAX_CHARS))

# name, DuckDB type, MySQL type; every column but `field` is not null
_QUARANTINE_COLUMNS = (
    ("source_table", "varchar", "varchar(64)"),
    ("file", "varchar", "text"),
    ("line", "bigint", "bigint"),
    ("field", "varchar", "varchar(64)"),
    ("reason", "varchar", "text"),
    ("raw_values", "varchar", "longtext"),
    (LOADED_AT, "timestamp", "datetime(6)"),
)
# the load ledger: name, DuckDB type, MySQL type; every column is not null
_LEDGER_COLUMNS = (
    ("source_table", "varchar", "varchar(64)"),
    ("file", "varchar", "text"),
    ("sha256", "varchar", "char(64)"),
    ("rows_read", "bigint", "bigint"),
    ("rows_loaded", "bigint", "bigint"),
    ("rows_rejected", "bigint", "bigint"),
    ("duplicates", "bigint", "bigint"),
    ("outcome", "varchar", "varchar(20)"),
    (LOADED_AT, "timestamp", "datetime(6)"),
)
_DUCKDB_VIEW = "_bizstats_load_batch"
_MYSQL = Target("mysql")

_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_DECIMAL = re.compile(r"[+-]?([0-9]+)(?:\.[0-9]{1,2})?")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# bytes that are not UTF-8, as the `surrogateescape` error handler reads them
_UNDECODED = re.compile("[\udc80-\udcff]+")


@dataclass
class RejectedRow:
    """A CSV row that was not loaded into its raw table, and why."""

    table: str
    file: str
    line: int  # physical line the row starts on; the header is line 1
    field: str | None  # the offending column; None when the row itself is malformed
    reason: str


@dataclass
class FileResult:
    """The outcome of loading one CSV file."""

    table: str
    file: str
    loaded: int = 0  # good rows written (duplicate deliveries included)
    rejected: list[RejectedRow] = dataclass_field(default_factory=list)
    duplicates: int = 0  # event_logs rows whose event_id was already stored or repeated
    sha256: str = ""  # of the file's bytes: its identity in the load ledger
    # when the same content was loaded into the table before: the file was skipped
    already_loaded: datetime | None = None


@dataclass
class LoadReport:
    """The outcome of loading a folder, file by file."""

    files: list[FileResult]
    skipped: list[str] = dataclass_field(default_factory=list)  # files of the folder not .csv

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def rejected(self) -> list[RejectedRow]:
        return [r for f in self.files for r in f.rejected]

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def already_loaded(self) -> list[FileResult]:
        """The files skipped because the ledger holds their content as loaded."""
        return [f for f in self.files if f.already_loaded is not None]


class _Slot(NamedTuple):
    """How to take one contract column from a CSV row."""

    name: str
    index: int  # position in the row; -1 when the file lacks the (nullable) column
    nullable: bool
    trim: bool  # an id: surrounding whitespace removed (the contract's one identity per id)
    max_chars: int  # a string column's length; 0 for the other kinds, which use `check`
    check: Check | None


@dataclass(frozen=True)
class _Layout:
    """Where a table's contract columns sit in one file, with each column's check."""

    table: RawTable
    path: Path
    header: list[str]
    slots: list[_Slot]
    window: DatetimeWindow  # the accepted datetimes, bound to the load time by _within_window


class _BadRow(Exception):
    """A row that breaks the contract: the column (None for the whole row) and why."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def load_dir(target: Target, directory: Path, progress: Progress | None = None) -> LoadReport:
    """Load every `<table>.csv` of `directory`, in contract order, one transaction per file.

    File names and headers are all checked before anything is loaded. A file that fails in
    the database is rolled back and raises BizstatsError; files loaded before it stay.
    """
    from bizstats.lock import warehouse_lock  # the warehouse lock: one build or load at a time

    files, skipped = _csv_files(Path(directory), progress)
    layouts = [_layout(table, path) for table, path in files]
    with warehouse_lock(target, "load"):
        loaded_at = _now()
        ensure_raw_tables(target)
        with connect(target) as con:
            _ensure_side_tables(con, target)
            return LoadReport([_load(con, target, lay, loaded_at, progress) for lay in layouts], skipped)


def load_file(target: Target, table_name: str, path: Path, progress: Progress | None = None) -> FileResult:
    """Load one CSV file into the raw table `table_name`, in one transaction."""
    if table_name not in TABLES:
        raise BizstatsError(f"unknown table {table_name!r}: choose one of {', '.join(TABLES)}")
    layout = _layout(TABLES[table_name], Path(path))
    ensure_raw_tables(target)
    with connect(target) as con:
        _ensure_side_tables(con, target)
        return _load(con, target, layout, _now(), progress)


def _now() -> datetime:
    """A load's `_loaded_at`: the current UTC time, naive, to the microsecond (the contract's
    precision, so that a load right after a build is still later than its watermark)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _csv_files(
    directory: Path, progress: Progress | None = None
) -> tuple[list[tuple[RawTable, Path]], list[str]]:
    """The folder's CSV files with their tables, in contract order, and the names of the
    files it skips (not `.csv`, reported). Names match case-insensitively; a `.csv` file that
    names no raw table, or two files of one table, is an error."""
    if not directory.is_dir():
        raise BizstatsError(f"{directory} is not a directory")
    entries = sorted(p for p in directory.iterdir() if p.is_file())
    files = [p for p in entries if p.suffix.lower() == ".csv"]
    skipped = [p.name for p in entries if p.suffix.lower() != ".csv"]
    if not files:
        raise BizstatsError(f"no .csv files in {directory}")
    unknown = [p.name for p in files if p.stem.lower() not in TABLES]
    if unknown:
        accepted = ", ".join(f"{name}.csv" for name in TABLES)
        raise BizstatsError(
            f"unknown CSV file(s) in {directory}: {', '.join(unknown)} (accepted names: {accepted})"
        )
    by_table: dict[str, list[Path]] = {}
    for path in files:
        by_table.setdefault(path.stem.lower(), []).append(path)
    twice = [paths for paths in by_table.values() if len(paths) > 1]
    if twice:
        names = "; ".join(" and ".join(p.name for p in paths) for paths in twice)
        raise BizstatsError(
            f"{directory}: one table in two files ({names}): keep one file per table; "
            "nothing was loaded"
        )
    for name in skipped:
        if progress:
            progress(f"{name}: skipped, not a .csv file")
    return [(TABLES[name], by_table[name][0]) for name in TABLES if name in by_table], skipped


def _open(path: Path) -> TextIO:
    # Bytes that are not UTF-8 are read as lone surrogates: their row is refused, not the file.
    try:
        return open(  # noqa: SIM115 - caller closes
            path, newline="", encoding="utf-8-sig", errors="surrogateescape"
        )
    except OSError as exc:
        raise BizstatsError(f"cannot read {path}: {exc.strerror}") from exc


def _read_header(path: Path) -> list[str]:
    with _open(path) as fh:
        try:
            header = next(csv.reader(fh), None)
        except csv.Error as exc:
            raise BizstatsError(f"{path}: unreadable header row: {exc}") from exc
    if not header:
        raise BizstatsError(f"{path}: no header row (the first line must name the columns)")
    return header


def _layout(table: RawTable, path: Path) -> _Layout:
    """Match the file's header to the contract; a missing required column is an error."""
    header = _read_header(path)
    names = [h.strip() for h in header]
    for col in table.columns:
        if names.count(col.name) > 1:
            raise BizstatsError(f"{path}: column {col.name!r} appears more than once")
        if not col.nullable and col.name not in names:
            raise BizstatsError(f"{path}: required column {col.name!r} is missing from the header")
    slots = [
        _Slot(
            col.name,
            names.index(col.name) if col.name in names else -1,
            col.nullable,
            col.is_id,
            (col.length or 0) if col.kind == "string" else 0,
            None if col.kind == "string" else _CHECKS[col.kind],
        )
        for col in table.columns
    ]
    return _Layout(table, path, header, slots, DatetimeWindow.from_env())


def _shown(value: str) -> str:
    """A value quoted for a message, cut to a readable length."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def _check_text(value: str) -> str | None:
    if len(value) > TEXT_MAX_BYTES // 4 and len(value.encode()) > TEXT_MAX_BYTES:
        return f"longer than {TEXT_MAX_BYTES:,} bytes (MySQL TEXT)"
    return None


def _check_datetime(value: str) -> str | None:
    if _DATETIME.fullmatch(value):
        try:
            datetime.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"not a date-time YYYY-MM-DD HH:MM:SS: {_shown(value)}"


def _check_datetime_within(earliest: str, latest: str) -> Check:
    """_check_datetime, and the value inside [earliest, latest] (both `YYYY-MM-DD HH:MM:SS`:
    as text of that one width they compare like the datetimes)."""

    def check(value: str) -> str | None:
        if (reason := _check_datetime(value)) is not None:
            return reason
        if value < earliest or value > latest:
            return (
                f"outside the accepted window [{earliest}, {latest}] (BIZSTATS_MIN_DATETIME, "
                f"BIZSTATS_MAX_DAYS_AHEAD): {value}"
            )
        return None

    return check


def _check_decimal(value: str) -> str | None:
    match = _DECIMAL.fullmatch(value)
    if match is None:
        return f"not a decimal number with at most 2 decimal places: {_shown(value)}"
    if len(match.group(1).lstrip("0")) > 16:
        return f"more than 16 integer digits (DECIMAL(18,2)): {_shown(value)}"
    if value[0] == "-" and value.strip("-0.") != "":
        return f"negative amount (every amount is >= 0; a refund is a row of its own): {value}"
    return None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_json(value: str) -> str | None:
    """Valid JSON that MySQL and MariaDB both accept (no NaN, depth, lone surrogates)."""
    try:
        doc = json.loads(value, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        return f"not valid JSON ({exc}): {_shown(value)}"
    if value.count("[") + value.count("{") > JSON_MAX_DEPTH and _depth(doc) > JSON_MAX_DEPTH:
        return f"JSON nested deeper than {JSON_MAX_DEPTH} levels"
    if _SURROGATE_ESCAPE.search(value):
        try:
            json.dumps(doc, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            return "JSON holds an unpaired UTF-16 surrogate escape"
    return None


def _depth(doc: Any) -> int:
    if isinstance(doc, dict):
        return 1 + max(map(_depth, doc.values()), default=0)
    if isinstance(doc, list):
        return 1 + max(map(_depth, doc), default=0)
    return 0


# the checks of non-empty values by column kind (strings only have their length checked)
_CHECKS: dict[str, Check] = {
    "text": _check_text,
    "json": _check_json,
    "datetime": _check_datetime,
    "decimal": _check_decimal,
}


def _values(layout: _Layout, fields: list[str]) -> list[str | None]:
    """The row's contract values (empty or all-blank = NULL), or _BadRow. The hot loop."""
    if len(fields) != len(layout.header):
        raise _BadRow(None, f"{len(fields)} fields where the header has {len(layout.header)}")
    values: list[str | None] = []
    for name, index, nullable, trim, max_chars, check in layout.slots:
        value: str | None = fields[index] if index >= 0 else ""
        if trim:
            value = value.strip()
        if not value or value.isspace():
            if not nullable:
                raise _BadRow(name, "required value is missing")
            value = None
        else:
            if not value.isascii() and (reason := _check_utf8(value)) is not None:
                raise _BadRow(name, reason)
            if max_chars:
                if len(value) > max_chars:
                    raise _BadRow(name, f"longer than {max_chars} characters: {len(value)}")
            elif check and (reason := check(value)) is not None:
                raise _BadRow(name, reason)
        values.append(value)
    return values


def _check_utf8(value: str) -> str | None:
    """A value read with bytes that are not UTF-8 (see _open): the first of them, and the fix."""
    bad = _UNDECODED.search(value)
    if bad is None:
        return None
    byte = ord(bad.group()[0]) - 0xDC00
    return f"not UTF-8 (byte 0x{byte:02x} at character {bad.start() + 1}): {NOT_UTF8_HINT}"


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each data row of a CSV file with the physical line it starts on; blank lines skipped."""
    with _open(path) as fh:
        reader = csv.reader(fh)
        try:
            next(reader, None)
            start = reader.line_num + 1
            for fields in reader:
                if fields:
                    yield start, fields
                start = reader.line_num + 1
        except csv.Error as exc:
            raise BizstatsError(f"{path} line {reader.line_num}: malformed CSV: {exc}") from exc


def _quarantine_row(
    reject: RejectedRow, header: list[str], fields: list[str], loaded_at: datetime
) -> list[Any]:
    """A `_rejected_rows` row: the raw values as a JSON object by header (a list if misaligned)."""
    fields = [_storable(value) for value in fields]
    if len(fields) == len(header):
        raw: Any = dict(zip(map(_storable, header), fields, strict=True))
    else:
        raw = fields
    return [
        reject.table,
        reject.file,
        reject.line,
        reject.field,
        reject.reason,
        json.dumps(raw, ensure_ascii=False),
        loaded_at,
    ]


def _storable(value: str) -> str:
    """A raw value as the quarantine can store it: bytes that are not UTF-8 written as
    `\\xNN`, a value longer than QUARANTINE_VALUE_CHARS cut (saying so)."""
    if not value.isascii():
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(value) > QUARANTINE_VALUE_CHARS:
        value = value[:QUARANTINE_VALUE_CHARS] + f"... [cut: {len(value):,} characters]"
    return value


def _within_window(layout: _Layout, loaded_at: datetime) -> _Layout:
    """The layout with its datetime checks bound to the window of a load at `loaded_at`."""
    check = _check_datetime_within(*layout.window.bounds(loaded_at))
    slots = [s._replace(check=check) if s.check is _check_datetime else s for s in layout.slots]
    return replace(layout, slots=slots)


def _batches(
    layout: _Layout, result: FileResult, loaded_at: datetime, size: int, progress: Progress | None
) -> Iterator[tuple[list[list[Any]], list[list[Any]]]]:
    """(good rows, quarantine rows) in batches of about `size`; rejects go to `result`."""
    layout = _within_window(layout, loaded_at)
    rows: list[list[Any]] = []
    rejects: list[list[Any]] = []
    count = 0
    for count, (line, fields) in enumerate(_records(layout.path), start=1):
        try:
            rows.append([*_values(layout, fields), loaded_at])
        except _BadRow as bad:
            reject = RejectedRow(layout.table.name, result.file, line, bad.field, bad.reason)
            result.rejected.append(reject)
            rejects.append(_quarantine_row(reject, layout.header, fields, loaded_at))
        if len(rows) + len(rejects) >= size:
            yield rows, rejects
            rows, rejects = [], []
        if progress and count % PROGRESS_EVERY == 0:
            progress(f"{layout.path.name}: {count:,} rows")
    if rows or rejects:
        yield rows, rejects
    if progress:
        summary = f"{count:,} rows, {result.loaded:,} loaded, {len(result.rejected):,} rejected"
        if layout.table.name == "event_logs":
            summary += f", {result.duplicates:,} duplicate event_ids"
        progress(f"{layout.path.name}: {summary}")


def _load(
    con: Any, target: Target, layout: _Layout, loaded_at: datetime, progress: Progress | None
) -> FileResult:
    """Load one file in one transaction, recorded in the load ledger by the same transaction;
    a file whose content the ledger holds as loaded into its table is skipped. On a database
    error roll it all back, record the failure (if the database still answers) and raise."""
    result = FileResult(layout.table.name, str(layout.path), sha256=_sha256(layout.path))
    writer: _DuckDBWriter | _MySQLWriter
    if target.name == "duckdb":
        writer, size = _DuckDBWriter(con, target, layout.table), DUCKDB_BATCH_ROWS
    else:
        writer, size = _MySQLWriter(con, target, layout.table), MYSQL_BATCH_ROWS
    try:
        con.begin()
        result.already_loaded = _ledger_loaded_at(con, target, result)
        if result.already_loaded is not None:
            con.rollback()
            if progress:
                progress(
                    f"{layout.path.name}: already loaded on {result.already_loaded:%Y-%m-%d %H:%M:%S} "
                    "UTC (same content), skipped"
                )
            return result
        rows_read = 0
        for rows, rejects in _batches(layout, result, loaded_at, size, progress):
            result.duplicates += writer.write(rows, rejects)
            result.loaded += len(rows)
            rows_read += len(rows) + len(rejects)
        _record(con, target, result, rows_read, COMMITTED, loaded_at)
        con.commit()
    except DB_ERRORS as exc:
        _rollback(con)
        _record_failure(con, target, result, loaded_at)
        raise BizstatsError(
            f"{layout.path}: database error, nothing of this file was loaded "
            f"(files loaded before it stay loaded): {database_error(target, exc)}"
        ) from exc
    except BaseException:
        _rollback(con)
        raise
    return result


def _sha256(path: Path) -> str:
    """The hex sha256 of the file's bytes: its identity in the load ledger."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
    except OSError as exc:
        raise BizstatsError(f"cannot read {path}: {exc.strerror}") from exc
    return digest.hexdigest()


def _ledger_loaded_at(con: Any, target: Target, result: FileResult) -> datetime | None:
    """When this content was first loaded into the table, per the ledger; None if never."""
    mark = placeholder(target)
    cur = con.cursor()
    cur.execute(
        f"select min({quote(target, LOADED_AT)}) from {qualified(target, target.raw_schema, LEDGER_TABLE)} "
        f"where source_table = {mark} and sha256 = {mark} and outcome = {mark}",
        (result.table, result.sha256, COMMITTED),
    )
    row = cur.fetchone()
    return row[0] if row else None


def _record(
    con: Any, target: Target, result: FileResult, rows_read: int, outcome: str, loaded_at: datetime
) -> None:
    """Add the file's row to the ledger (in the caller's transaction)."""
    mark = placeholder(target)
    names = ", ".join(quote(target, name) for name, _, _ in _LEDGER_COLUMNS)
    values = ", ".join([mark] * len(_LEDGER_COLUMNS))
    con.cursor().execute(
        f"insert into {qualified(target, target.raw_schema, LEDGER_TABLE)} ({names}) values ({values})",
        (
            result.table,
            result.file,
            result.sha256,
            rows_read,
            result.loaded,
            len(result.rejected),
            result.duplicates,
            outcome,
            loaded_at,
        ),
    )


def _record_failure(con: Any, target: Target, result: FileResult, loaded_at: datetime) -> None:
    """Note in the ledger that the file was rolled back (nothing of it stored), if the
    database still answers; a re-run loads it."""
    try:
        con.begin()
        _record(con, target, replace(result, loaded=0, rejected=[], duplicates=0), 0, ROLLED_BACK, loaded_at)
        con.commit()
    except DB_ERRORS:
        _rollback(con)


def _rollback(con: Any) -> None:
    """Roll back, ignoring a connection that is already gone (its work is lost anyway)."""
    with contextlib.suppress(*DB_ERRORS):
        con.rollback()


def _ensure_side_tables(con: Any, target: Target) -> None:
    """Create `<raw schema>._rejected_rows` (the quarantine) and `._load_ledger` if missing."""
    _ensure_side_table(con, target, REJECTED_TABLE, _QUARANTINE_COLUMNS, f"idx_loaded_at (`{LOADED_AT}`)")
    _ensure_side_table(con, target, LEDGER_TABLE, _LEDGER_COLUMNS, "idx_table_sha256 (source_table, sha256)")


def _ensure_side_table(
    con: Any, target: Target, name: str, columns: Sequence[tuple[str, str, str]], mysql_key: str
) -> None:
    """One loader table of (name, DuckDB type, MySQL type) columns, all but `field` not null."""
    duck = target.name == "duckdb"
    cols = ", ".join(
        f"{quote(target, col)} {duck_type if duck else mysql_type}{'' if col == 'field' else ' not null'}"
        for col, duck_type, mysql_type in columns
    )
    table = qualified(target, target.raw_schema, name)
    if duck:
        sql = f"create table if not exists {table} ({cols})"
    else:
        sql = (
            f"create table if not exists {table} ({cols}, key {mysql_key}) "
            "engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin"
        )
    con.cursor().execute(sql)


class _DuckDBWriter:
    """Appends batches through a registered pandas DataFrame, cast to the column types."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: Target, table: RawTable) -> None:
        self.con = con
        columns = [(c.name, _column_type(target, c)) for c in table.columns]
        columns.append((LOADED_AT, "timestamp"))
        self.columns = [name for name, _ in columns]
        self.insert = _duckdb_insert(qualified(target, target.raw_schema, table.name), columns)
        self.quarantine = _duckdb_insert(
            qualified(target, target.raw_schema, REJECTED_TABLE),
            [(n, t) for n, t, _ in _QUARANTINE_COLUMNS],
        )
        self.duplicates_sql = (
            f"select (select count(*) - count(distinct event_id) from {_DUCKDB_VIEW})"
            f" + (select count(distinct event_id) from {_DUCKDB_VIEW} where event_id in"
            f" (select event_id from {qualified(target, target.raw_schema, 'event_logs')}))"
            if table.name == "event_logs"
            else None
        )

    def write(self, rows: list[list[Any]], rejects: list[list[Any]]) -> int:
        """Insert the batch; the number of its event_ids already stored or repeated."""
        duplicates = 0
        if rows:
            self._register(rows, self.columns)
            if self.duplicates_sql:
                duplicates = self.con.execute(self.duplicates_sql).fetchone()[0]
            self.con.execute(self.insert)
        if rejects:
            self._register(rejects, [name for name, _, _ in _QUARANTINE_COLUMNS])
            self.con.execute(self.quarantine)
        self.con.unregister(_DUCKDB_VIEW)
        return duplicates

    def _register(self, rows: list[list[Any]], columns: list[str]) -> None:
        # All text, so DuckDB sees VARCHAR whatever its type sniffing would make of a sample;
        # the insert casts each column to its type (a datetime's str() is its SQL literal).
        frame = pd.DataFrame(rows, columns=columns, dtype="string")
        self.con.register(_DUCKDB_VIEW, frame)


def _duckdb_insert(qualified_table: str, columns: Sequence[tuple[str, str]]) -> str:
    """Insert from the registered batch, each column cast to its type."""
    names = ", ".join(f'"{name}"' for name, _ in columns)
    casts = ", ".join(f'cast("{name}" as {type_}) as "{name}"' for name, type_ in columns)
    return f"insert into {qualified_table} ({names}) select {casts} from {_DUCKDB_VIEW}"


class _MySQLWriter:
    """Inserts batches with executemany (multi-row INSERTs); event_logs keeps the earliest."""

    def __init__(self, con: pymysql.Connection, target: Target, table: RawTable) -> None:
        self.cur = con.cursor()
        schema = target.raw_schema
        self.event_logs = qualified(target, schema, "event_logs")
        self.insert = _mysql_insert(schema, table.name, [*table.column_names, LOADED_AT])
        if table.name == "event_logs":
            self.insert += _keep_earliest(table)
        self.quarantine = _mysql_insert(
            schema, REJECTED_TABLE, [name for name, _, _ in _QUARANTINE_COLUMNS]
        )
        self.key_index = table.column_names.index("event_id") if table.name == "event_logs" else None

    def write(self, rows: list[list[Any]], rejects: list[list[Any]]) -> int:
        """Insert the batch; the number of its event_ids already stored or repeated."""
        duplicates = 0
        if rows:
            if self.key_index is not None:
                duplicates = self._duplicates([row[self.key_index] for row in rows])
            self.cur.executemany(self.insert, rows)
        if rejects:
            self.cur.executemany(self.quarantine, rejects)
        return duplicates

    def _duplicates(self, event_ids: list[str]) -> int:
        # utf8mb4_bin pads with spaces: 'a' and 'a ' are the same key to the unique index.
        keys = [e.rstrip(" ") for e in event_ids]
        distinct = list(dict.fromkeys(keys))
        self.cur.execute(
            f"select event_id from {self.event_logs} where event_id in "
            f"({', '.join(['%s'] * len(distinct))})",
            distinct,
        )
        seen = {stored.rstrip(" ") for (stored,) in self.cur.fetchall()}
        repeats = 0
        for key in keys:
            if key in seen:
                repeats += 1
            seen.add(key)
        return repeats


def _mysql_insert(schema: str, table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f"`{c}`" for c in columns)
    into = qualified(_MYSQL, schema, table)
    return f"insert into {into} ({names}) values ({', '.join(['%s'] * len(columns))})"


def _keep_earliest(table: RawTable) -> str:
    """ON DUPLICATE KEY UPDATE keeping the delivery with the earliest created_at.

    A new delivery wins only with a non-NULL created_at earlier than the stored one (or the
    stored one NULL); then it replaces every column and takes this load's `_loaded_at`.
    MySQL assigns left to right, so `created_at` goes last and the test sees the old value.
    """
    newer = (
        "values(`created_at`) is not null and (`created_at` is null or values(`created_at`) < `created_at`)"
    )
    columns = [c for c in table.column_names if c not in ("event_id", "created_at")]
    columns += [LOADED_AT, "created_at"]
    sets = ", ".join(f"`{c}` = if({newer}, values(`{c}`), `{c}`)" for c in columns)
    return f" on duplicate key update {sets}"
