"""Group commit: one writer thread stores the events of every request waiting at that moment
in one transaction, then answers all of them. Under load a commit carries many requests, so
the cost of a durable commit (an fsync) is shared; alone, a request waits for its own.

A request is acknowledged only after the transaction holding its events committed; when the
store is unavailable (a server down), every request of that transaction gets the error and
nothing of it is stored. When the database refuses a row (a constraint, a value it cannot
hold: `RowRefused`), that row fails alone: the group's requests are written again in halves,
then the rows of a request that still fails, until the refused rows are found; they are
answered as refused, every other event is stored once in the transaction of its half.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("bizstats.collect")

Row = dict[str, Any]
# a row's key (not a column) holding why it goes to the quarantine table, not event_logs
QUARANTINE = "_quarantine"


class StoreUnavailable(Exception):
    """The store cannot take events now (a server down): answer 503, retry later."""


class RowRefused(Exception):
    """The database refused a row of the transaction (a constraint, a value it cannot hold):
    the transaction was rolled back and the store can take the next one. The message is the
    database's reason, without SQL text."""


@dataclass(frozen=True)
class Refused:
    """A row the database refused on its own (the outcome of that row alone)."""

    reason: str


Outcome = bool | Refused  # per row: True new, False a duplicate of a stored event_id, Refused
_Request = tuple[list[Row], list[Any], Future[list[Outcome]]]


class Store(Protocol):
    def encode(self, row: Row) -> Any:
        """The row as the store writes it (SQL text, bytes): made by the request's thread,
        so the serialized commit does as little as it can."""

    def write(self, rows: list[Row], encoded: list[Any]) -> list[bool]:
        """Store the rows in one transaction: per row, True if its event_id is new (a row
        with QUARANTINE goes to the quarantine table). Raises StoreUnavailable, or
        RowRefused when the database refuses a row (nothing of the transaction stored)."""

    def close(self) -> None: ...


def _answer(done: Future[list[Outcome]], result: Sequence[Outcome]) -> None:
    with contextlib.suppress(InvalidStateError):  # the request was cancelled meanwhile
        done.set_result(list(result))


def _fail(done: Future[list[Outcome]], exc: BaseException) -> None:
    with contextlib.suppress(InvalidStateError):
        done.set_exception(exc)


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
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="bizstats-group-commit", daemon=True)
        self._thread.start()

    async def store(self, rows: list[Row]) -> list[Outcome]:
        """Store a request's rows; returns when they are committed (or raises
        StoreUnavailable): per row, True (new), False (duplicate) or Refused."""
        done: Future[list[Outcome]] = Future()
        self._queue.put((rows, [self._store.encode(row) for row in rows], done))
        return await asyncio.wrap_future(done)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._store.close()

    def _take(self) -> list[_Request] | None:
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
            self._commit(group)

    def _commit(self, group: list[_Request]) -> None:
        """Write the group's requests in one transaction and answer them; a refused row
        splits the group in halves, then its own request's rows (_isolate)."""
        rows = [row for request, _, _ in group for row in request]
        try:
            new = self._store.write(rows, [item for _, encoded, _ in group for item in encoded])
        except RowRefused as refused:
            if len(group) > 1:
                half = len(group) // 2
                self._commit(group[:half])
                self._commit(group[half:])
                return
            request, encoded, done = group[0]
            try:
                _answer(done, self._split(request, encoded, refused))
            except Exception as exc:
                _fail(done, exc)
            return
        except Exception as exc:  # every waiting request gets the store's failure
            for _, _, done in group:
                _fail(done, exc)
            return
        start = 0
        for request, _, done in group:
            _answer(done, new[start : start + len(request)])
            start += len(request)
        self._after_commit(rows, new)

    def _split(self, rows: list[Row], encoded: list[Any], refused: RowRefused) -> list[Outcome]:
        """The outcomes of rows the database refused together: a row alone is Refused; more
        are written again in halves (a few transactions for a few bad rows among many)."""
        if len(rows) == 1:
            return [Refused(str(refused))]
        half = len(rows) // 2
        return self._isolate(rows[:half], encoded[:half]) + self._isolate(rows[half:], encoded[half:])

    def _isolate(self, rows: list[Row], encoded: list[Any]) -> list[Outcome]:
        try:
            new = self._store.write(rows, encoded)
        except RowRefused as refused:
            return self._split(rows, encoded, refused)
        self._after_commit(rows, new)
        return list(new)

    def _after_commit(self, rows: list[Row], new: list[bool]) -> None:
        """The after-commit step on the committed rows it counts (not the quarantined)."""
        if self._after is None:
            return
        counted = [(row, is_new) for row, is_new in zip(rows, new, strict=True) if QUARANTINE not in row]
        try:
            self._after([row for row, _ in counted], [is_new for _, is_new in counted])
        except Exception:  # counters are best effort: storing succeeded
            log.exception("after-commit step failed")
