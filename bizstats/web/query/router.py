"""The query API's routes: GET /api/stats/{daily,hourly,weekly,monthly,breakdowns,user-types},
GET /api/stats/realtime (the collector's real-time counters), GET /api/metrics (the
catalogue) and GET /api/quality (the data-quality board), each behind a read API key
(bizstats.web.query.access.ReadAccess).

A request the API refuses is a 400 saying why; a warehouse (or Redis) that cannot be read is a
503 with a generic reason and a request id, the details only in the server's log
(bizstats.web.failures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

import orjson
import redis
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.local_time import local_today
from bizstats.metrics_catalog import CatalogSource
from bizstats.project_vars import project_vars
from bizstats.realtime.counters import CounterReader
from bizstats.settings import settings
from bizstats.warehouse_id import read_warehouse_id
from bizstats.web.failures import REQUEST_ID_HEADER, RETRY_AFTER, failed, public_detail, warehouse_reason
from bizstats.web.query.access import ReadAccess
from bizstats.web.query.cache import QueryCache
from bizstats.web.query.dimensions import DimensionSource
from bizstats.web.query.grains import GRAINS, Grain
from bizstats.web.query.params import DEFAULT_SIZE, MAX_PAGE, MAX_SIZE, BadRequest, parse_query
from bizstats.web.query.quality import read_quality
from bizstats.web.query.readers import Reader, control_reader, make_reader
from bizstats.web.query.stats import run_stats

_START = "first local day (UTC+8), YYYY-MM-DD; default: 30 days before end"
_END = "last local day, YYYY-MM-DD; default: yesterday"
_CHOICE = "comma list of values, `*` for every one; default `all` (the rollup row)"
_METRICS = "comma list of metric columns (GET /api/metrics); default: every one"
T = TypeVar("T")  # what a route's work returns
ID_SECONDS = 5.0  # how long the API trusts the warehouse id it read (a warehouse made anew)


class Unavailable(Exception):
    """Something the answer needs cannot be read now (503): the public reason; the details
    are in the exception it chains."""


@dataclass
class QueryService:
    """What the routes share: the readers (the marts', the bookkeeping's: the same one but on
    Spark), the cache, the catalogue, the key check."""

    target: Target
    reader: Reader
    cache: QueryCache | None
    catalog: CatalogSource
    dimensions: DimensionSource
    utc_offset_hours: int
    first_day: date  # the first local day the warehouse can hold (BIZSTATS_MIN_DATETIME)
    control: Reader | None = None  # the bookkeeping's reader; None: `reader`
    _warehouse: tuple[float, str | None] = (float("-inf"), None)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_target(cls, target: Target) -> QueryService:
        reader = make_reader(target)
        return cls(
            target, reader, QueryCache.from_env(), CatalogSource(),
            DimensionSource(), project_vars().utc_offset_hours, settings().load.window.earliest.date(),
            control_reader(target, reader),
        )

    @property
    def bookkeeping(self) -> Reader:
        """The reader of the warehouse id, the builds log and the alerts."""
        return self.control or self.reader

    def today(self) -> date:
        """Today in the statistics time zone (bizstats.local_time)."""
        return local_today(offset=self.utc_offset_hours)

    def warehouse(self) -> str | None:
        """The id of the warehouse read (the cache's namespace; None: not cached), re-read
        every ID_SECONDS."""
        read_at, known = self._warehouse
        if time.monotonic() - read_at < ID_SECONDS:
            return known
        control = self.bookkeeping
        known = read_warehouse_id(control.fetch, control.target)
        with self._lock:
            self._warehouse = (time.monotonic(), known)
        return known


def _json(body: bytes, cache: str | None = None) -> Response:
    """The answer; `X-Cache: hit|miss` only when a cache is configured."""
    headers = {"X-Cache": cache} if cache else None
    return Response(content=body, media_type="application/json", headers=headers)


def _dump(data: Any) -> bytes:
    return orjson.dumps(data)


def query_router(target: Target, access: ReadAccess, realtime: CounterReader) -> APIRouter:
    """The routes over `target` (its services are made on the first request), behind
    `access`; `realtime` reads the collector's counters."""
    router = APIRouter(tags=["query"])
    holder: list[QueryService] = []

    def service() -> QueryService:
        if not holder:
            holder.append(QueryService.for_target(target))
        return holder[0]

    reads = [Depends(access)]

    def answer(request: Request, work: Callable[[], T]) -> T:
        try:
            return work()
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        except (BizstatsError, Unavailable) as exc:
            reason = str(exc) if isinstance(exc, Unavailable) else warehouse_reason(exc)
            rid = failed(f"{request.method} {request.url.path}", exc.__cause__ or exc)
            headers = {REQUEST_ID_HEADER: rid, "Retry-After": str(RETRY_AFTER)}
            raise HTTPException(503, public_detail(reason, rid), headers=headers) from None

    def add_stats_route(grain: Grain) -> None:
        def stats(
            request: Request,
            start: Annotated[str | None, Query(description=_START)] = None,
            end: Annotated[str | None, Query(description=_END)] = None,
            channel: Annotated[str | None, Query(description=_CHOICE)] = None,
            device_type: Annotated[str | None, Query(description=_CHOICE)] = None,
            metrics: Annotated[str | None, Query(description=_METRICS)] = None,
            dimension: Annotated[str | None, Query(description="breakdowns only: comma list")] = None,
            page: Annotated[int, Query(description=f"1, 2, ... (at most {MAX_PAGE}): see next_page")] = 1,
            size: Annotated[int, Query(description=f"rows per page, at most {MAX_SIZE}")] = DEFAULT_SIZE,
        ) -> Response:
            def work() -> Response:
                svc = service()
                query = parse_query(
                    grain, svc.catalog.get().metrics(grain.mart), svc.dimensions.get(), svc.today(),
                    start=start, end=end, channel=channel, device_type=device_type, metrics=metrics,
                    dimension=dimension, page=page, size=size, first_day=svc.first_day,
                )
                warehouse = svc.warehouse() if svc.cache else None
                if svc.cache is None:
                    return _json(_dump(run_stats(svc.reader, query, svc.utc_offset_hours)))
                if warehouse is None:
                    return _json(_dump(run_stats(svc.reader, query, svc.utc_offset_hours)), "miss")
                key = svc.cache.answer_key(warehouse, query.cache_key())
                body, epoch = svc.cache.lookup(warehouse, key)
                if body is not None:
                    return _json(body, "hit")
                body = _dump(run_stats(svc.reader, query, svc.utc_offset_hours))
                if epoch is not None:
                    svc.cache.store(warehouse, key, body, grain.days_used(query.start, query.end), epoch)
                return _json(body, "miss")

            return answer(request, work)

        stats.__doc__ = (
            f"Rows of `{grain.mart}` for the local days [start, end] (at most {grain.max_days} days), "
            f"page by page (size at most {MAX_SIZE}). Money as exact decimal strings."
        )
        router.add_api_route(
            f"/api/stats/{grain.name}", stats, methods=["GET"], name=f"stats_{grain.name}", dependencies=reads
        )

    for grain in GRAINS.values():
        add_stats_route(grain)

    @router.get("/api/stats/realtime", dependencies=reads)
    def realtime_counters(
        request: Request,
        day: Annotated[date | None, Query(alias="date", description="local day; default today")] = None,
    ) -> dict[str, Any]:
        """Today's (or `date`'s, local) real-time counters of the collector, from Redis: the
        registry's event counters (pv, uv, ...) and the business counters (member purchases,
        credit orders, member deductions), the day's total and by slice; `counters` says
        what each field is."""

        def work() -> dict[str, Any]:
            if realtime.client is None:
                raise Unavailable("real-time counters are off: the server has no BIZSTATS_REDIS_URL")
            try:
                return realtime.read(day)
            except redis.RedisError as exc:
                raise Unavailable("the real-time counters cannot be read right now") from exc

        return answer(request, work)

    @router.get("/api/metrics", dependencies=reads)
    def metrics(request: Request) -> dict[str, Any]:
        """The metric catalogue (the registry of dbt_project.yml: labels zh/en, unit, format,
        kind, additivity, funnel step; the definition from the docs site) of each grain, and
        the channels, device types and breakdown dimensions (labels, values' names)."""
        svc = answer(request, service)
        catalog = answer(request, svc.catalog.get)
        dims = answer(request, svc.dimensions.get)
        return {
            "grains": {
                g.name: {"table": g.mart, "max_days": g.max_days, "keys": list(g.keys),
                         "metrics": [m.as_json() for m in catalog.metrics(g.mart)]}
                for g in GRAINS.values()
            },
            "channels": dims.channels,
            "device_types": dims.device_types,
            "breakdowns": {name: b.as_json() for name, b in dims.breakdowns.items()},
            "timezone": f"UTC{svc.utc_offset_hours:+d}",
            "today": svc.today().isoformat(),
            "max_page_size": MAX_SIZE,
        }

    @router.get("/api/quality", dependencies=reads)
    def quality(request: Request) -> dict[str, Any]:
        """The data-quality board: monitors, last build, cross-check error rate, data delay,
        alerts of the last 24 hours (empty parts named in `missing`)."""
        def work() -> dict[str, Any]:
            svc = service()
            return read_quality(svc.reader, datetime.now(UTC).replace(tzinfo=None), svc.bookkeeping)

        return answer(request, work)

    return router
