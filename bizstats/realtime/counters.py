"""The counters in Redis: add the facts of stored events, read a day, replace a day."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import redis

from bizstats.local_time import local_today
from bizstats.realtime.facts import Counter, Fact, counters
from bizstats.realtime.keys import channels, devices, key, prefix, ttl_seconds

# a counter's key parts: metric, day, channel and device (None: the day's total over them)
Slice = tuple[str, date, str | None, str | None]


def connect(url: str) -> redis.Redis:
    """A client that gives up fast: a Redis outage must not hold the collector up."""
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)


def _apply(pipe: Any, found: Iterable[Fact], uv_exact: bool, rename: dict[str, str] | None = None) -> None:
    """One command per key, whatever the number of facts: the facts summed (visitors
    collected) per slice, the day's totals from the slices, then per key one INCRBY (or one
    PFADD / SADD of all its visitors) and one EXPIRE."""
    sums: dict[Slice, int] = defaultdict(int)
    members: dict[Slice, set[str]] = defaultdict(set)
    for day, channel, device, metric, value, unique in found:
        if unique:
            members[(metric, day, channel, device)].add(str(value))
        else:
            sums[(metric, day, channel, device)] += int(value)
    for (metric, day, _, _), amount in list(sums.items()):
        sums[(metric, day, None, None)] += amount
    for (metric, day, _, _), visitors in list(members.items()):
        members[(metric, day, None, None)] |= visitors

    base = prefix()

    def target(slice_: Slice) -> str:
        name = key(*slice_, base=base)
        if rename is None:
            return name
        return rename.setdefault(name, f"{name}:rebuild:{uuid.uuid4().hex}")

    names = []
    for slice_, visitors in members.items():
        names.append(target(slice_))
        (pipe.sadd if uv_exact else pipe.pfadd)(names[-1], *visitors)
    for slice_, total in sums.items():
        names.append(target(slice_))
        pipe.incrby(names[-1], total)
    ttl = ttl_seconds()
    for name in names:
        pipe.expire(name, ttl)


def add(client: redis.Redis, found: list[Fact], uv_exact: bool) -> None:
    """Add the facts (one round trip)."""
    if not found:
        return
    pipe = client.pipeline(transaction=False)
    _apply(pipe, found, uv_exact)
    pipe.execute()


def replace_day(client: redis.Redis, day: date, found: list[Fact], uv_exact: bool) -> None:
    """The day's counters become exactly the facts': written under temporary names, then
    swapped in one MULTI (readers never see a half-built day)."""
    renames: dict[str, str] = {}
    pipe = client.pipeline(transaction=False)
    _apply(pipe, [f for f in found if f.day == day], uv_exact, renames)
    pipe.execute()
    swap = client.pipeline(transaction=True)
    for name in _day_keys(day, counters()):
        if name not in renames:
            swap.delete(name)
    for name, temporary in renames.items():
        swap.rename(temporary, name)
    swap.execute()


def _day_keys(day: date, known: tuple[Counter, ...]) -> list[str]:
    names, base = [], prefix()
    for counter in known:
        names.append(key(counter.name, day, base=base))
        names += [key(counter.name, day, c, d, base) for c in channels() for d in devices()]
    return names


def read_day(
    client: redis.Redis, day: date, uv_exact: bool, known: tuple[Counter, ...] | None = None
) -> dict[str, Any]:
    """The day's totals and the slices with any activity: a field per counter (a money
    counter in cents, and as exact yuan text under its `shown` name), and `counters`, what
    each field is (name, labels, format) in display order."""
    known = known if known is not None else counters()
    slices = [(None, None)] + [(c, d) for c in channels() for d in devices()]
    pipe, base = client.pipeline(transaction=False), prefix()
    for channel, device in slices:
        for counter in known:
            name = key(counter.name, day, channel, device, base)
            if counter.unique:
                (pipe.scard if uv_exact else pipe.pfcount)(name)
            else:
                pipe.get(name)
    values = iter(pipe.execute())
    rows = []
    for channel, device in slices:
        row: dict[str, Any] = {c.name: int(next(values) or 0) for c in known}
        active = any(row.values())
        for counter in known:
            if counter.format == "money":
                yuan, cents = divmod(row[counter.name], 100)
                row[counter.shown] = f"{yuan}.{cents:02d}"  # yuan, exact
        if channel is None:
            total = row
        elif active:
            rows.append({"channel": channel, "device_type": device, **row})
    return {"date": day.isoformat(), **total, "slices": rows, "counters": [c.as_json() for c in known]}


@dataclass(frozen=True)
class CounterReader:
    """What GET /api/stats/realtime reads: the collector's Redis client (None: the counters
    are off) and how its days are counted."""

    client: redis.Redis | None
    uv_exact: bool
    offset_hours: int

    def read(self, day: date | None) -> dict[str, Any]:
        """`read_day` of `day`, by default today (local). Raises redis.RedisError."""
        assert self.client is not None
        if day is None:
            day = local_today(offset=self.offset_hours)
        return read_day(self.client, day, self.uv_exact)
