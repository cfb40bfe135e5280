"""A CSV file's records counted independently of DuckDB's reader, in the read that takes its
sha256: the loader's check that no row went missing or was read twice.

One pass over the bytes at C speed: `bytes.split(b'"')` leaves the text outside quotes at
every other piece, and the line breaks there end records. That holds when every quote opens
or closes a quoted field (RFC 4180). A quote inside an unquoted field (`5'11"`) is a literal
character to DuckDB's reader and the csv module alike; when the first pass sees one, a second
pass walks the file quote by quote, as the readers do, and counts again.

Lines are counted as the csv module counts them (`\\n`, `\\r\\n` and a lone `\\r` each end
one); the header is line 1.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bizstats.errors import BizstatsError

CHUNK_BYTES = 1024 * 1024
# The largest record (row) a file may hold; a larger one refuses the file. DuckDB's reader
# lost track of rows past its buffer (a 33 MiB value made the previous row be read twice), so
# it is told to read records of this size whole (sql.read_csv), and never meets a larger
# one. No row of the contract comes near: its values total under 1 MiB.
RECORD_MAX_BYTES = 64 * 1024 * 1024
_MIB = 1024 * 1024
# bytes standing for an opening and a closing quote in the text outside quotes
_OPEN, _CLOSE = b"\x01", b"\x02"
# what may come right before an opening quote: a field's start, or a closing quote ("" inside
# a quoted field); all made _CLOSE, to find them in one pass
_AS_FIELD_START = bytes.maketrans(b",\n\r", _CLOSE * 3)


@dataclass(frozen=True)
class FileFacts:
    """What one read of a file's bytes tells."""

    sha256: str  # its identity in the load ledger
    lines: int  # physical lines
    records: int  # CSV records that are not blank lines, the header included
    unclosed_quote_line: int | None  # the line of a quote that opens a field never closed
    oversize_line: int | None  # the line of the first record over RECORD_MAX_BYTES
    oversize_bytes: int  # and its size
    # line breaks outside quoted values, by kind: \r\n, \n, a lone \r
    line_endings: tuple[int, int, int] = (0, 0, 0)

    @property
    def mixed_line_endings(self) -> bool:
        """Records end with more than one kind of line break (a Windows export with lines
        appended on Linux): the loader reads a copy with every one made `\n` (normalised_copy)."""
        return sum(1 for count in self.line_endings if count) > 1

    @property
    def rows(self) -> int:
        """The file's data rows: its records after the header."""
        return max(self.records - 1, 0)

    def refusal(self, path: Path) -> str | None:
        """Why the file is refused whole before it is read, in one line; None when it is not."""
        if self.unclosed_quote_line is not None:
            return (
                f"{path} line {self.unclosed_quote_line}: a quoted field starts here and is never "
                "closed (an unclosed quote: every row after it would be read as its value); nothing "
                'of this file was loaded: close the quote (a quote inside a quoted field is doubled: "")'
            )
        if self.oversize_line is not None:
            return (
                f"{path} line {self.oversize_line}: a row of {self.oversize_bytes / _MIB:,.1f} MiB, "
                f"more than the {RECORD_MAX_BYTES // _MIB} MiB a row may have; nothing of this file "
                "was loaded: remove or shorten that row"
            )
        return None


def file_facts(path: Path) -> FileFacts:
    """The file's sha256, lines and records (see the module's docstring)."""
    digest = hashlib.sha256()
    counter = _Counter(strict_quotes=True)
    try:
        with open(path, "rb") as fh:
            while chunk := _read_chunk(fh):
                digest.update(chunk)
                counter.feed(chunk)
            if not counter.regular:
                fh.seek(0)
                counter = _Counter(strict_quotes=False)
                literal = _LiteralQuotes()
                while chunk := _read_chunk(fh):
                    counter.feed(literal.neutralise(chunk))
    except OSError as exc:
        raise BizstatsError(f"cannot read {path}: {exc.strerror}") from exc
    return counter.facts(digest.hexdigest())


def _read_chunk(fh: BinaryIO) -> bytes:
    """The next chunk, never ending between the two bytes of a `\\r\\n`."""
    chunk = fh.read(CHUNK_BYTES)
    if chunk.endswith(b"\r"):
        chunk += fh.read(1)
    return chunk


def _breaks(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


class _Counter:
    """Counts records chunk by chunk, taking every quote as one that opens or closes a field.

    With `strict_quotes`, it also notes (`regular` False) when a quote could not open a field
    where it stands: then the count is wrong, and a pass with _LiteralQuotes must be made."""

    def __init__(self, strict_quotes: bool) -> None:
        self.strict_quotes = strict_quotes
        self.regular = True
        self.inside = False  # within a quoted field
        self.context = b"\n"  # the last byte of the outside text so far (a file starts a record)
        self.offset = 0  # bytes before the chunk
        self.lines = 0  # line breaks before the chunk
        self.records = 0  # non-blank records ended before the chunk
        self.record_start = 0  # the current record's first byte
        self.record_line = 1  # and its line
        self.opened_line = 0  # the line of the quote that opened the current quoted field
        self.oversize: tuple[int, int] | None = None  # (line, bytes) of the first too large record
        self.endings = [0, 0, 0]  # line breaks outside quotes: \r\n, \n, lone \r

    def feed(self, chunk: bytes) -> None:
        pieces = chunk.split(b'"')
        starts_inside = self.inside
        outside = (pieces[1::2] if starts_inside else pieces[::2]) or [b""]
        ends_inside = starts_inside ^ (len(pieces) % 2 == 0)
        # the outside text, a quoted field's place marked, after the context byte: each
        # bytes scan below is one pass at C speed
        outside[0] = self.context + (_CLOSE if starts_inside else b"") + outside[0]
        if ends_inside:
            outside[-1] += _OPEN
        text = (_OPEN + _CLOSE).join(outside)
        if self.strict_quotes and self.regular:
            self.regular = _quotes_regular(text, chunk)
        has_cr = b"\r" in chunk
        if has_cr:
            crlf = text.count(b"\r\n", 1)  # after the context byte (counted with its chunk)
            self.endings[0] += crlf
            self.endings[2] += text.count(b"\r", 1) - crlf
            self.endings[1] += text.count(b"\n", 1) - crlf
            text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            self.endings[1] += text.count(b"\n", 1)
        ended = text.count(b"\n") - (self.context == b"\n")
        blank = text.split(b"\n")[1:-1].count(b"") if b"\n\n" in text else 0
        self.records += ended - blank
        breaks = _breaks(chunk) if has_cr else chunk.count(b"\n")
        if ended:
            self._records_ended(chunk, pieces, starts_inside, breaks)
        if ends_inside:
            self._note_opening(chunk, pieces, len(pieces) - 1, breaks)
        elif len(pieces) > 2 and pieces[-1] == b"":  # a "" may go on in the next chunk
            self._note_opening(chunk, pieces, len(pieces) - 2, breaks)
        self.inside = ends_inside
        self.context = text[-1:]
        self.offset += len(chunk)
        self.lines += breaks

    def _line_at(self, chunk: bytes, position: int, breaks: int) -> int:
        """The line of the chunk's byte `position` (`breaks`: the chunk's line breaks),
        counting the few bytes after it rather than the many before."""
        return self.lines + breaks - _breaks(chunk[position:]) + 1

    def _note_opening(self, chunk: bytes, pieces: list[bytes], k: int, breaks: int) -> None:
        """The line of the quote that opened the last quoted field of the chunk: the quote
        before pieces[k], or before it (`""` pairs are quotes inside the field), maybe in a
        chunk before."""
        while k > 1 and pieces[k - 1] == b"":
            k -= 2
        if k < 1 or (k == 1 and pieces[0] == b"" and self.context == _CLOSE):
            return  # opened before this chunk
        after = sum(map(len, pieces[k:])) + len(pieces) - 1 - k  # bytes after that quote
        self.opened_line = self._line_at(chunk, len(chunk) - after - 1, breaks)

    def _records_ended(self, chunk: bytes, pieces: list[bytes], starts_inside: bool, breaks: int) -> None:
        """Records ended in this chunk: the size of the one that began before it, and where
        the one that goes on after it starts. (A record within one chunk is far below
        RECORD_MAX_BYTES.)"""
        first = _first_break(pieces, starts_inside)
        self._measure(self.offset + first - self.record_start, self.record_line)
        last = _last_break(chunk, pieces, starts_inside)
        self.record_start = self.offset + last + 1
        self.record_line = self._line_at(chunk, last + 1, breaks)

    def _measure(self, size: int, line: int) -> None:
        if size > RECORD_MAX_BYTES and self.oversize is None:
            self.oversize = (line, size)

    def facts(self, sha256: str) -> FileFacts:
        unterminated = self.context not in (b"", b"\n")
        self._measure(self.offset - self.record_start, self.record_line)
        line, size = self.oversize or (None, 0)
        return FileFacts(
            sha256=sha256,
            lines=self.lines + unterminated,
            records=self.records + unterminated,
            unclosed_quote_line=self.opened_line if self.inside else None,
            oversize_line=line,
            oversize_bytes=size,
            line_endings=(self.endings[0], self.endings[1], self.endings[2]),
        )


def _quotes_regular(text: bytes, chunk: bytes) -> bool:
    """Whether every opening quote of `text` (the outside text with its context byte before
    it) stands where a quoted field may start. Bytes of the markers in the chunk itself make
    the answer unsure: no."""
    if _OPEN in chunk or _CLOSE in chunk:
        return False
    return text.count(_OPEN, 1) == text.translate(_AS_FIELD_START).count(_CLOSE + _OPEN)


def _first_break(pieces: list[bytes], starts_inside: bool) -> int:
    """The chunk position of the first line break outside quotes (the caller knows there is one)."""
    position = 0
    for i, piece in enumerate(pieces):
        if (i % 2 == 1) == starts_inside:
            found = [p for p in (piece.find(b"\n"), piece.find(b"\r")) if p >= 0]
            if found:
                return position + min(found)
        position += len(piece) + 1
    raise AssertionError("no line break outside quotes")


def _last_break(chunk: bytes, pieces: list[bytes], starts_inside: bool) -> int:
    """The chunk position of the last line break outside quotes."""
    end = len(chunk)
    for i in range(len(pieces) - 1, -1, -1):
        piece = pieces[i]
        start = end - len(piece)
        if (i % 2 == 1) == starts_inside:
            found = max(piece.rfind(b"\n"), piece.rfind(b"\r"))
            if found >= 0:
                return start + found
        end = start - 1
    raise AssertionError("no line break outside quotes")


class _LiteralQuotes:
    """Quote by quote, as DuckDB's reader and the csv module read them: a quote opens a field
    only at the field's start (blanks before it allowed), `""` inside a quoted field is one
    quote, and any other quote is a character of its field. `neutralise` returns the chunk
    with those literal quotes replaced by another byte (same length, same lines), so that
    _Counter's count is right for it."""

    def __init__(self) -> None:
        self.inside = False
        self.after_close = False  # right after the quote that closed a quoted field
        self.field_start = True  # nothing but blanks since the current field started

    def neutralise(self, chunk: bytes) -> bytes:
        pieces = chunk.split(b'"')
        literal: list[int] = []
        position = -1  # of the quote before pieces[i]
        for i, piece in enumerate(pieces):
            if i:
                if self.inside:
                    self.inside, self.after_close, self.field_start = False, True, False
                elif self.after_close or self.field_start:
                    self.inside, self.after_close = True, False
                else:
                    literal.append(position)
            if piece and not self.inside:
                self.after_close = False
                content = piece.rstrip(b" ")
                if content:
                    self.field_start = content[-1:] in (b",", b"\n", b"\r")
            position += len(piece) + 1
        if not literal:
            return chunk
        neutral = bytearray(chunk)
        for position in literal:
            neutral[position] = ord("'")
        return bytes(neutral)


def normalised_copy(path: Path, copy: Path) -> Path:
    """Write `path` to `copy` with every line break outside quoted values made `\\n` and return
    `copy`. Lines stay where they were (the csv module counts `\\r\\n`, `\\n` and a lone `\\r`
    as one line each), so the rows' lines are the original file's; a quoted value keeps its
    bytes, line breaks included, as they are."""
    literal = _LiteralQuotes()
    inside = False
    try:
        with open(path, "rb") as source, open(copy, "wb") as out:
            while chunk := _read_chunk(source):
                # quotes that are characters of an unquoted field neither open nor close one
                pieces = literal.neutralise(chunk).split(b'"')
                position = 0
                for i, piece in enumerate(pieces):
                    if i:
                        out.write(chunk[position - 1 : position])  # the quote, as it was
                        inside = not inside
                    original = chunk[position : position + len(piece)]
                    if not inside:
                        original = original.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                    out.write(original)
                    position += len(piece) + 1
    except OSError as exc:
        raise BizstatsError(
            f"cannot normalise the line endings of {path} into {copy}: {exc.strerror}"
        ) from exc
    return copy
