"""The query API's access log (审计日志, its HTTP side): one JSON line per request to the
query API — time (UTC), the read key's id (never the secret), method, route, query
parameters (a credential-named one masked), status, milliseconds — in a rotating file
(BIZSTATS_ACCESS_LOG, default logs/access.log of the current folder; rotated at
BIZSTATS_ACCESS_LOG_MAX_BYTES, BIZSTATS_ACCESS_LOG_BACKUPS files kept). The collector's
routes (`/api/report...`) are not the query API and are not logged here (their `?key=` is a
site key). With `serve --workers N` each process appends to the same file; rotation is per
process (RotatingFileHandler), so size limits are approximate."""

from __future__ import annotations

import logging
import logging.handlers
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bizstats.errors import BizstatsError
from bizstats.redact import MASK, secret_name
from bizstats.web.serving_log import KEY_ID

PATH_ENV, MAX_BYTES_ENV, BACKUPS_ENV = (
    "BIZSTATS_ACCESS_LOG", "BIZSTATS_ACCESS_LOG_MAX_BYTES", "BIZSTATS_ACCESS_LOG_BACKUPS")
COLLECTOR_PREFIX = "/api/report"


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise BizstatsError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class AccessLogSettings:
    """Where the access log goes and how it rotates."""

    path: Path
    max_bytes: int
    backups: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AccessLogSettings:
        raw = env.get(PATH_ENV, "").strip() or "logs/access.log"
        path = Path(raw).resolve()
        if path.is_dir():
            raise BizstatsError(f"{PATH_ENV}={raw!r} is a folder: name the log file itself")
        return cls(
            path=path,
            max_bytes=_whole(env, MAX_BYTES_ENV, 10 * 1024 * 1024, 1024, 10**12),
            backups=_whole(env, BACKUPS_ENV, 5, 1, 1000),
        )


def access_logger(settings: AccessLogSettings) -> logging.Logger:
    """The logger writing `settings.path` (one handler per file, made once)."""
    logger = logging.getLogger(f"bizstats.access.{settings.path}")
    if not logger.handlers:
        settings.path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            settings.path, maxBytes=settings.max_bytes, backupCount=settings.backups, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def parameters(query_string: bytes) -> dict[str, str]:
    """A request's query parameters as logged: a credential-named one (key, token, ...) masked."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return {name: MASK if secret_name(name) else value for name, value in pairs}


class AccessLog:
    """ASGI middleware: the access log line of each query API request once it is answered."""

    def __init__(self, app: ASGIApp, settings: AccessLogSettings) -> None:
        self.app = app
        self.log = access_logger(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path.startswith(COLLECTOR_PREFIX):
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        state = scope.setdefault("state", {})
        answer: dict[str, Any] = {"status": 500}

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            self.log.info(orjson.dumps({
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "key_id": state.get(KEY_ID),
                "method": scope["method"],
                "route": path,
                "params": parameters(scope.get("query_string", b"")),
                "status": answer["status"],
                "ms": round((time.perf_counter() - began) * 1000, 1),
            }).decode())
