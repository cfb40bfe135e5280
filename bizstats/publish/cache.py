"""The query API's cache of hot queries in Redis: its settings, its key names and the
invalidation a build runs. The query API (bizstats.web.query.cache) stores and reads answers under
the same names.

- An answer is stored under `<prefix>:<warehouse id>:q:<sha1 of the request>` for
  BIZSTATS_CACHE_TTL seconds, and its key is added to the set `<...>:d:<day>` of every local
  day it depends on. The warehouse id is the warehouse's identity, stored in the warehouse
  itself (bizstats.warehouse_id), never the address a client used: a build connecting to
  127.0.0.1:3306 and an API connecting through a proxy or a DNS name share the answers'
  namespace, and a warehouse created anew at the same address does not.
- `invalidate` deletes exactly the answers of the days a build rebuilt (one Lua script:
  atomic) and increments the epoch counter `<...>:epoch`: an answer is stored only if the
  epoch is the one read before its query ran, so an answer read from the old numbers while a
  build finished is never stored after the invalidation.

Settings: BIZSTATS_REDIS_URL (e.g. redis://127.0.0.1:6379/0, the collector's real-time
counters use it too; unset or empty: no cache), BIZSTATS_CACHE_PREFIX (default
bizstats:query), BIZSTATS_CACHE_TTL (seconds, default 86400).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bizstats.settings import settings

if TYPE_CHECKING:
    import redis

TIMEOUT_SECONDS = 0.25  # a dead Redis costs a request or a build at most this

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


@dataclass(frozen=True)
class CacheSettings:
    """Where the cache lives and how its keys are named."""

    url: str
    prefix: str = "bizstats:query"
    ttl: int = 86400

    @classmethod
    def current(cls) -> CacheSettings | None:
        """The cache the settings ask for (the settings object's `redis` section), or None
        when it is off (no BIZSTATS_REDIS_URL)."""
        found = settings().redis
        return None if found.url is None else cls(found.url, found.cache_prefix, found.cache_ttl)

    def connect(self) -> redis.Redis:
        """A client with short timeouts (nothing is sent until a command)."""
        import redis

        return redis.Redis.from_url(
            self.url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )

    def namespace(self, warehouse: str) -> str:
        """Where the answers of the warehouse with id `warehouse` live."""
        return f"{self.prefix}:{warehouse}"

    def answer_key(self, warehouse: str, request: str) -> str:
        return f"{self.namespace(warehouse)}:q:{hashlib.sha1(request.encode()).hexdigest()}"

    def day_keys(self, warehouse: str, start: date, end: date) -> list[str]:
        """The sets of the answers depending on each local day of [start, end]."""
        days = (start + timedelta(days=n) for n in range((end - start).days + 1))
        return [f"{self.namespace(warehouse)}:d:{day.isoformat()}" for day in days]

    def epoch_key(self, warehouse: str) -> str:
        return f"{self.namespace(warehouse)}:epoch"


def invalidate(settings: CacheSettings, warehouse: str, start: date, end: date) -> int:
    """Delete the answers depending on any day of [start, end]; how many there were.
    Raises redis.RedisError when Redis cannot be reached (the caller says so)."""
    client = settings.connect()
    try:
        keys = [settings.epoch_key(warehouse), *settings.day_keys(warehouse, start, end)]
        return int(client.register_script(_INVALIDATE)(keys=keys))
    finally:
        client.close()
