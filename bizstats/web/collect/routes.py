"""The collector's HTTP endpoints: POST /api/report, POST /api/report/batch, GET /metrics and
GET /tracker.js (its real-time counters are read through the query API, behind a read key:
GET /api/stats/realtime, bizstats.web.query.router).

Answers of a report request:
- 200 `{"stored": n, "new": [ids], "duplicates": [ids], "rejected": [{"index", "reason"}]}`:
  the events listed in `new` and `duplicates` are committed (a duplicate was stored before);
  `"quarantined": [ids]` when browser events older than the late-data horizon were stored in
  the quarantine table instead (bizstats.load.quarantine); an event the database itself refused
  (a constraint) is in `rejected`, the request's other events stored all the same;
- 400 bad JSON or gzip, 401 credentials, 413 body or batch too large, 422 every event refused
  (the reasons in `rejected`), 429 rate limit (Retry-After), 503 the database is unavailable
  (Retry-After; nothing of the request was stored; the body says so with a request id, the
  details are in the server's log only: bizstats.web.failures). Each is the app's one error
  body, `{"error": ..., "status": ...}` (the 422 with the fields of a 200 besides).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bizstats.load.collected.group_commit import QUARANTINE, Refused, StoreUnavailable
from bizstats.load.quarantine import quarantine_reason
from bizstats.privacy import SecretUnavailable
from bizstats.web.collect.auth import SOURCE_HEADER, Unauthorized, authenticate, origin_allowed
from bizstats.web.collect.body import BadBody, decode, read_body
from bizstats.web.collect.enrich import client_ip
from bizstats.web.collect.events import Rejected, parse_time, to_row
from bizstats.web.collect.ratelimit import RateLimiter
from bizstats.web.collect.service import Collector
from bizstats.web.failures import REQUEST_ID_HEADER, error_response, failed, public_detail

TRACKER = Path(__file__).resolve().parents[1] / "static" / "tracker.js"
RETRY_AFTER = 5  # seconds, when the database is unavailable


def _refuse(status: int, reason: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return error_response(status, reason, headers, **extra)


def _answer(body: dict[str, Any]) -> JSONResponse:
    """200 when an event was stored (or known, or held), else 422: every event refused."""
    if body["stored"] or body["duplicates"] or body.get("quarantined"):
        return JSONResponse(body)
    return _refuse(422, f"no event stored: all {len(body['rejected'])} refused (see rejected)", **body)


def collector_router(collector: Collector) -> APIRouter:
    """The router of one collector (started and closed with the app's lifespan)."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        collector.start()
        try:
            yield
        finally:
            collector.close()

    router = APIRouter(lifespan=lifespan)

    @router.post("/api/report", tags=["collector"])
    async def report(request: Request, key: str | None = None) -> Response:
        """One event (a behaviour or business event plus event_id, device_id, page_leave)."""
        return await _handle(collector, request, key, batch=False)

    @router.post("/api/report/batch", tags=["collector"])
    async def report_batch(request: Request, key: str | None = None) -> Response:
        """`{"sent_at": ..., "events": [...]}`: up to BIZSTATS_COLLECT_MAX_BATCH events."""
        return await _handle(collector, request, key, batch=True)

    @router.get("/metrics", tags=["operations"])
    def metrics() -> Response:
        """Prometheus metrics of the collector (of every worker process)."""
        return Response(collector.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/tracker.js", tags=["collector"])
    def tracker() -> FileResponse:
        """The browser tracker (docs/collecting.md)."""
        return FileResponse(
            TRACKER, media_type="application/javascript", headers={"Cache-Control": "public, max-age=300"}
        )

    return router


async def _handle(collector: Collector, request: Request, key: str | None, batch: bool) -> Response:
    began = time.perf_counter()
    endpoint = "batch" if batch else "single"
    response = await _report(collector, request, key, batch)
    origin = request.headers.get("origin")
    if origin and origin_allowed(collector.settings, key, origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    collector.metrics.latency.labels(endpoint).observe(time.perf_counter() - began)
    return response


async def _report(collector: Collector, request: Request, key: str | None, batch: bool) -> Response:
    """Rate limits: a browser request (or one failing to sign) is counted against its IP
    address, then its client (IP and device id), whatever its answer; only a request with
    events to store counts against its key's ceiling (an abuser's refused requests never
    use up the site's budget)."""
    settings, metrics = collector.settings, collector.metrics
    peer = request.client.host if request.client else None
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    signed = SOURCE_HEADER in request.headers
    if not signed and (limited := _limited(collector, collector.ip_limiter, f"{ip}")):
        return limited
    try:
        raw = await read_body(request, settings.max_body_bytes)
        caller = authenticate(settings, request.headers, key, raw)
    except BadBody as exc:
        metrics.rejected.labels("body_too_large" if exc.status == 413 else "bad_body").inc()
        collector.count("body_too_large" if exc.status == 413 else "bad_body")
        return _refuse(exc.status, str(exc))
    except Unauthorized as exc:
        if signed and (limited := _limited(collector, collector.ip_limiter, f"{ip}")):
            return limited
        metrics.rejected.labels("unauthorized").inc()
        collector.count("unauthorized")
        return _refuse(401, str(exc))
    try:
        body = decode(raw, request.headers.get("content-encoding"), settings.max_body_bytes)
        events, sent_at = _events(body, batch, settings.max_batch)
    except BadBody as exc:
        metrics.rejected.labels("too_many_events" if exc.status == 413 else "bad_body").inc()
        collector.count("too_many_events" if exc.status == 413 else "bad_body")
        return _refuse(exc.status, str(exc))
    client = _client(ip, events)
    if caller.browser and (limited := _limited(collector, collector.client_limiter, client, len(events))):
        return limited
    received = collector.received(sent_at, ip, request.headers.get("user-agent"), caller.browser)
    horizon = collector.quarantine_before(received.at)
    rows, indexes, rejected = [], [], []
    for index, event in enumerate(events):
        try:
            row = to_row(event, received, collector.scrubber)
        except Rejected as exc:
            rejected.append({"index": index, "reason": str(exc)})
            metrics.rejected.labels(_reason_label(str(exc))).inc()
            collector.count("invalid_event")
            continue
        except SecretUnavailable:  # the pseudonym secret lives in the database, which is down
            metrics.rejected.labels("store_unavailable").inc(len(events))
            collector.count("store_unavailable", len(events) - len(rejected))
            return _refuse(
                503, "events not stored: the database is unavailable", {"Retry-After": str(RETRY_AFTER)}
            )
        if caller.browser and row["event_time"] < horizon:  # a signed source is trusted
            row[QUARANTINE] = quarantine_reason(row["event_time"], settings.late_data_days)
        rows.append(row)
        indexes.append(index)
    metrics.received.inc(len(events))
    metrics.batch_size.observe(len(events))
    if not rows:
        return _answer({"stored": 0, "new": [], "duplicates": [], "rejected": rejected})
    if limited := _limited(collector, collector.limiter, caller.key, len(rows)):
        return limited
    assert collector.committer is not None
    try:
        outcomes = await collector.committer.store(rows)
    except StoreUnavailable as exc:
        metrics.rejected.labels("store_unavailable").inc(len(rows))
        collector.count("store_unavailable", len(rows))
        rid = failed(f"{request.method} {request.url.path}", exc)
        return _refuse(
            503, public_detail("events not stored: the database is unavailable", rid),
            {"Retry-After": str(RETRY_AFTER), REQUEST_ID_HEADER: rid},
        )
    fresh: list[str] = []
    repeated: list[str] = []
    held: list[str] = []
    for row, index, outcome in zip(rows, indexes, outcomes, strict=True):
        if isinstance(outcome, Refused):
            rejected.append({"index": index, "reason": outcome.reason})
            metrics.rejected.labels("database_refused").inc()
        elif QUARANTINE in row:
            held.append(row["event_id"])
        else:
            (fresh if outcome else repeated).append(row["event_id"])
    metrics.stored.inc(len(fresh))
    metrics.duplicates.inc(len(repeated))
    metrics.rejected.labels("quarantined").inc(len(held))
    refused_here = len(rows) - len(fresh) - len(repeated) - len(held)
    for kind, ids in (("stored", fresh), ("duplicate", repeated), ("quarantined", held)):
        collector.count(kind, len(ids))
    collector.count("database_refused", refused_here)
    answer: dict[str, Any] = {
        "stored": len(fresh), "new": fresh, "duplicates": repeated,
        "rejected": sorted(rejected, key=lambda r: r["index"]),
    }
    if held:
        answer["quarantined"] = held
    return _answer(answer)


def _limited(collector: Collector, limiter: RateLimiter, key: str, events: int = 1) -> Response | None:
    """A 429 when `key` has no request left in `limiter` (its token taken otherwise); its
    `events` are tallied as rate-limited (one: a request refused before its body was read)."""
    wait = limiter.wait_time(key)
    if not wait:
        return None
    collector.metrics.rejected.labels("rate_limited").inc()
    collector.count("rate_limited", events)
    return _refuse(429, "rate limit exceeded", {"Retry-After": str(max(1, round(wait + 0.5)))})


def _client(ip: str | None, events: list[Any]) -> str:
    """A browser client: its IP address and the device id of its first event, when any."""
    first = events[0] if events and isinstance(events[0], dict) else {}
    device = first.get("device_id")
    if isinstance(device, bool) or not isinstance(device, str | int):
        return f"{ip}"
    return f"{ip}|{str(device)[:100]}"


def _events(body: Any, batch: bool, max_batch: int) -> tuple[list[Any], datetime | None]:
    """The request's events and the client's send time."""
    if batch:
        if not isinstance(body, dict) or not isinstance(body.get("events"), list):
            raise BadBody(400, 'a batch is {"sent_at": ..., "events": [...]}')
        events = body["events"]
        if len(events) > max_batch:
            raise BadBody(413, f"{len(events)} events in one batch: at most {max_batch}")
    else:
        if not isinstance(body, dict):
            raise BadBody(400, "an event must be a JSON object")
        events = [body]
    sent = body.get("sent_at")
    try:
        return events, None if sent is None else parse_time(sent, "sent_at")
    except Rejected as exc:
        raise BadBody(400, str(exc)) from None


def _reason_label(reason: str) -> str:
    """A bounded metric label: the field the reason starts with."""
    first = reason.split(" ", 1)[0]
    return first if first.isidentifier() else "other"
