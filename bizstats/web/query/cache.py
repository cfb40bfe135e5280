"""The query API's cache of hot queries in Redis: answers stored and read under the key names
of bizstats.publish.cache (which says how they are named and how a build invalidates them).

An answer is stored only if the epoch is the one read before its query ran (one Lua script:
atomic), so an answer read from the old numbers while a build finished is never stored after
the build's invalidation. Redis down: the API answers from the database. After a failure the
cache is not tried for DOWN_SECONDS, so a dead Redis costs a request at most its short socket
timeout.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import redis

from bizstats.publish.cache import CacheSettings

DOWN_SECONDS = 5.0

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


class QueryCache:
    """The answers cached in one Redis, each warehouse's under a namespace of its id; every
    method is a no-op (or a miss) while Redis is unreachable."""

    def __init__(self, settings: CacheSettings) -> None:
        self.settings = settings
        self._redis = settings.connect()
        self._put = self._redis.register_script(_PUT)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> QueryCache | None:
        """The cache the settings ask for, or None when it is off."""
        settings = CacheSettings.current()
        return None if settings is None else cls(settings)

    def answer_key(self, warehouse: str, request: str) -> str:
        return self.settings.answer_key(warehouse, request)

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
            pipe.get(key)
            pipe.get(self.settings.epoch_key(warehouse))
            body, epoch = pipe.execute()
        except redis.RedisError:
            self._failed()
            return None, None
        return body, (epoch or b"0").decode()

    def store(self, warehouse: str, key: str, body: bytes, days: tuple[date, date], epoch: str) -> bool:
        """Keep `body` under `key` for the days it depends on, unless a build invalidated
        anything since `epoch` was read. True when stored."""
        if not self._available():
            return False
        try:
            keys = [self.settings.epoch_key(warehouse), key, *self.settings.day_keys(warehouse, *days)]
            return bool(self._put(keys=keys, args=[epoch, body, self.settings.ttl]))
        except redis.RedisError:
            self._failed()
            return False
