"""What the warehouse knows of the jobs and the monitors, as Prometheus gauges on GET /metrics
(监控告警): the scheduled jobs write `job_runs` and the checks `monitor_results`, but
export nothing to Prometheus themselves, and a Pushgateway would be one more service to run.
So whichever process answers a scrape reads the two tables — the latest row of each job and
of each monitor, two small indexed queries — at most once every CACHE_SECONDS.

- `bizstats_warehouse_readable`: 1 when the last read worked, else 0 (and no other gauge);
- `bizstats_job_last_success{job_name}` (1 success, 0 failed; `job` is the scrape job's label),
  `..._last_finished_timestamp_seconds`,
  `..._last_duration_seconds`: the latest finished run of each job (hourly, daily, ...);
- `bizstats_monitor_value{monitor}` (in the monitor's unit: `data_delay` minutes,
  `collection_success_rate` a fraction, ...), `bizstats_monitor_flagged{monitor}` (1: over its
  threshold), `bizstats_monitor_checked_timestamp_seconds{monitor}`: the latest result of
  each monitor (monitoring.yml).
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bizstats.db import qualified
from bizstats.ops.job_runs import TABLE as JOB_RUNS
from bizstats.web.query.quality import MONITORS
from bizstats.web.query.readers import Reader

CACHE_SECONDS = 10.0
log = logging.getLogger("bizstats.web")


def _epoch(value: datetime) -> float:
    """A naive UTC timestamp as Unix seconds."""
    return calendar.timegm(value.timetuple()) + value.microsecond / 1e6


class WarehouseGauges(Collector):
    """A prometheus_client collector of the gauges above, over the readers `reader()` makes:
    the marts' (monitor_results) and the bookkeeping's (job_runs; the same reader but on Spark,
    whose bookkeeping is in its control database)."""

    def __init__(self, reader: Callable[[], tuple[Reader, Reader]]) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._families: list[GaugeMetricFamily] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            if time.monotonic() - self._read_at >= CACHE_SECONDS:
                self._families = self._read()
                self._read_at = time.monotonic()
            families = self._families
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        readable = GaugeMetricFamily(
            "bizstats_warehouse_readable", "1: /metrics could read job_runs and monitor_results"
        )
        try:
            reader, control = self._reader()
            tables = reader.tables()
            kept = tables if control is reader else control.tables()
            families = [*self._jobs(control, kept), *self._monitors(reader, tables)]
        except Exception as exc:  # noqa: BLE001 - a scrape never fails because of the warehouse
            log.warning("/metrics: the warehouse's jobs and monitors cannot be read: %s", exc)
            readable.add_metric([], 0)
            return [readable]
        readable.add_metric([], 1)
        return [readable, *families]

    @staticmethod
    def _table(reader: Reader, name: str) -> str:
        return qualified(reader.target, reader.target.models_schema, name)

    def _jobs(self, reader: Reader, tables: set[str]) -> list[GaugeMetricFamily]:
        success = GaugeMetricFamily(
            "bizstats_job_last_success", "Latest finished run: 1 success, 0 failed", labels=["job_name"]
        )
        finished = GaugeMetricFamily(
            "bizstats_job_last_finished_timestamp_seconds",
            "When the latest finished run ended (Unix time)",
            labels=["job_name"],
        )
        duration = GaugeMetricFamily(
            "bizstats_job_last_duration_seconds", "How long the latest finished run took", labels=["job_name"]
        )
        if JOB_RUNS in tables:
            table = self._table(reader, JOB_RUNS)
            rows = reader.fetch(
                f"select runs.job, runs.outcome, runs.finished_at, runs.duration_seconds from {table} runs "
                f"join (select job, max(finished_at) as finished_at from {table} "
                "where finished_at is not null group by job) latest "
                "on latest.job = runs.job and latest.finished_at = runs.finished_at order by runs.job"
            )
            for job, outcome, ended, seconds in rows:
                success.add_metric([job], 1 if outcome == "success" else 0)
                finished.add_metric([job], _epoch(ended))
                duration.add_metric([job], float(seconds or 0))
        return [success, finished, duration]

    def _monitors(self, reader: Reader, tables: set[str]) -> list[GaugeMetricFamily]:
        value = GaugeMetricFamily(
            "bizstats_monitor_value", "Latest value of each monitor, in its unit", labels=["monitor"]
        )
        flagged = GaugeMetricFamily(
            "bizstats_monitor_flagged", "1: the latest value is over its threshold", labels=["monitor"]
        )
        checked = GaugeMetricFamily(
            "bizstats_monitor_checked_timestamp_seconds",
            "When each monitor was last checked (Unix time)",
            labels=["monitor"],
        )
        if MONITORS in tables:
            table = self._table(reader, MONITORS)
            rows = reader.fetch(
                f"select results.monitor_name, results.actual, results.flagged, results.checked_at "
                f"from {table} results join (select monitor_name, max(checked_at) as checked_at "
                f"from {table} group by monitor_name) latest on latest.monitor_name = results.monitor_name "
                "and latest.checked_at = results.checked_at order by results.monitor_name"
            )
            for name, actual, over, at in rows:
                if actual is not None:
                    value.add_metric([name], float(actual))
                flagged.add_metric([name], 1 if over else 0)
                checked.add_metric([name], _epoch(at))
        return [value, flagged, checked]
