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


def _day(name: str, value: str | None, default: date) -> date:
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: not a date (YYYY-MM-DD, local day UTC+8): {value!r}") from None


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
) -> StatsQuery:
    """Check a request's parameters against the grain, the metric catalogue and the seeds.
    Without dates: the DEFAULT_DAYS days up to yesterday (`today` is the local date)."""
    last = _day("end", end, today - timedelta(days=1))
    first = _day("start", start, last - timedelta(days=min(DEFAULT_DAYS, grain.max_days) - 1))
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
    if page < 1:
        raise BadRequest(f"page must be 1 or more, got {page}")
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
