"""The ASGI app of `bizstats serve`: the collector (POST /api/report...), the query API
(GET /api/stats/...) and the dashboard (/) are routers of this one FastAPI app, so they share
a process, its settings and its OpenAPI schema (/docs).

Every GET route serving data needs a read key (bizstats.web.query.access); `check_reads_need_a_key`
refuses to build an app where one does not. Every answer carries the hardening headers of
bizstats.web.security. Every error, whichever part of the app or Starlette refuses, is answered
with the one body of bizstats.web.failures.error_response; an unexpected exception is a 500
with a request id and nothing else, its traceback in the server's log. /docs is Swagger UI
served from files of the fastapi-offline package (bizstats.web.security.swagger_page): no CDN."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Mount

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.realtime.counters import CounterReader
from bizstats.settings import settings
from bizstats.web.access_log import AccessLog, AccessLogSettings
from bizstats.web.collect.routes import collector_router
from bizstats.web.collect.service import Collector
from bizstats.web.dashboard import add_dashboard
from bizstats.web.failures import REQUEST_ID_HEADER, crashed, error_response
from bizstats.web.query.access import PUBLIC, ReadAccess
from bizstats.web.query.readers import Reader, control_reader, make_reader
from bizstats.web.query.router import query_router
from bizstats.web.security import DOCS_ASSETS, HEADERS, SWAGGER_FILES, SecurityHeaders, swagger_page
from bizstats.web.serving_log import RequestLog, configure
from bizstats.web.warehouse_metrics import WarehouseGauges

OPENAPI_URL = "/openapi.json"
DESCRIPTION = (
    "Business statistics (bizstats) over one warehouse: the event collector (POST /api/report, "
    "/api/report/batch, /tracker.js), the query API (GET /api/stats/..., /api/metrics, "
    "/api/quality, behind a read key), the dashboard (/), these docs (/docs) and Prometheus "
    "metrics (/metrics). Every error answers `{\"error\": \"...\", \"status\": N}` "
    "(plus `request_id` when the server's log has the details)."
)


def create_app(target: Target) -> FastAPI:
    """The app serving the warehouse `target`."""
    app = FastAPI(
        title="bizstats",
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=None,  # served below, with a content security policy of its own
        redoc_url=None,
    )
    app.state.target = target
    app.add_middleware(SecurityHeaders)
    collector = Collector(target)
    # outermost of ours: it times, logs and counts what the others answer
    app.add_middleware(RequestLog, count=collector.metrics.count_answer)
    # each query API request, its key id (never the secret), to the rotating access log
    app.add_middleware(AccessLog, settings=AccessLogSettings.from_env(settings().environ))
    app.add_exception_handler(Exception, _crashed)
    app.add_exception_handler(StarletteHTTPException, _refused)
    app.add_exception_handler(RequestValidationError, _invalid)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return swagger_page(OPENAPI_URL, app.title)

    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_FILES), name="docs_assets")

    access = ReadAccess(target)
    counters = CounterReader(collector.redis, collector.settings.uv_exact, collector.offset_hours)
    collector.metrics.add_collector(WarehouseGauges(_first_reader(target)))
    app.include_router(collector_router(collector))
    app.include_router(query_router(target, access, counters))
    add_dashboard(app)
    check_reads_need_a_key(app, access)
    app.openapi = lambda: _openapi_with_our_errors(app)  # type: ignore[method-assign]
    return app


ERROR_SCHEMA = {
    "title": "Error",
    "description": "Every error answer of the app (bizstats.web.failures.error_response).",
    "type": "object",
    "required": ["error", "status"],
    "properties": {
        "error": {"type": "string", "description": "Why, in one line, and what to do"},
        "status": {"type": "integer", "description": "The HTTP status, again"},
        "request_id": {"type": "string", "description": "The id the server's log has the details under"},
    },
    "additionalProperties": True,
}


def _openapi_with_our_errors(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema with our error body instead of its validation error (`detail`): each
    operation's 422 and any other error status (`default`) answer ERROR_SCHEMA."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        schemas["Error"] = ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "Invalid request", "content": error}
                responses["default"] = {"description": "An error (any other status)", "content": error}
        app.openapi_schema = schema
    return app.openapi_schema


def _first_reader(target: Target) -> Callable[[], tuple[Reader, Reader]]:
    """A function making the readers of `target` (its marts', its bookkeeping's) when first
    called, then answering them."""
    made: list[tuple[Reader, Reader]] = []

    def reader() -> tuple[Reader, Reader]:
        if not made:
            marts = make_reader(target)
            made.append((marts, control_reader(target, marts)))
        return made[0]

    return reader


def served_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route and mount, those of included routers too (FastAPI 0.150 keeps an included
    router as one entry holding the original router; our routers add no prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from served_routes(included.routes)
        else:
            yield route


def check_reads_need_a_key(app: FastAPI, access: ReadAccess) -> None:
    """Every GET route and mount of `app` is in access.PUBLIC or depends on `access`."""
    for route in served_routes(app.routes):
        path = getattr(route, "path", "")
        if path in PUBLIC:
            continue
        if isinstance(route, Mount):
            raise RuntimeError(f"{path} is mounted without a read key and is not in PUBLIC")
        if "GET" not in (getattr(route, "methods", None) or ()):
            continue
        if not isinstance(route, APIRoute) or not any(
            dependency.call is access for dependency in route.dependant.dependencies
        ):
            raise RuntimeError(f"GET {path} serves data without a read key (bizstats.web.query.access)")


async def _crashed(request: Request, exc: Exception) -> JSONResponse:
    rid = crashed(f"{request.method} {request.url.path}", exc)
    return error_response(
        500, f"internal error: the server's log has the details (request id {rid})",
        {**HEADERS, REQUEST_ID_HEADER: rid},
    )


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    """Any HTTPException: ours (a reason), or Starlette's own for an unknown path or method."""
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path} (the endpoints are listed at /docs)"
    elif exc.status_code == 405 and message == "Method Not Allowed":
        allowed = next((v for k, v in (exc.headers or {}).items() if k.lower() == "allow"), "")
        message = f"{request.method} is not allowed on {request.url.path}: use {allowed}"
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's validation error: one line naming each parameter and what it must be."""
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{' '.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )
    return error_response(422, f"invalid request: {problems}")


TARGET_ENV = "BIZSTATS_SERVE_TARGET"  # the target of `bizstats serve --workers N`'s workers


def app_from_env() -> FastAPI:
    """The app of one worker process of `bizstats serve --workers N` (uvicorn's factory)."""
    internal = settings().internal
    configure(internal.serve_log_format)
    if internal.serve_target is None:
        raise BizstatsError(f"{TARGET_ENV} is not set: `bizstats serve --workers N` sets it for its workers")
    app = create_app(Target(internal.serve_target))
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Leave the ~120k objects of start-up (modules, the app) out of every later garbage
    collection of a serving process: a full collection walking them took ~57 ms, a pause
    each request waiting then sees (measured as the collector's p99)."""
    gc.collect()
    gc.freeze()
