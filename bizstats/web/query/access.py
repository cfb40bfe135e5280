"""Who may read: every GET route serving data (the stats, the catalogue, the quality board,
the real-time counters) depends on `ReadAccess`, the check of a read API key
(`Authorization: Bearer bzs_...` or `X-API-Key: bzs_...`). The app refuses to start if a GET
route is neither behind it nor in PUBLIC (bizstats.web.app.check_reads_need_a_key), so a new
data route cannot be served without a key by mistake."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.web.failures import REQUEST_ID_HEADER, RETRY_AFTER, failed, public_detail
from bizstats.web.query.keys import ApiKey, KeyVerifier
from bizstats.web.serving_log import KEY_ID

# GET paths anyone may fetch: liveness, the tracker script, the dashboard's static page and
# assets (it asks for a key before reading anything), the OpenAPI docs and their Swagger UI
# files, and the Prometheus metrics (operational figures only: requests, events stored /
# duplicated / refused by reason, latency; the latest job runs and monitors; no business
# figure, slice, id or setting).
PUBLIC = frozenset({
    "/healthz", "/tracker.js", "/", "/dashboard", "/metrics",
    "/docs", "/docs/assets", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
})

_bearer = HTTPBearer(auto_error=False, description="A read key: `bizstats keys create --name NAME`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header")


class ReadAccess:
    """The read-key check, a FastAPI dependency answering the key, or 401 (no key, unknown,
    revoked), 403 (a write key), 503 (the key store cannot be read)."""

    def __init__(self, target: Target) -> None:
        self.keys = KeyVerifier(target)

    async def __call__(
        self,
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
    ) -> ApiKey:
        # async: a key checked in the last few seconds costs no trip to a worker thread; only
        # a lookup in the key store (a database) runs on one
        token = (bearer.credentials if bearer else None) or header
        if not token:
            raise HTTPException(401, "an API key is required: `Authorization: Bearer <key>` or `X-API-Key`")
        known, key = self.keys.remembered(token)
        if not known:
            try:
                key = await run_in_threadpool(self.keys.verify, token)
            except BizstatsError as exc:
                rid = failed(f"the key check of {request.method} {request.url.path}", exc)
                raise HTTPException(
                    503, public_detail("the API keys cannot be checked right now", rid),
                    headers={REQUEST_ID_HEADER: rid, "Retry-After": str(RETRY_AFTER)},
                ) from None
        if key is None:
            raise HTTPException(401, "unknown or revoked API key")
        if key.scope != "read":
            raise HTTPException(403, f"this key's scope is {key.scope!r}: only read keys read the stats")
        setattr(request.state, KEY_ID, key.key_id)  # for the request's log line
        return key
