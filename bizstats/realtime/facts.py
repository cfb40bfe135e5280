"""What an `event_logs` row adds to the real-time counters."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from bizstats.realtime.keys import channels, devices, local_day, normalise


class Fact(NamedTuple):
    """One event's contribution: its day and slice, the metric, and the amount or member."""

    day: date
    channel: str
    device: str
    metric: str  # pv, uv, new_member, credit_order, member_deduction_cents
    value: int | str  # a count / cents to add, or the visitor key for uv


def _extra(row: dict[str, Any]) -> dict[str, Any]:
    extra = row.get("extra_data")
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            return {}
    return extra if isinstance(extra, dict) else {}


def _cents(amount: Any) -> int:
    return int(Decimal(str(amount)) * 100) if amount is not None else 0


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def facts(row: dict[str, Any], offset_hours: int) -> list[Fact]:
    """The counters a stored event moves: a page view moves pv and uv (visitor key: user_id,
    else `d:` + device_id); a member_purchase new_member; an order_create paid by credit
    (`pay_method` / `payment_method` = credit) credit_order; a deduction_success of the member
    service (`service_type` = member) member_deduction_cents by its amount."""
    day = local_day(_time(row["event_time"]), offset_hours)
    channel = normalise(row.get("channel"), channels())
    device = normalise(row.get("device_type"), devices())
    kind = row["event_type"]
    found: list[Fact] = []
    if kind == "page_view":
        found.append(Fact(day, channel, device, "pv", 1))
        visitor = row.get("user_id") or (f"d:{row['device_id']}" if row.get("device_id") else None)
        if visitor:
            found.append(Fact(day, channel, device, "uv", visitor))
    elif kind == "member_purchase":
        found.append(Fact(day, channel, device, "new_member", 1))
    elif kind == "order_create":
        extra = _extra(row)
        if "credit" in (extra.get("pay_method"), extra.get("payment_method")):
            found.append(Fact(day, channel, device, "credit_order", 1))
    elif kind == "deduction_success" and _extra(row).get("service_type") == "member":
        found.append(Fact(day, channel, device, "member_deduction_cents", _cents(row.get("amount"))))
    return found
