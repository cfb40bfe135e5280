"""What an `event_logs` row adds to the real-time counters.

The counters are of two sorts:
- the registry's: every published metric of kind counter or unique_counter whose source is
  `events` or `page_views` (vars.metrics of dbt_project.yml) has a counter of its name, fed
  by the events its filter matches (columns and extra_data fields, as staging cleans them):
  pv and uv today, and any such metric added later, with no code change. A counter counts
  the matching events; a unique counter collects its `distinct` values (PFADD / SADD). A
  metric that needs what only a build knows (a page view's duration) has none.
- the collector's business counters, which no registry metric computes from events (the
  registry's new members, credit orders and member deductions are counted from the business
  tables, not the events): new_member (member_purchase events), credit_order (order_create
  paid by credit), member_deduction_cents (deduction_success of the member service, amount in
  cents).

Page views the collector flagged as bots (extra_data.bot) move no counter of a page-view
metric unless the dbt var count_bot_traffic is true: the setting the marts read too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from bizstats.project_vars import project_vars
from bizstats.realtime.keys import channels, devices, local_day, normalise
from bizstats.registry import EXTRA_PREFIX, MetricSpec, Registry, load_registry

# the columns of a source an event gives at once (as staging and int_page_views make them);
# a metric naming any other (a page view's duration) has no real-time counter
EVENT_COLUMNS = (
    "event_id", "event_type", "user_id", "device_id", "session_id", "page_url", "page_title",
    "order_id", "amount", "page_view_id", "channel", "device_type", "ip_address", "event_time",
    "created_at", "extra_data",
)  # fmt: skip
PAGE_VIEW_COLUMNS = ("event_id", "visitor_key", "session_id", "channel", "device_type", "event_time")


class Fact(NamedTuple):
    """One event's contribution: its day and slice, the counter, and the amount or member."""

    day: date
    channel: str
    device: str
    metric: str  # the counter's name: pv, uv, ..., new_member, credit_order, member_deduction_cents
    value: int | str  # a count / cents to add, or the member (visitor key, user id) of a unique counter
    unique: bool = False  # a member of a set (a unique counter), not a number to add


@dataclass(frozen=True)
class Counter:
    """A real-time counter: its Redis name, how people read it, and what an event adds."""

    name: str
    label_zh: str
    label_en: str
    format: str  # integer or money (a counter in cents, read as yuan under `shown`)
    unique: bool
    contribution: Callable[[dict[str, Any]], tuple[datetime, int | str] | None]  # (time, value)
    shown: str = ""  # the response field people read (default: name)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.shown or self.name, "label_zh": self.label_zh, "label_en": self.label_en,
                "format": self.format, "unique": self.unique}  # fmt: skip


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


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _trimmed(value: Any) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def staged(row: dict[str, Any]) -> dict[str, Any]:
    """An event as stg_event_logs holds it (event_type lower-cased, ids trimmed, empty ->
    NULL, page_view_id from extra_data), plus the page view's visitor key: user_id, else
    'd:' + device_id."""
    extra = _extra(row)
    event = {c: row.get(c) for c in EVENT_COLUMNS}
    event["event_type"] = (row.get("event_type") or "").strip().lower()
    for column in ("user_id", "device_id", "session_id", "order_id"):
        event[column] = _trimmed(row.get(column))
    event["page_view_id"] = extra.get("page_view_id")
    event["channel"] = normalise(row.get("channel"), channels())
    event["device_type"] = normalise(row.get("device_type"), devices())
    event["event_time"] = _time(row.get("event_time"))
    event["created_at"] = _time(row.get("created_at"))
    event["extra_data"] = extra
    user, device = event["user_id"], event["device_id"]
    event["visitor_key"] = user or (f"d:{device}" if device else None)
    return event


def _field(event: dict[str, Any], key: str) -> Any:
    if key.startswith(EXTRA_PREFIX):
        value = event["extra_data"].get(key[len(EXTRA_PREFIX) :])
        if isinstance(value, bool | dict | list):
            return None  # not a string field: json_string_field gives no match either
        return value
    return event.get(key)


def _equal(value: Any, wanted: str | int | float) -> bool:
    if value is None:
        return False
    if isinstance(wanted, str):
        return str(value) == wanted
    try:
        return Decimal(str(value)) == Decimal(str(wanted))
    except ArithmeticError:
        return False


def is_bot(event: dict[str, Any]) -> bool:
    """Whether the collector flagged the (staged) event as a bot's: extra_data.bot is true
    (as the models read it: the JSON value true, or the text "true")."""
    flag = event["extra_data"].get("bot")
    return flag is True or flag == "true"


def _registry_counter(metric: MetricSpec, count_bots: bool) -> Counter | None:
    """The counter of a registry metric, or None when its rows need more than the event;
    a page-view metric's leaves bots out unless `count_bots`."""
    columns = EVENT_COLUMNS if metric.source == "events" else PAGE_VIEW_COLUMNS
    named = [key for key, _ in metric.filter] + [metric.time or "event_time"]
    if metric.distinct:
        named.append(metric.distinct)
    usable = all(
        (key.startswith(EXTRA_PREFIX) and "extra_data" in columns) or key in columns for key in named
    )
    if not usable:
        return None
    page_views = metric.source == "page_views"
    time_column = metric.time or "event_time"

    def contribution(event: dict[str, Any]) -> tuple[datetime, int | str] | None:
        if page_views and (event["event_type"] != "page_view" or (not count_bots and is_bot(event))):
            return None
        if not all(any(_equal(_field(event, k), v) for v in values) for k, values in metric.filter):
            return None
        when = event.get(time_column)
        if not isinstance(when, datetime):
            return None
        if metric.kind == "unique_counter":
            member = event.get(metric.distinct or "")
            return None if member is None else (when, str(member))
        return when, 1

    return Counter(metric.name, metric.short_zh, metric.short_en, "integer",
                   metric.kind == "unique_counter", contribution)  # fmt: skip


def _on_event_time(value: Callable[[dict[str, Any]], int | None]) -> Callable[..., Any]:
    def contribution(event: dict[str, Any]) -> tuple[datetime, int | str] | None:
        found = value(event)
        return None if found is None or event["event_time"] is None else (event["event_time"], found)

    return contribution


def _credit(event: dict[str, Any]) -> int | None:
    extra = event["extra_data"]
    paid_by_credit = "credit" in (extra.get("pay_method"), extra.get("payment_method"))
    return 1 if event["event_type"] == "order_create" and paid_by_credit else None


def _member_deduction(event: dict[str, Any]) -> int | None:
    member = event["extra_data"].get("service_type") == "member"
    member = member and event["event_type"] == "deduction_success"
    return _cents(event["amount"]) if member else None


BUSINESS_COUNTERS = (
    Counter("new_member", "会员购买", "Memberships bought", "integer", False,
            _on_event_time(lambda e: 1 if e["event_type"] == "member_purchase" else None)),
    Counter("credit_order", "额度下单", "Credit orders", "integer", False, _on_event_time(_credit)),
    Counter("member_deduction_cents", "会员扣费", "Member deductions", "money", False,
            _on_event_time(_member_deduction), shown="member_deduction"),
)  # fmt: skip

_known: tuple[Registry, bool, tuple[Counter, ...]] | None = None


def counters(registry: Registry | None = None, count_bots: bool | None = None) -> tuple[Counter, ...]:
    """Every real-time counter: the registry's event counters in registry order, then the
    business counters (one whose name a registry counter took is left out). `count_bots`:
    default the dbt var count_bot_traffic."""
    global _known
    registry = registry or load_registry()
    count_bots = project_vars().count_bot_traffic if count_bots is None else count_bots
    if _known is not None and _known[0] is registry and _known[1] == count_bots:
        return _known[2]
    found = [
        counter
        for metric in registry.event_metrics()
        if (counter := _registry_counter(metric, count_bots)) is not None
    ]
    taken = {c.name for c in found}
    found += [c for c in BUSINESS_COUNTERS if not {c.name, c.shown or c.name} & taken]
    _known = (registry, count_bots, tuple(found))
    return _known[2]


def facts(row: dict[str, Any], offset_hours: int, known: tuple[Counter, ...] | None = None) -> list[Fact]:
    """The counters a stored event moves, each on the local day of its time column."""
    event = staged(row)
    found: list[Fact] = []
    for counter in known if known is not None else counters():
        moved = counter.contribution(event)
        if moved is not None:
            when, value = moved
            day = local_day(when, offset_hours)
            slice_ = (event["channel"], event["device_type"])
            found.append(Fact(day, *slice_, counter.name, value, counter.unique))
    return found
