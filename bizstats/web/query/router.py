"""The query API's routes: GET /api/stats/{daily,hourly,weekly,monthly,breakdowns,user-types},
GET /api/metrics (the catalogue) and GET /api/quality (the data-quality board), each behind a
read API key (`Authorization: Bearer bzs_...` or `X-API-Key: bzs_...`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.metrics_catalog import CatalogSource
from bizstats.project_vars import project_vars
from bizstats.web.cache import QueryCache
from bizstats.web.keys import ApiKey, KeyVerifier
from bizstats.web.query.dimensions import Dimensions, load_dimensions
from bizstats.web.query.grains import GRAINS, Grain
from bizstats.web.query.params import DEFAULT_SIZE, MAX_SIZE, BadRequest, parse_query
from bizstats.web.query.quality import read_quality
from bizstats.web.query.readers import Reader, make_reader
from bizstats.web.query.stats import run_stats

_bearer = HTTPBearer(auto_error=False, description="A read key: `bizstats keys create --name NAME`")
_START = "first local day (UTC+8), YYYY-MM-DD; default: 30 days before end"
_END = "last local day, YYYY-MM-DD; default: yesterday"
_CHOICE = "comma list of values, `*` for every one; default `all` (the rollup row)"
_METRICS = "comma list of metric columns (GET /api/metrics); default: every one"
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header")


@dataclass
class QueryService:
    """What the routes share: the reader, the cache, the catalogue, the key check."""

    target: Target
    reader: Reader
    cache: QueryCache | None
    catalog: CatalogSource
    dimensions: Dimensions
    keys: KeyVerifier
    utc_offset_hours: int

    @classmethod
    def for_target(cls, target: Target) -> QueryService:
        return cls(
            target, make_reader(target), QueryCache.from_env(target), CatalogSource(),
            load_dimensions(), KeyVerifier(target), project_vars().utc_offset_hours,
        )

    def today(self) -> date:
        return (datetime.now(UTC) + timedelta(hours=self.utc_offset_hours)).date()


def _json(body: bytes, cache: str) -> Response:
    return Response(content=body, media_type="application/json", headers={"X-Cache": cache})


def _dump(data: Any) -> bytes:
    return orjson.dumps(data)


def query_router(target: Target) -> APIRouter:
    """The routes over `target` (its services are made on the first request)."""
    router = APIRouter(tags=["query"])
    holder: list[QueryService] = []

    def service() -> QueryService:
        if not holder:
            holder.append(QueryService.for_target(target))
        return holder[0]

    async def reader_key(
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
    ) -> ApiKey:
        # async: a key checked in the last minute costs no trip to a worker thread; only a
        # lookup in the key store (a database) runs on one
        token = (bearer.credentials if bearer else None) or header
        if not token:
            raise HTTPException(401, "an API key is required: `Authorization: Bearer <key>` or `X-API-Key`")
        keys = (await run_in_threadpool(service)).keys if not holder else holder[0].keys
        known, key = keys.remembered(token)
        if not known:
            key = await run_in_threadpool(keys.verify, token)
        if key is None:
            raise HTTPException(401, "unknown or revoked API key")
        if key.scope != "read":
            raise HTTPException(403, f"this key's scope is {key.scope!r}: only read keys read the stats")
        return key

    reads = [Depends(reader_key)]

    def answer(work: Callable[[], Any]) -> Any:
        try:
            return work()
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from None
        except BizstatsError as exc:
            raise HTTPException(503, str(exc)) from None

    def add_stats_route(grain: Grain) -> None:
        def stats(
            start: Annotated[str | None, Query(description=_START)] = None,
            end: Annotated[str | None, Query(description=_END)] = None,
            channel: Annotated[str | None, Query(description=_CHOICE)] = None,
            device_type: Annotated[str | None, Query(description=_CHOICE)] = None,
            metrics: Annotated[str | None, Query(description=_METRICS)] = None,
            dimension: Annotated[str | None, Query(description="breakdowns only: comma list")] = None,
            page: Annotated[int, Query(description="1, 2, ...: see next_page")] = 1,
            size: Annotated[int, Query(description=f"rows per page, at most {MAX_SIZE}")] = DEFAULT_SIZE,
        ) -> Response:
            svc = service()

            def work() -> Response:
                query = parse_query(
                    grain, svc.catalog.get().metrics(grain.mart), svc.dimensions, svc.today(),
                    start=start, end=end, channel=channel, device_type=device_type, metrics=metrics,
                    dimension=dimension, page=page, size=size,
                )
                key = svc.cache.answer_key(query.cache_key()) if svc.cache else ""
                body, epoch = svc.cache.lookup(key) if svc.cache else (None, None)
                if body is not None:
                    return _json(body, "hit")
                body = _dump(run_stats(svc.reader, query, svc.utc_offset_hours))
                if svc.cache and epoch is not None:
                    svc.cache.store(key, body, grain.days_used(query.start, query.end), epoch)
                return _json(body, "miss")

            return answer(work)

        stats.__doc__ = (
            f"Rows of `{grain.mart}` for the local days [start, end] (at most {grain.max_days} days), "
            f"page by page (size at most {MAX_SIZE}). Money as exact decimal strings."
        )
        router.add_api_route(
            f"/api/stats/{grain.name}", stats, methods=["GET"], name=f"stats_{grain.name}", dependencies=reads
        )

    for grain in GRAINS.values():
        add_stats_route(grain)

    @router.get("/api/metrics", dependencies=reads)
    def metrics() -> dict[str, Any]:
        """The metric catalogue (from dbt's manifest: labels zh/en, unit, format, definition)
        of each grain, and the channels, device types and breakdown dimensions."""
        svc = service()
        catalog = answer(svc.catalog.get)
        dims = svc.dimensions
        return {
            "grains": {
                g.name: {"table": g.mart, "max_days": g.max_days, "keys": list(g.keys),
                         "metrics": [m.as_json() for m in catalog.metrics(g.mart)]}
                for g in GRAINS.values()
            },
            "channels": dims.channels,
            "device_types": dims.device_types,
            "breakdowns": dims.breakdowns,
            "timezone": f"UTC{svc.utc_offset_hours:+d}",
            "today": svc.today().isoformat(),
            "max_page_size": MAX_SIZE,
        }

    @router.get("/api/quality", dependencies=reads)
    def quality() -> dict[str, Any]:
        """The data-quality board: monitors, last build, cross-check error rate, data delay,
        alerts of the last 24 hours (empty parts named in `missing`)."""
        svc = service()
        return answer(lambda: read_quality(svc.reader, datetime.now(UTC).replace(tzinfo=None)))

    return router
