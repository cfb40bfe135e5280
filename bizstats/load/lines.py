"""Physical lines of a CSV file: the line a record starts on from its byte position, and the
line of the n-th row DuckDB read (the file's line count: bizstats.load.records).

Lines are counted as the csv module counts them (`\\n`, `\\r\\n` and a lone `\\r` each end
one); the header is line 1, and a quoted value with line breaks makes its row span lines.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Iterable
from pathlib import Path

from bizstats.errors import BizstatsError
from bizstats.load.checks import open_text
from bizstats.load.records import FileFacts

CHUNK_BYTES = 1024 * 1024


def _breaks(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def record_starts(path: Path, positions: Iterable[int]) -> dict[int, tuple[int, int]]:
    """For each of DuckDB's rejected-row positions (`line_byte_position`: one past the end of
    the line break before the row, or inside a `\r\n`), the row's first byte and line."""
    starts: dict[int, tuple[int, int]] = {}
    with open(path, "rb") as fh:
        counted, breaks, last = 0, 0, b""  # line breaks in the bytes before `counted`
        for position in sorted(set(positions)):
            start = position - 1
            while counted < start:
                chunk = fh.read(min(CHUNK_BYTES, start - counted))
                breaks += _breaks(chunk) - (last == b"\r" and chunk[:1] == b"\n")
                last = chunk[-1:]
                counted += len(chunk)
            # the row's first byte: after the rest of a line break and any blank lines
            ahead = fh.read(CHUNK_BYTES)
            fh.seek(counted)
            skipped = len(ahead) - len(ahead.lstrip(b"\r\n"))
            lines = _breaks(ahead[:skipped]) - (last == b"\r" and ahead[:1] == b"\n")
            starts[position] = (start + skipped, breaks + lines + 1)
    return starts


def read_record(path: Path, start: int) -> list[str]:
    """The CSV record that begins at byte `start` (bytes that are not UTF-8 as surrogates)."""
    with open(path, "rb") as raw:
        raw.seek(start)
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        try:
            return next(csv.reader(text), [])
        except csv.Error as exc:
            raise BizstatsError(f"{path}: malformed CSV from byte {start}: {exc}") from exc


class Lines:
    """The line each of DuckDB's rows starts on, given the lines of the rows it rejected.

    When the file has exactly one line per record (header, rows, rejected rows), row n is the
    n-th line not rejected after the header. Otherwise (blank lines, values with line breaks)
    one csv-module pass over the file numbers the rows; it is only made when asked.
    """

    def __init__(
        self, path: Path, facts: FileFacts, read_rows: int, rejected_lines: list[int], columns: int
    ) -> None:
        self.path = path
        self.rejected = sorted(rejected_lines)
        self.columns = columns
        self.read_rows = read_rows
        self.one_per_line = facts.lines == 1 + read_rows + len(self.rejected)
        self._scanned: list[int] | None = None

    def of_row(self, ordinal: int) -> int:
        """The physical line DuckDB's row `ordinal` (1, 2, ...) starts on."""
        if self.one_per_line:
            line = ordinal + 1
            for rejected in self.rejected:
                if rejected > line:
                    break
                line += 1
            return line
        return self._scan()[ordinal - 1]

    def rows_before(self, line: int) -> int:
        """How many of DuckDB's rows start before `line`."""
        if self.one_per_line:
            return line - 2 - bisect.bisect_left(self.rejected, line)
        return bisect.bisect_left(self._scan(), line)

    def _scan(self) -> list[int]:
        """The start line of each row DuckDB read: the csv module's records, less blank lines
        (which DuckDB reads as NULL rows in a one-column file) and the rejected rows."""
        if self._scanned is None:
            rejected = set(self.rejected)
            starts: list[int] = []
            with open_text(self.path) as fh:
                reader = csv.reader(fh)
                try:
                    next(reader, None)
                    start = reader.line_num + 1
                    for fields in reader:
                        if (fields or self.columns == 1) and start not in rejected:
                            starts.append(start)
                        start = reader.line_num + 1
                except csv.Error as exc:
                    raise BizstatsError(f"{self.path} line {reader.line_num}: malformed CSV: {exc}") from exc
            if len(starts) < self.read_rows:  # the two CSV readers disagree on the rows
                raise BizstatsError(
                    f"{self.path}: malformed CSV: {self.read_rows:,} rows by DuckDB's reader, "
                    f"{len(starts):,} by Python's: check its quotes and line endings"
                )
            self._scanned = starts
        return self._scanned
