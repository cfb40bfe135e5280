"""Group commit: one writer thread stores the events of every request waiting at that moment
in one transaction, then answers all of them. Under load a commit carries many requests, so
the cost of a durable commit (an fsync) is shared; alone, a request waits for its own.

A request is acknowledged only after the transaction holding its events committed; when the
store fails, every request of that transaction gets the error and nothing of it is stored.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

log = logging.getLogger("bizstats.collect")

Row = dict[str, Any]


class StoreUnavailable(Exception):
    """The store cannot take events now (a server down): answer 503, retry later."""


class Store(Protocol):
    def encode(self, row: Row) -> Any:
        """The row as the store writes it (SQL text, bytes): made by the request's thread,
        so the serialized commit does as little as it can."""

    def write(self, rows: list[Row], encoded: list[Any]) -> list[bool]:
        """Store the rows in one transaction: per row, True if its event_id is new."""

    def close(self) -> None: ...


class GroupCommitter:
    """Feeds a Store from one thread; `after_commit(rows, new)` runs after each commit (the
    real-time counters), outside the requests' latency."""

    def __init__(
        self,
        store: Store,
        max_group: int,
        after_commit: Callable[[list[Row], list[bool]], None] | None = None,
    ) -> None:
        self._store, self._max_group, self._after = store, max_group, after_commit
        self._queue: queue.Queue[tuple[list[Row], list[Any], Future] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="bizstats-group-commit", daemon=True)
        self._thread.start()

    async def store(self, rows: list[Row]) -> list[bool]:
        """Store a request's rows; returns when they are committed (or raises)."""
        done: Future = Future()
        self._queue.put((rows, [self._store.encode(row) for row in rows], done))
        return await asyncio.wrap_future(done)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._store.close()

    def _take(self) -> list[tuple[list[Row], list[Any], Future]] | None:
        first = self._queue.get()
        if first is None:
            return None
        group, size = [first], len(first[0])
        while size < self._max_group:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            group.append(item)
            size += len(item[0])
        return group

    def _run(self) -> None:
        while (group := self._take()) is not None:
            rows = [row for request, _, _ in group for row in request]
            try:
                new = self._store.write(rows, [item for _, encoded, _ in group for item in encoded])
            except Exception as exc:  # every waiting request gets the store's failure
                for _, _, done in group:
                    done.set_exception(exc)
                continue
            start = 0
            for request, _, done in group:
                done.set_result(new[start : start + len(request)])
                start += len(request)
            if self._after is not None:
                try:
                    self._after(rows, new)
                except Exception:  # counters are best effort: storing succeeded
                    log.exception("after-commit step failed")
