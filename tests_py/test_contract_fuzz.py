"""One validator of the raw contract (bizstats.validate) behind both ways in (issue 15, point 3):
the same hostile event_logs rows, written as a CSV for `bizstats load` and sent as events to
the collector's to_row, get the same verdict row by row, and the rows both accept are stored
with the same values. Property-based (hypothesis), bounded and derandomized."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.load.loader import load_dir
from bizstats.settings import settings as current_settings
from bizstats.web.collect import events
from bizstats.web.collect.events import Received, Rejected, to_row
from tests_py.support.raw_files import query_rows, raw_table

COLUMNS = {c.name: c for c in TABLES["event_logs"].columns}
STRINGS = (
    "user_id", "device_id", "session_id", "page_url", "page_title", "order_id", "channel", "device_type"
)  # fmt: skip
# page_leave has rules of the collector's own (its page_view_id and duration_ms)
TYPES = ("page_view", "user_register", "user_login", "order_create", "payment_success", "deduction_success")
# hostile characters: CSV and JSON syntax, controls, blanks str.strip() removes, astral and
# wide characters; one digit only, so that no phone or id number (which both paths mask) appears.
# No lone \r: DuckDB's reader refuses a whole `\n` file holding one, even quoted (found here)
CHARACTERS = list(",\"'\\;\t\n\x00\x01\x1f\x7f \u3000\xa0\u2028\u00e9\u4e2d\U0001f600<>&%0abZ")
_TEXT = st.text(st.sampled_from(CHARACTERS), max_size=12)
_IDS = itertools.count()


def _near_limit(limit: int) -> st.SearchStrategy[str]:
    """A value of about the column's length, of one- to four-byte characters."""
    return st.builds(
        lambda n, c: c * n, st.integers(limit - 1, limit + 1), st.sampled_from(["a", "\u4e2d", "\U0001f600"])
    )


def _string(name: str) -> st.SearchStrategy[str | None]:
    length = COLUMNS[name].length
    assert length is not None
    return st.one_of(st.none(), _TEXT, _near_limit(length), _TEXT.map(lambda t: f" \u3000{t}\t"))


AMOUNTS = st.one_of(
    st.none(),
    st.sampled_from(
        ["0", "-0", "-0.00", "+7", "7.", "1.5", "1.234", "-0.01", "1e3", " 1.00", "1,000", "NaN", "",
         "9999999999.99", "10000000000.00", "0009999999999.99", "9999999999999999.99", "\u0661"]
    ),  # fmt: skip
    st.decimals(min_value=0, max_value=Decimal("99999999999"), places=2).map(str),
)
_JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-999_999, 999_999),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_JSON = st.recursive(
    _JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)


def _deep(depth: int) -> dict:
    doc: Any = 1
    for _ in range(depth - 1):
        doc = [doc]
    return {"d": doc}


EXTRA = st.one_of(
    st.none(),
    st.dictionaries(_TEXT, _JSON, min_size=1, max_size=4),
    st.integers(30, 33).map(_deep),  # 30 .. 33 levels: the limit is 31
    st.integers(65_520, 65_540).map(lambda n: {"s": "x" * (n - 8)}),  # about 64 KiB of JSON
)


def _event_times(now: datetime) -> st.SearchStrategy[str]:
    """Datetimes written as the contract writes them (the collector also takes ISO 8601 and
    epoch milliseconds, which it converts), valid or not, inside the window or not."""
    fixed = ["1999-12-31 23:59:59", "2000-01-01 00:00:00", "2024-02-29 12:00:00", "2023-02-29 12:00:00",
             "2024-13-01 00:00:00", "2024-01-01 24:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59",
             f"{now + timedelta(days=3):%Y-%m-%d %H:%M:%S}"]  # fmt: skip
    inside = st.datetimes(datetime(2000, 1, 2), now - timedelta(days=1))
    return st.one_of(st.sampled_from(fixed), inside.map(lambda d: f"{d:%Y-%m-%d %H:%M:%S}"))


@st.composite
def event_rows(draw: st.DrawFn, now: datetime) -> dict[str, Any]:
    """One event_logs row as a sender has it: strings, an amount as text, extra_data an object."""
    uid = f"fz{next(_IDS)}"
    event_id = draw(st.sampled_from([uid, f" \u3000{uid}\t", "", "  ", uid + "x" * 62, uid + "\u4e2d" * 61]))
    row: dict[str, Any] = {
        "event_id": event_id,
        "event_type": draw(st.sampled_from(TYPES)),
        "event_time": draw(_event_times(now)),
        "amount": draw(AMOUNTS),
        "extra_data": draw(EXTRA),
    }
    for name in STRINGS:
        row[name] = draw(_string(name))
    return row


def _csv(rows: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """The rows as a CSV file (extra_data as the collector serializes it) and each row's line."""
    header = ["event_id", "event_type", "event_time", "amount", "extra_data", *STRINGS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    lines, line = [], 2
    for row in rows:
        start = out.tell()
        extra = row["extra_data"]
        cells = {**row, "extra_data": None if extra is None else orjson.dumps(extra).decode()}
        writer.writerow(["" if cells[name] is None else cells[name] for name in header])
        lines.append(line)
        record = out.getvalue()[start:]
        line += record.count("\n") + record.count("\r") - record.count("\r\n")
    return out.getvalue(), lines


def _collector_verdicts(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any] | str]:
    earliest, latest = current_settings().load.window.bounds(now)
    received = Received(
        now, timedelta(0), None, None, False, datetime.fromisoformat(earliest), datetime.fromisoformat(latest)
    )
    scrub = events.Scrubber(None, None)
    verdicts: list[dict[str, Any] | str] = []
    for row in rows:
        event = {k: v for k, v in row.items() if k != "event_time" and v is not None}
        event["timestamp"] = row["event_time"]
        try:
            verdicts.append(to_row(event, received, scrub))
        except Rejected as exc:
            verdicts.append(str(exc))
    return verdicts


def _stored(target: Target, event_ids: list[str]) -> dict[str, tuple]:
    names = ["event_id", "event_type", "event_time", "amount", "extra_data", *STRINGS]
    found = query_rows(target, f"select {', '.join(names)} from {raw_table(target, 'event_logs')}")
    wanted = set(event_ids)
    return {row[0]: dict(zip(names, row, strict=True)) for row in found if row[0] in wanted}


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large
    ],  # fmt: skip
)
@given(data=st.data())
def test_loader_and_collector_agree_row_by_row(target: Target, tmp_path: Path, data: st.DataObject) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows = data.draw(st.lists(event_rows(now), min_size=1, max_size=12))
    text, lines = _csv(rows)
    folder = tmp_path / f"load{next(_IDS)}"
    folder.mkdir()
    (folder / "event_logs.csv").write_text(text, encoding="utf-8", newline="")

    (result,) = load_dir(target, folder).files
    collected = _collector_verdicts(rows, now)

    refused = {r.line: f"{r.field} {r.reason}" for r in result.rejected}
    accepted_ids = [row["event_id"] for row in collected if isinstance(row, dict)]
    stored = _stored(target, accepted_ids)
    for row, line, verdict in zip(rows, lines, collected, strict=True):
        if isinstance(verdict, str):
            assert line in refused, f"collector refused ({verdict}), loader took: {row!r}"[:2000]
            continue
        assert line not in refused, f"loader refused ({refused.get(line)}), collector took: {row!r}"[:2000]
        _assert_same_values(stored[verdict["event_id"]], verdict)
    assert result.loaded == len(accepted_ids)


def _assert_same_values(loaded: dict[str, Any], collected: dict[str, Any]) -> None:
    for name in ("event_id", "event_type", "user_id", "device_id", "session_id", "page_url", "page_title",
                 "order_id", "channel"):  # fmt: skip
        assert loaded[name] == collected[name], name
    if loaded["device_type"] is not None:  # else the collector takes it from the user agent
        assert loaded["device_type"] == collected["device_type"]
    assert loaded["amount"] == (None if collected["amount"] is None else Decimal(collected["amount"]))
    assert _as_datetime(loaded["event_time"]) == collected["event_time"]
    extra = loaded["extra_data"]
    assert (None if extra is None else json.loads(extra)) == (
        None if collected["extra_data"] is None else json.loads(collected["extra_data"])
    )


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


TOO_LARGE = "amount more than 9,999,999,999.99 (the largest amount, dbt var amount_max)"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("extra_data", {"s": "x" * 65_600}, "extra_data JSON larger than 65,535 bytes"),
        ("extra_data", _deep(32), "extra_data nested deeper than 31 levels"),
        ("extra_data", _deep(300), "extra_data nested deeper than 31 levels"),  # past orjson's own limit
        ("amount", "10000000000", f"{TOO_LARGE}: '10000000000'"),
        ("amount", 1e20, f"{TOO_LARGE}: '100000000000000000000'"),
        ("amount", " 1.00", "amount not a decimal number with at most 2 decimal places: ' 1.00'"),
        ("user_id", "u" * 51, "user_id longer than 50 characters: 51"),
    ],
)
def test_collector_refuses_what_the_loader_refuses(field: str, value: Any, reason: str) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    row = {"event_id": "e1", "event_type": "order_create", "event_time": "2024-03-01 12:00:00", field: value}

    assert _collector_verdicts([row], now) == [reason]
