"""The collector's Prometheus metrics (GET /metrics), in a registry of each app's own.

With `bizstats serve --workers N` the workers are separate processes: PROMETHEUS_MULTIPROC_DIR
(set by `serve`) makes prometheus_client keep every worker's values in files there, and
GET /metrics, whichever worker answers it, adds them up (prometheus_client's multiprocess
mode)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.registry import Collector

from bizstats.settings import settings

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class CollectorMetrics:
    """received, stored, duplicates, rejected by reason, latency, batch sizes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._added: list[Collector] = []
        r = self.registry
        self.received = Counter("bizstats_collect_events_received", "Events received", registry=r)
        self.stored = Counter("bizstats_collect_events_stored", "Events newly stored", registry=r)
        self.duplicates = Counter(
            "bizstats_collect_events_duplicate", "Events whose event_id was already stored", registry=r
        )
        self.rejected = Counter(
            "bizstats_collect_events_rejected", "Events or requests refused", ["reason"], registry=r
        )
        self.latency = Histogram(
            "bizstats_collect_request_seconds",
            "Request time, receive to acknowledgement",
            ["endpoint"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.batch_size = Histogram(
            "bizstats_collect_batch_events",
            "Events per request",
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
            registry=r,
        )
        self.answers = Counter(
            "bizstats_http_responses",
            "HTTP answers of the whole app by part (collect, query, other) and status class (2xx, 4xx, 5xx)",
            ["part", "status"],
            registry=r,
        )
        self.realtime_failed = Gauge(
            "bizstats_realtime_events_not_counted",
            "Stored events the Redis counters missed",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.realtime_lag = Gauge(
            "bizstats_realtime_lag_seconds",
            "Commit to counter update, last batch",
            registry=r,
            multiprocess_mode="livemax",
        )

    def realtime_report(self, failed: int, lag_seconds: float) -> None:
        """The counter feeder's state after each of its batches."""
        self.realtime_failed.set(failed)
        self.realtime_lag.set(lag_seconds)

    def count_answer(self, path: str, status: int) -> None:
        """One HTTP answer of the app (bizstats.web.serving_log.RequestLog counts each)."""
        part = "other"
        if path.startswith("/api/"):
            part = "collect" if path.startswith("/api/report") else "query"
        self.answers.labels(part, f"{status // 100}xx").inc()

    def add_collector(self, collector: Collector) -> None:
        """Serve `collector`'s metrics on GET /metrics too, read by the process answering (the
        warehouse's gauges, bizstats.web.warehouse_metrics: nothing to add up across workers)."""
        self.registry.register(collector)
        self._added.append(collector)

    def exposition(self) -> bytes:
        """The text of GET /metrics: this process's metrics, or every worker's added up."""
        if settings().internal.metrics_dir:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            for collector in self._added:
                registry.register(collector)
            return generate_latest(registry)
        return generate_latest(self.registry)
