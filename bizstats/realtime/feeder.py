"""The collector's side of the counters: after each commit, the newly stored events go to a
thread that adds them to Redis, so a slow or absent Redis never holds ingestion up. When Redis
fails the events are dropped from the counters (ingestion already succeeded) and counted in
`failed`; `bizstats realtime rebuild` rebuilds a day from `event_logs`."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

from bizstats.errors import BizstatsError
from bizstats.realtime.counters import add
from bizstats.realtime.facts import Counter, counters, facts

log = logging.getLogger("bizstats.realtime")
_MAX_WAITING = 10_000  # commits queued for Redis at most; beyond, dropped (and counted)


class CounterFeeder:
    """Adds stored events' facts to the counters from a thread of its own."""

    def __init__(
        self,
        client: redis.Redis,
        uv_exact: bool,
        offset_hours: int,
        report: Callable[[int, float], None] = lambda failed, lag: None,
    ) -> None:
        """`report(failed, lag_seconds)` is called after every batch (the collector's gauges)."""
        self._client, self._uv_exact, self._offset, self._report = client, uv_exact, offset_hours, report
        self._queue: queue.Queue[tuple[float, list[dict[str, Any]]] | None] = queue.Queue(_MAX_WAITING)
        self.failed = 0  # events whose counters were not updated
        self.lag_seconds = 0.0  # commit to counter, the last batch
        self._counters: tuple[Counter, ...] | None = None
        self._thread = threading.Thread(target=self._run, name="bizstats-realtime", daemon=True)
        self._thread.start()

    def after_commit(self, rows: list[dict[str, Any]], new: list[bool]) -> None:
        """Hand the newly stored rows over (duplicates move no counter)."""
        fresh = [row for row, is_new in zip(rows, new, strict=True) if is_new]
        if not fresh:
            return
        try:
            self._queue.put_nowait((time.monotonic(), fresh))
        except queue.Full:
            self.failed += len(fresh)
            self._report(self.failed, self.lag_seconds)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _known(self) -> tuple[Counter, ...]:
        """The counters of the registry as it is now (read again when dbt_project.yml
        changed); while an edit leaves it invalid, the last valid one's."""
        try:
            self._counters = counters()
        except BizstatsError as exc:
            if self._counters is None:
                raise
            log.warning("real-time counters keep the last valid metric registry: %s", exc)
        return self._counters

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            queued, rows = item
            try:
                found = [f for row in rows for f in facts(row, self._offset, self._known())]
                add(self._client, found, self._uv_exact)
                self.lag_seconds = time.monotonic() - queued
            except (redis.RedisError, BizstatsError) as exc:
                self.failed += len(rows)
                log.warning("real-time counters not updated for %d events: %s", len(rows), exc)
            self._report(self.failed, self.lag_seconds)
