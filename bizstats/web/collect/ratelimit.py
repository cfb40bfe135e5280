"""Requests per second per key (an IP address, a client, a site key): a token bucket each (in
this process)."""

from __future__ import annotations

import threading
import time

MAX_KEYS = 100_000  # buckets kept before idle ones (full again) are forgotten


class RateLimiter:
    """`rate` tokens a second, at most `burst` saved; a request takes one. Buckets idle long
    enough to be full again are dropped once there are more than `max_keys` (checked at most
    once a second), so many one-off clients cannot grow the table without bound."""

    def __init__(self, rate: float, burst: int, max_keys: int = MAX_KEYS) -> None:
        self._rate, self._burst, self._max_keys = rate, burst, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def wait_time(self, key: str) -> float:
        """0 when the request may go (a token taken), else the seconds until one is free."""
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > self._max_keys and now >= self._next_prune:
                self._prune(now)
            tokens, last = self._buckets.get(key, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - last) * self._rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._rate

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, now: float) -> None:
        refill = self._burst / self._rate  # seconds from empty to full
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill}
        self._next_prune = now + 1.0
