"""`bizstats load DIR`: a folder of `<table>.csv` files into the raw tables.

Every row is checked against the raw contract (bizstats.contract). Good rows are appended
to their raw table; bad rows go to the quarantine table `<raw schema>._rejected_rows` with
the reason. The checks run in bulk: DuckDB reads and checks each file in SQL
(bizstats.load.scan), and the good rows reach the table in one statement — `insert ...
select` on DuckDB, `LOAD DATA LOCAL INFILE` on MySQL/MariaDB (bizstats.load.write). One
file is one transaction: either all of it (good and quarantined rows) is stored or nothing
is. On MySQL, event_logs keeps one row per event_id: the delivery with
the earliest created_at.

Loads are safe to re-run: each file's transaction also records it in the load ledger
`<raw schema>._load_ledger` (table, file, sha256 of its bytes, row counts). A file whose
content is already recorded for its table is skipped, saying when it was loaded; so a folder
loaded twice stores its rows once, and a load killed midway resumes where it stopped (the
files that committed are skipped, the file that was cut short loads whole).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bizstats.config import Target
from bizstats.contract import TABLES, RawTable
from bizstats.db import DB_ERRORS, connect, database_error, ensure_raw_tables
from bizstats.errors import BizstatsError
from bizstats.load.checks import Layout, layout
from bizstats.load.ledger import (
    COMMITTED,
    ensure_side_tables,
    ledger_loaded_at,
    record,
    record_failure,
    rollback,
)
from bizstats.load.records import FileFacts, file_facts, normalised_copy
from bizstats.load.scan import Refusal, scan
from bizstats.load.write import DuckDBWriter, MySQLWriter
from bizstats.privacy import scrubber_for

Progress = Callable[[str], None]

# DuckDB's memory while it checks a file: beyond it, it spills to a temporary folder, so a
# load's memory stays flat however large the file
SCAN_MEMORY_LIMIT = "500MB"


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


def load_dir(target: Target, directory: Path, progress: Progress | None = None) -> LoadReport:
    """Load every `<table>.csv` of `directory`, in contract order, one transaction per file.

    File names and headers are all checked before anything is loaded. A file that fails in
    the database is rolled back and raises BizstatsError; files loaded before it stay.
    """
    from bizstats.lock import warehouse_lock  # the warehouse lock: one build or load at a time

    if target.is_spark:
        return _load_spark(target, Path(directory), progress)
    files, skipped = _csv_files(Path(directory), progress)
    layouts = [layout(table, path) for table, path in files]
    with warehouse_lock(target, "load"):
        loaded_at = _now()
        ensure_raw_tables(target)
        with _session(target) as (con, scanner, workdir):
            ensure_side_tables(con, target)
            results = [_load(con, scanner, workdir, target, lay, loaded_at, progress) for lay in layouts]
            return LoadReport(results, skipped)


def _load_spark(target: Target, directory: Path, progress: Progress | None) -> LoadReport:
    """The spark target: the folder loaded into the control database's landing exactly as on
    duckdb (same checks, ledger, duplicate rules, messages), then the lake synced
    (bizstats.spark.lake), all under the warehouse lock of the control database."""
    from bizstats.lock import warehouse_lock
    from bizstats.spark.lake import sync_lake

    with warehouse_lock(target.control, "load"):
        report = load_dir(target.control, directory, progress)
        sync_lake(target, progress=progress)
    return report


def load_file(target: Target, table_name: str, path: Path, progress: Progress | None = None) -> FileResult:
    """Load one CSV file into the raw table `table_name`, in one transaction (spark: into
    the landing, then the lake synced)."""
    if table_name not in TABLES:
        raise BizstatsError(f"unknown table {table_name!r}: choose one of {', '.join(TABLES)}")
    if target.is_spark:
        from bizstats.lock import warehouse_lock
        from bizstats.spark.lake import sync_lake

        with warehouse_lock(target.control, "load"):
            result = load_file(target.control, table_name, path, progress)
            sync_lake(target, progress=progress)
        return result
    lay = layout(TABLES[table_name], Path(path))
    ensure_raw_tables(target)
    with _session(target) as (con, scanner, workdir):
        ensure_side_tables(con, target)
        return _load(con, scanner, workdir, target, lay, _now(), progress)


@contextlib.contextmanager
def _session(target: Target) -> Iterator[tuple[Any, duckdb.DuckDBPyConnection, Path]]:
    """The target's connection, the DuckDB connection that checks the files (the same one on
    DuckDB; an in-memory database for MySQL) and a temporary folder (DuckDB's spill, the
    rows for LOAD DATA)."""
    with (
        tempfile.TemporaryDirectory(prefix="bizstats-load-") as tmp,
        connect(target, local_infile=True) as con,
    ):
        workdir = Path(tmp)
        if target.name == "duckdb":
            # the limit is the whole database's (other connections of this process share it)
            (limit,) = con.execute("select current_setting('memory_limit')").fetchone()
            con.execute(f"set memory_limit = '{SCAN_MEMORY_LIMIT}'")
            con.execute("set enable_progress_bar = false")
            try:
                yield con, con, workdir
            finally:
                with contextlib.suppress(*DB_ERRORS):
                    con.execute(f"set memory_limit = '{limit}'")
            return
        scanner = duckdb.connect(
            config={
                "memory_limit": SCAN_MEMORY_LIMIT,
                "temp_directory": str(workdir / "spill"),
            }
        )
        scanner.execute("set enable_progress_bar = false")
        try:
            yield con, scanner, workdir
        finally:
            scanner.close()


def _now() -> datetime:
    """A load's `_loaded_at`: the current UTC time, naive, to the microsecond (the contract's
    precision, so that a load right after a build is still later than its watermark)."""
    return datetime.now(UTC).replace(tzinfo=None)


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
            f"{directory}: one table in two files ({names}): keep one file per table; nothing was loaded"
        )
    for name in skipped:
        if progress:
            progress(f"{name}: skipped, not a .csv file")
    return [(TABLES[name], by_table[name][0]) for name in TABLES if name in by_table], skipped


def _load(
    con: Any,
    scanner: duckdb.DuckDBPyConnection,
    workdir: Path,
    target: Target,
    lay: Layout,
    loaded_at: datetime,
    progress: Progress | None,
) -> FileResult:
    """Load one file in one transaction, recorded in the load ledger by the same transaction;
    a file whose content the ledger holds as loaded into its table is skipped. On a database
    error roll it all back, record the failure (if the database still answers) and raise."""
    facts = file_facts(lay.path)
    if (refusal := facts.refusal(lay.path)) is not None:
        raise BizstatsError(refusal)
    result = FileResult(lay.table.name, str(lay.path), sha256=facts.sha256)
    name = lay.path.name
    writer = _writer(con, scanner, workdir, target, lay.table)
    scrub = scrubber_for(target)  # personal data: the collector's rule (bizstats.privacy)
    try:
        con.begin()
        result.already_loaded = ledger_loaded_at(con, target, result.table, result.sha256)
        if result.already_loaded is not None:
            rollback(con)
            if progress:
                progress(
                    f"{name}: already loaded on {result.already_loaded:%Y-%m-%d %H:%M:%S} "
                    "UTC (same content), skipped"
                )
            return result

        def refuse(refusals: list[Refusal]) -> None:
            rows = []
            for r in refusals:
                # the quarantine keeps why a row was refused, not the numbers of a person
                raw, reason = scrub.quarantined(r.raw_values, r.reason)
                result.rejected.append(RejectedRow(result.table, result.file, r.line, r.field, reason))
                rows.append([result.table, result.file, r.line, r.field, reason, raw, loaded_at])
            writer.quarantine(rows)

        checked = _scan(scanner, workdir, lay, facts, loaded_at, refuse, scrub, progress)
        if progress:
            progress(f"{name}: checked, {len(result.rejected):,} rows rejected; writing the good rows")
        result.loaded, result.duplicates = writer.write(checked, loaded_at)
        rows_read = result.loaded + len(result.rejected)
        _check_every_row_once(lay.path, facts, result)
        record(
            con,
            target,
            (result.table, result.file, result.sha256, rows_read, result.loaded, len(result.rejected),
             result.duplicates, COMMITTED, loaded_at),
        )  # fmt: skip
        con.commit()
    except DB_ERRORS as exc:
        rollback(con)
        record_failure(con, target, result.table, result.file, result.sha256, loaded_at)
        raise BizstatsError(
            f"{lay.path}: database error, nothing of this file was loaded "
            f"(files loaded before it stay loaded): {database_error(target, exc)}"
        ) from exc
    except BaseException:
        rollback(con)
        raise
    if progress:
        summary = f"{rows_read:,} rows, {result.loaded:,} loaded, {len(result.rejected):,} rejected"
        if lay.table.name == "event_logs":
            summary += f", {result.duplicates:,} duplicate event_ids"
        progress(f"{name}: {summary}")
    return result


def _scan(
    scanner: duckdb.DuckDBPyConnection,
    workdir: Path,
    lay: Layout,
    facts: FileFacts,
    loaded_at: datetime,
    refuse: Callable[[list[Refusal]], None],
    scrub: Any,
    progress: Progress | None,
) -> Any:
    """scan.scan of the file; one whose records end with more than one kind of line
    break (CSV readers take one per file) is read from a copy with every one made `\\n`
    (the lines and the values stay the same; errors name the file)."""
    if not facts.mixed_line_endings:
        return scan(scanner, lay, facts, loaded_at, refuse, scrub)
    if progress:
        crlf, lf, cr = facts.line_endings
        progress(
            f"{lay.path.name}: mixed line endings ({crlf:,} \\r\\n, {lf:,} \\n, {cr:,} lone \\r): "
            "read with every one made \\n"
        )
    copy = normalised_copy(lay.path, workdir / "normalised.csv")
    try:
        return scan(scanner, replace(lay, path=copy), facts, loaded_at, refuse, scrub)
    except BizstatsError as exc:
        raise BizstatsError(str(exc).replace(str(copy), str(lay.path))) from exc
    finally:
        copy.unlink(missing_ok=True)


def _check_every_row_once(path: Path, facts: FileFacts, result: FileResult) -> None:
    """The rows stored or quarantined are the file's rows, each once: else no row of the file
    is kept (the caller rolls back) and nothing goes to the ledger."""
    read = result.loaded + len(result.rejected)
    if read != facts.rows:
        raise BizstatsError(
            f"{path}: the file has {facts.rows:,} rows but {read:,} were read ({result.loaded:,} "
            f"loaded, {len(result.rejected):,} rejected): its quotes or line endings leave the CSV "
            "reader lost; nothing of this file was loaded"
        )


def _writer(
    con: Any, scanner: duckdb.DuckDBPyConnection, workdir: Path, target: Target, table: RawTable
) -> DuckDBWriter | MySQLWriter:
    if target.name == "duckdb":
        return DuckDBWriter(con, target, table)
    return MySQLWriter(con, scanner, target, table, workdir)
