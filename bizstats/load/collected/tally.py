"""What the collector did with what it received, per local day (the input of 数据上报成功率,
the collection success rate): the tally the monitor `collection_success_rate` reads
(models/monitoring/monitor_results.sql).

Every event a request carried ends in exactly one outcome, so the events received on a day
are the sum of its outcomes. Delivered (counted for the rate): `stored` (new), `duplicate`
(its event_id was already stored: the event is there, a retry is not a failure) and
`quarantined` (kept in the quarantine table, bizstats.load.quarantine). Refused (counted against
it): `invalid_event` (the event broke the contract), `database_refused` (a constraint),
and whole requests — `bad_body`, `unauthorized`, `body_too_large`, `too_many_events`,
`rate_limited`, `store_unavailable` — as their events when they were read, else as one (a
request refused before its body was read).

The local day is the receive time's in the warehouse's time zone (dbt var
stats_utc_offset_hours). Each process keeps its counts in memory and adds them to the table
`<raw schema>.collect_daily_tally` (stat_date, outcome, delivered, events) every second and
when it stops, so any number of `serve --workers` add up: on MySQL/MariaDB directly (one
upsert per flush); on DuckDB, whose file the collector never opens, into the spool's table
`tally`, which `ingest_spool` (every build) copies into the warehouse. Counts not yet flushed
when a process is killed are lost (a second at most); a flush that fails keeps them for the
next.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from bizstats.config import Target
from bizstats.db import create_table, mysql_connect, qualified
from bizstats.load.collected.spool import open_spool
from bizstats.local_time import local_today
from bizstats.settings import settings

log = logging.getLogger("bizstats.collect")

TABLE = "collect_daily_tally"
DELIVERED = ("stored", "duplicate", "quarantined")
REFUSED = (
    "invalid_event", "database_refused", "bad_body", "unauthorized", "body_too_large",
    "too_many_events", "rate_limited", "store_unavailable",
)  # fmt: skip
OUTCOMES = DELIVERED + REFUSED
# name, DuckDB type, MySQL type
COLUMNS = (
    ("stat_date", "date", "date not null"),
    ("outcome", "varchar(30)", "varchar(30) not null"),
    ("delivered", "integer", "int not null"),
    ("events", "bigint", "bigint not null"),
)
FLUSH_SECONDS = 1.0

Counts = dict[tuple[date, str], int]


class TallyWriter(Protocol):
    def add(self, counts: Counts) -> None:
        """Add the counts to the stored tally (one transaction)."""

    def close(self) -> None: ...


class SpoolTally:
    """DuckDB: the tally in the collector's spool (SQLite serializes the workers' upserts)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._con: sqlite3.Connection | None = None

    def add(self, counts: Counts) -> None:
        if self._con is None:
            self._con = open_spool(self._path)
        con = self._con
        rows = [
            (day.isoformat(), outcome, int(outcome in DELIVERED), n) for (day, outcome), n in counts.items()
        ]
        try:
            con.execute("begin immediate")
            con.executemany(
                "insert into tally values (?, ?, ?, ?) on conflict (stat_date, outcome) "
                "do update set events = events + excluded.events",
                rows,
            )
            con.execute("commit")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                con.execute("rollback")
            self.close()
            raise

    def close(self) -> None:
        if self._con is not None:
            with contextlib.suppress(sqlite3.Error):
                self._con.close()
            self._con = None


class MySQLTally:
    """MySQL/MariaDB: the tally table of the raw schema, one upsert per flush."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._con: Any = None
        self._table = qualified(target, target.raw_schema, TABLE)

    def add(self, counts: Counts) -> None:
        if self._con is None:
            con = mysql_connect(settings().mysql)
            create_table(con.cursor(), self._target, self._target.raw_schema, TABLE, COLUMNS,
                         ["primary key (stat_date, outcome)"])  # fmt: skip
            con.commit()
            self._con = con
        try:
            self._con.cursor().executemany(
                f"insert into {self._table} values (%s, %s, %s, %s) "
                "on duplicate key update events = events + values(events)",
                [(day, outcome, int(outcome in DELIVERED), n) for (day, outcome), n in counts.items()],
            )
            self._con.commit()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._con is not None:
            with contextlib.suppress(Exception):
                self._con.close()
            self._con = None


def writer_for(target: Target, spool: Path | None) -> TallyWriter:
    if target.name == "mysql":
        return MySQLTally(target)
    assert spool is not None
    return SpoolTally(spool)


class Tally:
    """Counts outcomes in memory (any thread) and flushes them from a thread of its own."""

    def __init__(self, writer: TallyWriter, offset_hours: int, interval: float = FLUSH_SECONDS) -> None:
        self._writer, self._offset, self._interval = writer, offset_hours, interval
        self._counts: Counts = defaultdict(int)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bizstats-tally", daemon=True)
        self._thread.start()

    def add(self, outcome: str, events: int = 1) -> None:
        """`events` received now ended in `outcome` (one of OUTCOMES)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown collection outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
        if events <= 0:
            return
        day = local_today(offset=self._offset)
        with self._lock:
            self._counts[(day, outcome)] += events

    def flush(self) -> None:
        """Write the counts gathered so far; on failure they are kept for the next flush."""
        with self._lock:
            counts, self._counts = dict(self._counts), defaultdict(int)
        if not counts:
            return
        try:
            self._writer.add(counts)
        except Exception as exc:
            log.warning("collection tally not written (kept for the next flush): %s", exc)
            with self._lock:
                for key, n in counts.items():
                    self._counts[key] += n

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()
        self._writer.close()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()
