"""The collector's parts, started and stopped with the app: the store of the target (MySQL,
or the spool on DuckDB), the group-commit thread, the real-time counters' feeder, the rate
limiters, the privacy scrubber, the metrics and the collection tally."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from bizstats.config import Target
from bizstats.load.collected.group_commit import GroupCommitter, Store
from bizstats.load.collected.spool import SpoolStore, spool_path
from bizstats.load.collected.store_mysql import MySQLStore
from bizstats.load.collected.tally import Tally, writer_for
from bizstats.privacy import scrubber_for
from bizstats.project_vars import project_vars
from bizstats.realtime.counters import connect as redis_connect
from bizstats.realtime.feeder import CounterFeeder
from bizstats.settings import settings
from bizstats.web.collect.events import Received
from bizstats.web.collect.metrics import CollectorMetrics
from bizstats.web.collect.ratelimit import RateLimiter
from bizstats.web.collect.settings import CollectorSettings


def _store(target: Target) -> Store:
    if target.name == "mysql":
        return MySQLStore(target)
    return SpoolStore(spool_path(target))


class Collector:
    """Everything a report request needs; `start()` opens, `close()` drains and stops (and
    puts back the interpreter's switch interval `start()` lowered)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        # where collected events land: the warehouse, or on Spark its control database (a
        # build ingests that spool and publishes the rows to the lake)
        self.landing = target.control
        self.settings: CollectorSettings = settings().collector
        self.window = settings().load.window
        self.offset_hours = project_vars().utc_offset_hours
        self.metrics = CollectorMetrics()
        self.limiter = RateLimiter(self.settings.rate_per_second, self.settings.rate_burst)  # per key
        self.ip_limiter = RateLimiter(self.settings.ip_rate, self.settings.ip_burst)
        self.client_limiter = RateLimiter(self.settings.client_rate, self.settings.client_burst)
        self.scrubber = scrubber_for(self.landing, (self.settings.fernet_key, self.settings.pseudonym_key))
        self.redis = redis_connect(self.settings.redis_url) if self.settings.redis_url else None
        self.feeder: CounterFeeder | None = None
        self.committer: GroupCommitter | None = None
        self.tally: Tally | None = None  # what became of the events received, per local day
        self._switch_interval: float | None = None  # the interpreter's, before start()

    def start(self) -> None:
        # the group-commit thread waits on the database several times a commit; at Python's
        # default 5 ms switch interval each wait could cost it a whole interval before the
        # request thread hands the GIL back (measured: ~10 % of throughput at 8 clients);
        # close() puts the previous interval back
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        if self.redis is not None:
            self.feeder = CounterFeeder(
                self.redis, self.settings.uv_exact, self.offset_hours, self.metrics.realtime_report
            )
        after = self.feeder.after_commit if self.feeder else None
        self.committer = GroupCommitter(_store(self.landing), self.settings.max_group, after)
        spool = spool_path(self.landing) if self.landing.name == "duckdb" else None
        self.tally = Tally(writer_for(self.landing, spool), self.offset_hours)

    def count(self, outcome: str, events: int = 1) -> None:
        """Tally `events` received as `outcome` (bizstats.load.collected.tally.OUTCOMES)."""
        if self.tally is not None:
            self.tally.add(outcome, events)

    def close(self) -> None:
        if self.committer is not None:
            self.committer.close()
        if self.tally is not None:
            self.tally.close()
        if self.feeder is not None:
            self.feeder.close()
        if self.redis is not None:
            self.redis.close()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def quarantine_before(self, received_at: datetime) -> datetime:
        """Browser events dated before this are quarantined (the late-data horizon)."""
        return received_at - timedelta(days=self.settings.late_data_days)

    def received(
        self, sent_at: datetime | None, ip: str | None, user_agent: str | None, browser: bool
    ) -> Received:
        """The request's context: now, the client's clock error, the datetime window."""
        now = datetime.now(UTC).replace(tzinfo=None)
        earliest, latest = self.window.bounds(now)
        return Received(
            at=now,
            skew=now - sent_at if sent_at is not None else timedelta(0),
            ip=ip,
            user_agent=user_agent,
            browser=browser,
            earliest=datetime.fromisoformat(earliest),
            latest=datetime.fromisoformat(latest),
        )
