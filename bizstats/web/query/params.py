"""A stats request checked and normalised: every bad parameter is refused with the reason
(BadRequest, answered as HTTP 400) before anything is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bizstats.metrics_catalog import Metric
from bizstats.web.query.dimensions import ALL, Dimensions
from bizstats.web.query.grains import Grain

DEFAULT_DAYS = 30  # the range when a request gives no start
DEFAULT_SIZE = 500
MAX_SIZE = 1000  # rows per page, a hard maximum
MAX_PAGE = 1_000_000  # pages: more than any request has (its offset must stay a sane number)
DAYS_AHEAD = 366  # the last day a request may name: a year after today (local)
_FLOOR = date(1000, 1, 1)  # whatever BIZSTATS_MIN_DATETIME says: MySQL's first DATE
EVERY = "*"  # channel=* / device_type=*: every value, `all` included


class BadRequest(ValueError):
    """A request parameter the API refuses; the message says which and why."""


@dataclass(frozen=True)
class StatsQuery:
    grain: Grain
    start: date
    end: date
    channels: tuple[str, ...]
    device_types: tuple[str, ...]
    metrics: tuple[Metric, ...]
    dimensions: tuple[str, ...]  # breakdowns only
    page: int
    size: int

    def cache_key(self) -> str:
        """The request as text: equal requests, equal text."""
        return "|".join((
            self.grain.name, self.start.isoformat(), self.end.isoformat(), ",".join(self.channels),
            ",".join(self.device_types), ",".join(m.name for m in self.metrics),
            ",".join(self.dimensions), str(self.page), str(self.size),
        ))


def _day(name: str, value: str | None, default: date, served: tuple[date, date]) -> date:
    if value is None or value == "":
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: not a date (YYYY-MM-DD, local day UTC+8): {value!r}") from None
    if not served[0] <= day <= served[1]:
        raise BadRequest(f"{name}: {day} is outside the days the API serves, {served[0]} .. {served[1]}")
    return day


def _choices(name: str, value: str | None, known: list[str], default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None or value.strip() == "":
        return default
    if value.strip() == EVERY:
        return tuple(known)
    asked = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in asked if v not in known]
    if unknown:
        raise BadRequest(
            f"{name}: unknown value {', '.join(map(repr, unknown))}; known: {', '.join(known)} "
            f"(or {EVERY} for all of them)"
        )
    return asked


def parse_query(
    grain: Grain,
    catalog: tuple[Metric, ...],
    dims: Dimensions,
    today: date,
    *,
    start: str | None,
    end: str | None,
    channel: str | None,
    device_type: str | None,
    metrics: str | None,
    dimension: str | None,
    page: int,
    size: int,
    first_day: date = date(2000, 1, 1),
) -> StatsQuery:
    """Check a request's parameters against the grain, the metric catalogue and the seeds.
    Without dates: the DEFAULT_DAYS days up to yesterday (`today` is the local date). Days
    before `first_day` (the first the warehouse can hold) or more than DAYS_AHEAD after today
    are refused."""
    served = (max(first_day, _FLOOR), today + timedelta(days=DAYS_AHEAD))
    last = _day("end", end, max(today - timedelta(days=1), served[0]), served)
    default_first = max(served[0], last - timedelta(days=min(DEFAULT_DAYS, grain.max_days) - 1))
    first = _day("start", start, default_first, served)
    if first > last:
        raise BadRequest(f"start {first} is after end {last}")
    days = (last - first).days + 1
    if days > grain.max_days:
        raise BadRequest(
            f"range too large: {first} .. {last} is {days} days, a {grain.name} request covers at "
            f"most {grain.max_days}; split it into several requests"
        )
    if not 1 <= size <= MAX_SIZE:
        raise BadRequest(f"size must be 1 to {MAX_SIZE} rows per page, got {size}")
    if not 1 <= page <= MAX_PAGE:
        raise BadRequest(f"page must be 1 to {MAX_PAGE}, got {page}")
    by_name = {m.name: m for m in catalog}
    names = _choices("metrics", metrics, list(by_name), tuple(by_name))
    if grain.sliced:
        channels = _choices("channel", channel, list(dims.channels), (ALL,))
        devices = _choices("device_type", device_type, list(dims.device_types), (ALL,))
    elif (channel or ALL) != ALL or (device_type or ALL) != ALL:
        raise BadRequest(f"{grain.name} has no channel or device_type split (every row is all / all)")
    else:
        channels, devices = (), ()
    known_dims = list(dims.breakdowns) if grain.name == "breakdowns" else []
    if dimension and not known_dims:
        raise BadRequest(f"dimension: only breakdowns has dimensions, not {grain.name}")
    chosen_dims = _choices("dimension", dimension, known_dims, tuple(known_dims))
    return StatsQuery(
        grain, first, last, channels, devices, tuple(by_name[n] for n in names), chosen_dims, page, size
    )
