"""One reported event (a behaviour or business event plus event_id, device_id, page_leave) checked
against the raw contract and turned into an `event_logs` row.

Known fields fill their columns; any other field (e.g. `member_type`, `payment_method`) goes
into `extra_data`, with `extra_data` itself when sent as an object. Times (`timestamp`, and
the request's `sent_at`) are `YYYY-MM-DD HH:MM:SS` UTC, ISO 8601 or epoch milliseconds; the
stored `event_time` is `timestamp` shifted by the client's clock error (receive time minus
`sent_at`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from bizstats.config import project_dir
from bizstats.contract import TABLES
from bizstats.privacy import Scrubber
from bizstats.validate import (
    JSON_MAX_DEPTH,
    TEXT_MAX_BYTES,
    amount_problem,
    amount_text,
    json_depth,
    json_size_problem,
    normalized,
    string_problem,
)
from bizstats.web.collect.enrich import device_type, is_bot

COLUMNS = TABLES["event_logs"].column_names
_COLUMNS = {c.name: c for c in TABLES["event_logs"].columns}
_STRINGS = ("user_id", "device_id", "session_id", "page_url", "page_title", "order_id", "channel")
_ENVELOPE = ("sent_at", "site_key")  # request fields, not stored
_NOT_EXTRA = frozenset((*COLUMNS, *_ENVELOPE, "timestamp", "extra_data"))
BROWSER_TYPES = frozenset({"page_view", "page_leave", "user_register", "user_login"})
_EPOCH = datetime(1970, 1, 1)


class Rejected(ValueError):
    """The event's reason for being refused."""


@functools.cache
def event_types() -> frozenset[str]:
    """The event types of the enum seed (seeds/event_types.csv)."""
    lines = (project_dir() / "seeds" / "event_types.csv").read_text(encoding="utf-8").splitlines()
    return frozenset(line.split(",", 1)[0].strip() for line in lines[1:] if line.strip())


def parse_time(value: Any, name: str) -> datetime:
    """A client time as naive UTC (microseconds kept for the skew arithmetic), or Rejected:
    never an overflow, whatever the value (years 1 and 9999 with any offset included)."""
    if isinstance(value, bool):
        raise Rejected(f"{name} must be a datetime or epoch milliseconds")
    if isinstance(value, int | float):
        try:
            return _EPOCH + timedelta(milliseconds=value)
        except (OverflowError, ValueError):  # beyond year 1 .. 9999, or NaN
            raise Rejected(f"{name} out of range: {value!r}") from None
    if isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                try:
                    parsed = parsed.astimezone(UTC).replace(tzinfo=None)
                except (OverflowError, ValueError):  # e.g. 9999-12-31T23:59:59-14:00
                    raise Rejected(f"{name} out of range (years 1 .. 9999 in UTC): {value!r}") from None
            return parsed
    raise Rejected(f"{name} must be YYYY-MM-DD HH:MM:SS (UTC), ISO 8601 or epoch milliseconds")


def clock_corrected(at: datetime, skew: timedelta) -> datetime:
    """`at` shifted by the client's clock error, or Rejected when that leaves years 1 .. 9999
    (a `sent_at` far from the receive time)."""
    try:
        return at + skew
    except OverflowError:
        raise Rejected(
            f"timestamp {at:%Y-%m-%d %H:%M:%S} corrected by the client's clock (receive time - "
            "sent_at) is out of range"
        ) from None


@dataclass(frozen=True)
class Received:
    """What the collector knows of the request the events came in."""

    at: datetime  # receive time, naive UTC
    skew: timedelta  # receive time - the client's send time (zero without sent_at)
    ip: str | None
    user_agent: str | None
    browser: bool  # a site key's request: only BROWSER_TYPES
    earliest: datetime  # the contract's datetime window
    latest: datetime


def _amount(value: Any) -> str | None:
    """The amount as the contract stores it (bizstats.validate: the loader's rule), from a
    JSON number or a string."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Rejected("amount must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Rejected("amount must be a finite number")
        text = format(Decimal(repr(value)), "f")  # 1e-05 as 0.00001: refused for its decimals
    else:
        text = str(value)
    given = normalized(_COLUMNS["amount"], text)
    if given is None:
        return None
    if (problem := amount_problem(given)) is not None:
        raise Rejected(f"amount {problem}")
    return amount_text(given)


def _string(event: dict[str, Any], name: str) -> str | None:
    """A string column's value as the loader takes it (bizstats.validate): ids trimmed, blank
    is NULL, the column's length; an id may come as a JSON integer."""
    value = event.get(name)
    if value is None:
        return None
    column = _COLUMNS[name]
    if column.is_id and type(value) is int:
        value = str(value)
    elif type(value) is not str:
        raise Rejected(f"{name} must be a string")
    value = normalized(column, value)
    if value is not None and (problem := string_problem(column, value)) is not None:
        raise Rejected(f"{name} {problem}")
    return value


def _extra_json(extra: dict[str, Any]) -> str:
    """extra_data as stored: JSON the loader would accept (bizstats.validate). Made from a
    parsed document, so only its depth and size are left to check: orjson writes no NaN
    (null) and refuses a lone surrogate, and the text is not parsed again (the hot path)."""
    if json_depth(extra) > JSON_MAX_DEPTH:
        raise Rejected(f"extra_data nested deeper than {JSON_MAX_DEPTH} levels")
    try:
        text = orjson.dumps(extra).decode()
    except orjson.JSONEncodeError as exc:
        raise Rejected(f"extra_data is not storable JSON: {exc}") from None
    if (problem := json_size_problem(text)) is not None:
        raise Rejected(f"extra_data {problem}")
    return text


def to_row(event: Any, received: Received, scrub: Scrubber) -> dict[str, Any]:
    """The `event_logs` row of one event, or Rejected with the reason."""
    if not isinstance(event, dict):
        raise Rejected("an event must be a JSON object")
    event_id = _string(event, "event_id") if "event_id" in event else None
    if not event_id:
        raise Rejected("event_id is required")
    kind = event.get("event_type")
    if not isinstance(kind, str) or kind not in event_types():
        raise Rejected(f"event_type must be one of {', '.join(sorted(event_types()))}")
    if received.browser and kind not in BROWSER_TYPES:
        raise Rejected(f"{kind} must come from a signed back-end source, not a browser key")
    if "timestamp" not in event:
        raise Rejected("timestamp is required")
    at = clock_corrected(parse_time(event["timestamp"], "timestamp"), received.skew)
    event_time = at.replace(microsecond=0)
    if not received.earliest <= event_time <= received.latest:
        raise Rejected(
            f"timestamp {event_time:%Y-%m-%d %H:%M:%S} (clock-corrected, UTC) outside "
            f"[{received.earliest:%Y-%m-%d %H:%M:%S}, {received.latest:%Y-%m-%d %H:%M:%S}]"
        )
    row: dict[str, Any] = {name: _string(event, name) for name in _STRINGS}
    row["device_type"] = _string(event, "device_type")
    row["event_id"], row["event_type"] = event_id, kind
    row["amount"] = _amount(event.get("amount"))
    extra = event.get("extra_data")
    if extra is not None and not isinstance(extra, dict):
        raise Rejected("extra_data must be a JSON object")
    extra = dict(extra or {})
    extra.update({k: v for k, v in event.items() if k not in _NOT_EXTRA})
    if kind == "page_leave":
        _check_leave(extra)
    ua = received.user_agent
    if received.browser and is_bot(ua):  # a back-end source's agent is its HTTP library
        extra["bot"] = True
    row["extra_data"] = _extra_json(scrub.extra(extra)) if extra else None
    row["device_type"] = row["device_type"] or device_type(ua)
    row["ip_address"] = received.ip
    row["user_agent"] = ua[: TEXT_MAX_BYTES // 4] if ua else None  # a header, cut to fit TEXT
    row["event_time"] = event_time
    row["created_at"] = received.at.replace(microsecond=0)
    return scrub.row("event_logs", row)  # phone and id numbers in every string (bizstats.privacy)


def _check_leave(extra: dict[str, Any]) -> None:
    view = extra.get("page_view_id")
    duration = extra.get("duration_ms")
    if not isinstance(view, str) or not view.strip() or len(view) > 64:
        raise Rejected("page_leave needs page_view_id (the event_id of its page_view)")
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 0:
        raise Rejected("page_leave needs duration_ms, a whole number >= 0")
