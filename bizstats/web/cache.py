"""The query API's cache of hot queries in Redis (seed §11.2.2), and its invalidation by
builds.

- An answer is stored under `<prefix>:<warehouse id>:q:<sha1 of the request>` for
  BIZSTATS_CACHE_TTL seconds, and its key is added to the set `<...>:d:<day>` of every local
  day it depends on (grains.Grain.days_used). The warehouse id is the warehouse's identity,
  stored in the warehouse itself (bizstats.warehouse_id), never the address a client used:
  a build connecting to 127.0.0.1:3306 and an API connecting through a proxy or a DNS name
  share the answers' namespace, and a warehouse created anew at the same address does not.
- `invalidate_days(target, start, end)`, called after a successful build with the days it
  rebuilt, deletes exactly the answers of those days (one Lua script: atomic), after making
  the new numbers readable (DuckDB: a new snapshot, see query/snapshot.py).
- A race is closed by an epoch counter `<...>:epoch` that every invalidation increments: an
  answer is stored only if the epoch is the one read before its query ran, so an answer read
  from the old numbers while a build finished is never stored after the invalidation.
- Redis down: the API answers from the database. After a failure the cache is not tried for
  DOWN_SECONDS, so a dead Redis costs a request at most its short socket timeout.

Settings: BIZSTATS_REDIS_URL (e.g. redis://127.0.0.1:6379/0, the collector's real-time
counters use it too; unset or empty: no cache),
BIZSTATS_CACHE_PREFIX (default bizstats:query), BIZSTATS_CACHE_TTL (seconds, default 86400).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

import redis

from bizstats.config import Target, env_int, redis_url
from bizstats.errors import BizstatsError
from bizstats.warehouse_id import ensure_warehouse_id

DOWN_SECONDS = 5.0
TIMEOUT_SECONDS = 0.25

# KEYS: epoch, answer, day sets...; ARGV: the epoch read before the query, body, ttl
_PUT = """
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', tonumber(ARGV[3]))
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3]))
end
return 1
"""
# KEYS: epoch, day sets...; returns the number of answers deleted
_INVALIDATE = """
redis.call('INCR', KEYS[1])
local dropped = 0
for i = 2, #KEYS do
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    dropped = dropped + redis.call('DEL', key)
  end
  redis.call('DEL', KEYS[i])
end
return dropped
"""


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


class QueryCache:
    """The answers cached in one Redis, each warehouse's under a namespace of its id; every
    method is a no-op (or a miss) while Redis is unreachable."""

    def __init__(self, url: str, prefix: str, ttl: int) -> None:
        self.prefix = prefix
        self.ttl = ttl
        self._redis = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        self._put = self._redis.register_script(_PUT)
        self._invalidate = self._redis.register_script(_INVALIDATE)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> QueryCache | None:
        """The cache the settings ask for, or None when it is off."""
        url = redis_url()
        if not url:
            return None
        ttl = env_int("BIZSTATS_CACHE_TTL", 86400, 1, 31_536_000, "of seconds")
        prefix = os.environ.get("BIZSTATS_CACHE_PREFIX", "bizstats:query").strip() or "bizstats:query"
        return cls(url, prefix, ttl)

    def namespace(self, warehouse: str) -> str:
        """Where the answers of the warehouse with id `warehouse` live."""
        return f"{self.prefix}:{warehouse}"

    def answer_key(self, warehouse: str, request: str) -> str:
        return f"{self.namespace(warehouse)}:q:{hashlib.sha1(request.encode()).hexdigest()}"

    def _day_key(self, warehouse: str, day: date) -> str:
        return f"{self.namespace(warehouse)}:d:{day.isoformat()}"

    def _epoch_key(self, warehouse: str) -> str:
        return f"{self.namespace(warehouse)}:epoch"

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self) -> None:
        with self._lock:
            self._down_until = time.monotonic() + DOWN_SECONDS

    def lookup(self, warehouse: str, key: str) -> tuple[bytes | None, str | None]:
        """(the stored answer or None, the epoch to store a new one with; None: don't)."""
        if not self._available():
            return None, None
        try:
            pipe = self._redis.pipeline(transaction=False)
            body, epoch = pipe.get(key).get(self._epoch_key(warehouse)).execute()
        except redis.RedisError:
            self._failed()
            return None, None
        return body, (epoch or b"0").decode()

    def store(self, warehouse: str, key: str, body: bytes, days: tuple[date, date], epoch: str) -> bool:
        """Keep `body` under `key` for the days it depends on, unless a build invalidated
        anything since `epoch` was read. True when stored."""
        if not self._available():
            return False
        day_keys = [self._day_key(warehouse, d) for d in _days(*days)]
        try:
            keys = [self._epoch_key(warehouse), key, *day_keys]
            return bool(self._put(keys=keys, args=[epoch, body, self.ttl]))
        except redis.RedisError:
            self._failed()
            return False

    def invalidate(self, warehouse: str, start: date, end: date) -> int:
        """Delete the answers depending on any day of [start, end]; how many there were.
        Raises redis.RedisError when Redis cannot be reached (the caller says so)."""
        keys = [self._epoch_key(warehouse), *(self._day_key(warehouse, d) for d in _days(start, end))]
        return int(self._invalidate(keys=keys))


@dataclass(frozen=True)
class Invalidation:
    """What `invalidate_days` did: answers deleted, and a warning when it could not."""

    dropped: int
    warning: str | None = None


def invalidate_days(target: Target, start: date, end: date) -> Invalidation:
    """After a successful build of the local days [start, end] of `target`: make the new
    numbers readable by the query API (DuckDB: publish a snapshot of the warehouse) and delete
    the cached answers that depend on those days, and only those.

    Call it from the build's own process once dbt has finished and the build is logged, still
    holding the warehouse lock (bizstats.build._build, after changes.log_build). A Redis that
    cannot be reached is not an error of the build: the warning says that answers cached
    before it may stay stale up to BIZSTATS_CACHE_TTL."""
    cache = QueryCache.from_env()
    try:
        # before the snapshot, so that it carries the id too
        warehouse = ensure_warehouse_id(target)
    except BizstatsError as exc:
        warehouse = None
        failure = f"the warehouse's id could not be stored: {exc}"
    if target.name == "duckdb":
        from bizstats.web.query.snapshot import publish, snapshot_dir

        if snapshot_dir(target).is_dir():  # a query API reads this warehouse
            publish(target)
    if cache is None:
        return Invalidation(0)
    if warehouse is not None:
        try:
            return Invalidation(cache.invalidate(warehouse, start, end))
        except redis.RedisError as exc:
            failure = str(exc)
    where = cache.namespace(warehouse) if warehouse else cache.prefix
    return Invalidation(
        0,
        f"the query cache ({where}) could not be invalidated for {start} .. {end}: "
        f"{failure}; cached answers may stay stale for up to {cache.ttl} s (BIZSTATS_CACHE_TTL)",
    )
