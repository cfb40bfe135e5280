"""The raw contract's value rules (models/docs/sources.md), one set for every way a row comes in:
`bizstats load` (its Python checks, bizstats.load.checks, and the SQL that clears the rows
that are surely good, bizstats.load.sql, which accepts a subset of these) and the collector
(bizstats.web.collect.events).

Each check takes a value as text and gives the reason it breaks the contract, None when it
keeps it. `normalized` makes a raw value the one the contract stores: ids trimmed, a blank
value NULL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bizstats.contract import Column
from bizstats.project_vars import project_vars

Check = Callable[[str], str | None]  # a value's problem, None when it is fine

TEXT_MAX_BYTES = 65_535  # a TEXT value (MySQL TEXT)
JSON_MAX_BYTES = 65_535  # a JSON value (extra_data), as UTF-8
JSON_MAX_DEPTH = 31  # MariaDB's JSON_VALID refuses 32 levels of nesting (measured on 10.11)
# The largest amount, yuan: dbt var amount_max (9,999,999,999.99: a million rows of it still
# sum within DECIMAL(18,2), so no day's or history's total overflows); staging sets aside a
# larger one inserted by hand rather than fail every build (macros/staging/bounded_amount.sql).
AMOUNT_MAX = project_vars().amount_max
AMOUNT_INTEGER_DIGITS = len(str(int(AMOUNT_MAX)))

DATETIME_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
_DATETIME = re.compile(DATETIME_PATTERN)
_DECIMAL = re.compile(r"[+-]?([0-9]+)(?:\.[0-9]{1,2})?")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def shown(value: str) -> str:
    """A value quoted for a message, cut to a readable length."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def normalized(column: Column, value: str | None) -> str | None:
    """The value the contract stores: an id trimmed of surrounding whitespace; an empty or
    all-blank value NULL."""
    if value is None:
        return None
    if column.is_id:
        value = value.strip()
    if not value or value.isspace():
        return None
    return value


def string_problem(column: Column, value: str) -> str | None:
    assert column.length is not None, column
    if len(value) > column.length:
        return f"longer than {column.length} characters: {len(value)}"
    return None


def text_problem(value: str) -> str | None:
    if len(value) > TEXT_MAX_BYTES // 4 and len(value.encode("utf-8", "surrogateescape")) > TEXT_MAX_BYTES:
        return f"longer than {TEXT_MAX_BYTES:,} bytes (MySQL TEXT)"
    return None


def datetime_problem(value: str) -> str | None:
    if _DATETIME.fullmatch(value):
        try:
            datetime.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"not a date-time YYYY-MM-DD HH:MM:SS: {shown(value)}"


def datetime_within(earliest: str, latest: str) -> Check:
    """datetime_problem, and the value inside [earliest, latest] (both `YYYY-MM-DD HH:MM:SS`:
    as text of that one width they compare like the datetimes)."""

    def check(value: str) -> str | None:
        if (reason := datetime_problem(value)) is not None:
            return reason
        if value < earliest or value > latest:
            return (
                f"outside the accepted window [{earliest}, {latest}] (BIZSTATS_MIN_DATETIME, "
                f"BIZSTATS_MAX_DAYS_AHEAD): {value}"
            )
        return None

    return check


def amount_problem(value: str) -> str | None:
    """A decimal with at most 2 decimals, >= 0 (`-0` is zero) and at most AMOUNT_MAX."""
    match = _DECIMAL.fullmatch(value)
    if match is None:
        return f"not a decimal number with at most 2 decimal places: {shown(value)}"
    if value[0] == "-" and value.strip("-0.") != "":
        return f"negative amount (every amount is >= 0; a refund is a row of its own): {value}"
    if len(match.group(1).lstrip("0")) > AMOUNT_INTEGER_DIGITS or Decimal(value) > AMOUNT_MAX:
        return f"more than {AMOUNT_MAX:,} (the largest amount, dbt var amount_max): {shown(value)}"
    return None


def amount_text(value: str) -> str:
    """An amount that passed amount_problem as stored: two decimals, no sign (`-0` is 0.00)."""
    return f"{abs(Decimal(value)):.2f}"


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def json_size_problem(value: str) -> str | None:
    if len(value) > JSON_MAX_BYTES // 4 and len(value.encode("utf-8", "surrogateescape")) > JSON_MAX_BYTES:
        return f"JSON larger than {JSON_MAX_BYTES:,} bytes"
    return None


def json_problem(value: str) -> str | None:
    """Valid JSON of at most JSON_MAX_BYTES that MySQL and MariaDB both accept (no NaN, at
    most JSON_MAX_DEPTH levels, no lone surrogates)."""
    if (problem := json_size_problem(value)) is not None:
        return problem
    try:
        doc = json.loads(value, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        return f"not valid JSON ({exc}): {shown(value)}"
    if value.count("[") + value.count("{") > JSON_MAX_DEPTH and json_depth(doc) > JSON_MAX_DEPTH:
        return f"JSON nested deeper than {JSON_MAX_DEPTH} levels"
    if _SURROGATE_ESCAPE.search(value):
        try:
            json.dumps(doc, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            return "JSON holds an unpaired UTF-16 surrogate escape"
    return None


def json_depth(doc: Any) -> int:
    """Levels of nesting of a parsed JSON document (a scalar 0, `[]` 1, `[[1]]` 2)."""
    depth, level = 0, [(doc, 1)]
    while level:
        node, at = level.pop()
        if isinstance(node, dict | list):
            depth = max(depth, at)
            level.extend((child, at + 1) for child in (node.values() if isinstance(node, dict) else node))
    return depth


def value_check(column: Column, window: tuple[str, str]) -> Check:
    """The check of a column's non-NULL (normalized) values, datetimes bound to `window`."""
    if column.kind == "string":
        return lambda value: string_problem(column, value)
    return {
        "text": text_problem,
        "json": json_problem,
        "datetime": datetime_within(*window),
        "decimal": amount_problem,
    }[column.kind]
