"""The raw contract in DuckDB SQL: read a CSV file as text, normalise its values, and tell
the rows that are surely good from the ones Python must look at (bizstats.load.checks).

"Surely good" errs on the safe side: a row it clears passes every check of load.checks with
the same values; a row it does not clear may still be good (e.g. JSON with an escaped
surrogate pair), and Python decides.
"""

from __future__ import annotations

from datetime import datetime

from bizstats.load.checks import Layout, Slot
from bizstats.load.records import RECORD_MAX_BYTES
from bizstats.privacy import PSEUDONYM, Scrubber, column_rule, sql_may_hold_number, sql_user_id_hash
from bizstats.validate import (
    AMOUNT_INTEGER_DIGITS,
    AMOUNT_MAX,
    DATETIME_PATTERN,
    JSON_MAX_BYTES,
    JSON_MAX_DEPTH,
    TEXT_MAX_BYTES,
)

# DuckDB's max_line_size above RECORD_MAX_BYTES: it never sets aside a record for its size
_LINE_SIZE_MARGIN = 1024 * 1024
ORDINAL = "_ord"  # a read row's place among the rows DuckDB read (1, 2, ...)
# every character str.isspace() knows: ids are trimmed of them, and a value of only these is NULL
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_DATETIME = DATETIME_PATTERN
_DECIMAL = r"\+?[0-9]+(\.[0-9]{1,2})?"  # a leading '-' (maybe -0) is left to Python
# JSON that DuckDB's json_valid takes and Python may not: NaN / Infinity, trailing commas;
# and what Python checks further: surrogate escapes
_JSON_DOUBTS = r"(?i)nan|inf|\\u[d][89a-f]|,[ \t\n\r]*[]}]"


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def read_csv(path: str, columns: int, rejects: str | None) -> str:
    """`read_csv` of a loader file: every field text, named c0, c1, ... by position (the
    header row skipped), strict RFC 4180. Rows it cannot read (field count, bytes that are
    not UTF-8, stray quotes) go to the table `rejects` when given (with their byte position),
    else are skipped. An empty unquoted field is NULL, a quoted one ''. Records up to
    RECORD_MAX_BYTES are read whole (the loader refuses a file with a larger one before
    reading it): past its line size, DuckDB gave wrong positions for the rows it set aside.
    """
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(columns))
    on_error = (
        f"store_rejects = true, rejects_table = {literal(rejects)}, "
        f"rejects_scan = {literal(rejects + '_scan')}"
        if rejects
        else "ignore_errors = true"
    )
    return (
        f"read_csv({literal(path)}, columns = {{{spec}}}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
        f"allow_quoted_nulls = false, null_padding = false, encoding = 'utf-8', "
        f"max_line_size = {RECORD_MAX_BYTES + _LINE_SIZE_MARGIN}, {on_error})"
    )


def numbered_rows(path: str, columns: int, rejects: str | None) -> str:
    """The file's rows in file order with their ordinal. A blank line of a one-column file
    is a row of NULL (Python skips it): see `kept`."""
    return f"select row_number() over () as {ORDINAL}, * from {read_csv(path, columns, rejects)}"


def kept(columns: int) -> str:
    """A condition on numbered_rows: not a blank line (DuckDB reads it as a NULL row in a
    one-column file, and skips it in the others)."""
    return "c0 is not null" if columns == 1 else "true"


def values(layout: Layout) -> str:
    """Each contract column's value from the raw fields c0, c1, ... as v0, v1, ... (in slot
    order), as checks.row_values makes it: ids trimmed, empty or blank = NULL."""
    return ", ".join(f"{_value(slot)} as v{i}" for i, slot in enumerate(layout.slots))


def last_characters(layout: Layout) -> str:
    """The code point of the last character of each used raw field c<n>, as e<n> (what
    `values` looks at: computed once)."""
    used = sorted({slot.position for slot in layout.slots if slot.position >= 0})
    return ", ".join(f"ord(c{n}[-1]) as e{n}" for n in used) or "0 as e"


def with_values(path: str, layout: Layout, rejects: str | None) -> str:
    """numbered_rows with `values` added."""
    rows = numbered_rows(path, len(layout.header), rejects)
    return f"select *, {values(layout)} from (select *, {last_characters(layout)} from ({rows}))"


def _value(slot: Slot) -> str:
    if slot.position < 0:
        return "cast(null as varchar)"
    raw = f"c{slot.position}"
    trimmed = f"trim({raw}, {literal(_WHITESPACE)})"  # slow: only for values that may need it
    padded = _may_be_padded(raw, f"e{slot.position}")
    if slot.trim:
        return f"case when {padded} then nullif({trimmed}, '') else {raw} end"
    return f"case when {padded} then (case when {trimmed} = '' then null else {raw} end) else {raw} end"


def _may_be_padded(raw: str, last: str) -> str:
    """True when the value is empty or its first or `last` character may be whitespace (a
    code point up to ' ' or in U+0085 .. U+3000, where str.isspace()'s others lie)."""
    return (
        f"({raw} < '!' or ({raw} >= '\u0085' and {raw} < '\u3001') "
        f"or {last} <= 32 or {last} between 133 and 12288)"
    )


def _fine(slot: Slot, v: str, window: tuple[str, str]) -> str:
    """A non-NULL value `v` that passes the slot's check."""
    if slot.max_chars:
        return f"length({v}) <= {slot.max_chars}"
    if slot.kind == "text":
        return f"strlen({v}) <= {TEXT_MAX_BYTES}"
    if slot.kind == "datetime":
        earliest, latest = window
        return (
            f"regexp_full_match({v}, {literal(_DATETIME)}) "
            f"and try_strptime({v}, '%Y-%m-%d %H:%M:%S') is not null "
            f"and {v} between {literal(earliest)} and {literal(latest)}"
        )
    if slot.kind == "decimal":
        return (
            f"regexp_full_match({v}, {literal(_DECIMAL)}) "
            f"and length(ltrim(split_part(ltrim({v}, '+'), '.', 1), '0')) <= {AMOUNT_INTEGER_DIGITS} "
            f"and try_cast(ltrim({v}, '+') as decimal(38, 2)) <= {AMOUNT_MAX}"
        )
    assert slot.kind == "json", slot.kind
    return (
        f"strlen({v}) <= {JSON_MAX_BYTES} and json_valid({v}) "
        f"and not regexp_matches({v}, {literal(_JSON_DOUBTS)}) "
        f"and length({v}) - length(replace(replace({v}, '[', ''), '{{', '')) <= {JSON_MAX_DEPTH}"
    )


def surely_good(layout: Layout, loaded_at: datetime) -> str:
    """A condition on with_values' rows, true only for rows that pass every check."""
    window = layout.window.bounds(loaded_at)
    conditions = []
    for i, slot in enumerate(layout.slots):
        v = f"v{i}"
        if slot.position < 0:
            continue  # a column the file lacks is NULL, and nullable
        fine = f"{v} is not null and {_fine(slot, v, window)}"
        if slot.nullable:
            fine = f"{v} is null or ({fine})"
        conditions.append(f"coalesce({fine}, false)")
    return " and ".join(conditions) or "true"


def may_hold_personal_data(layout: Layout, scrub: Scrubber) -> str:
    """A condition on with_values' rows: true when a value could hold a phone or id number
    that the privacy rule (bizstats.privacy) replaces (a cheap superset: any 11 digits with
    at most one separator between two). Such rows take the Python path, which applies it."""
    flags = []
    for i, (slot, column) in enumerate(zip(layout.slots, layout.table.columns, strict=True)):
        rule = column_rule(column)
        if slot.position < 0 or rule is None or (column.name == "user_id" and scrub.hashes_user_ids):
            continue  # a user_id hashed whole (`pseudonymized`) keeps no number
        flags.append(f"coalesce({sql_may_hold_number(f'v{i}', rule, literal)}, false)")
    return " or ".join(flags) or "false"


def pseudonymized(rows: str, layout: Layout, scrub: Scrubber) -> str:
    """`rows` (v0, v1, ... as `values` makes them) with every user_id replaced whole by its
    keyed hash when a pseudonym key is set, as Scrubber.identifier does in Python."""
    key = scrub.pseudonym_key
    for i, (slot, column) in enumerate(zip(layout.slots, layout.table.columns, strict=True)):
        hashed = column_rule(column) == PSEUDONYM and column.name == "user_id"
        if key is not None and slot.position >= 0 and hashed:
            return f"select * replace ({sql_user_id_hash(f'v{i}', key, literal)} as v{i}) from ({rows})"
    return rows
