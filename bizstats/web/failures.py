"""What an HTTP client is told when a request fails on our side: a generic reason and a
request id, never the details. The details (the database's message, its host, schema or
warehouse path, SQL text, a traceback) go to the server's log under the same request id
(logger `bizstats.web`), where an operator finds them from the id a user reports.

- `failed(...)`: an expected failure (the database or Redis unavailable): logged as one line;
- `crashed(...)`: an unexpected exception (a bug): logged with its traceback, answered 500.

Every error answer of the app (collector, query API, dashboard, unknown path, wrong method,
validation, rate limit, key check, a bug) has one body, made by `error_response`:

    {"error": "<one line saying why and what to do>", "status": 401}

plus `"request_id"` when the server's log holds the details, and, for a report the collector
refused whole (422), its usual fields (`stored`, `new`, `duplicates`, `rejected`).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import duckdb
import pymysql
from starlette.responses import JSONResponse

log = logging.getLogger("bizstats.web")

REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER = 5  # seconds: what a 503 asks the client to wait
_UNREACHABLE = {1040, 2002, 2003, 2005, 2006, 2013}  # MySQL: server down, gone, full
_NOT_BUILT = {1049, 1146}  # MySQL: no such database / table


def request_id() -> str:
    return secrets.token_hex(8)


def failed(what: str, exc: BaseException) -> str:
    """Log an expected failure of `what` (e.g. "GET /api/stats/daily") with its details;
    the request id to answer with."""
    rid = request_id()
    log.error("request %s: %s failed: %s", rid, what, exc)
    return rid


def crashed(what: str, exc: BaseException) -> str:
    """Log an unexpected exception with its traceback; the request id to answer with."""
    rid = request_id()
    log.error("request %s: %s raised", rid, what, exc_info=exc)
    return rid


def warehouse_reason(exc: BaseException) -> str:
    """What a client may know of why the warehouse could not be read: unreachable, not built
    yet, or unavailable — from the driver's exception the error chains, nothing of its text."""
    cause = exc.__cause__ or exc
    if isinstance(cause, pymysql.err.InterfaceError):
        return "the warehouse's database is unreachable"
    if isinstance(cause, pymysql.err.MySQLError):
        code = cause.args[0] if cause.args and isinstance(cause.args[0], int) else 0
        if code in _UNREACHABLE:
            return "the warehouse's database is unreachable"
        if code in _NOT_BUILT:
            return "the warehouse has not been built yet"
    if isinstance(cause, duckdb.CatalogException):
        return "the warehouse has not been built yet"
    return "the warehouse cannot be read right now"


def public_detail(reason: str, rid: str) -> str:
    """The one line a client gets: the reason, what to do, the id to quote."""
    return f"{reason}; retry later (request id {rid})"


def error_body(status: int, message: str, request_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """The one shape of an error answer's body (see the module's doc)."""
    body: dict[str, Any] = {"error": message, "status": status}
    if request_id is not None:
        body["request_id"] = request_id
    return {**body, **extra}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An error answer: `error_body`, the request id (when `headers` has one) in it too."""
    rid = (headers or {}).get(REQUEST_ID_HEADER)
    return JSONResponse(error_body(status, message, rid, **extra), status_code=status, headers=headers)
