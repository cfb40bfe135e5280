"""What `bizstats serve` says (logger `bizstats.serve`, on stderr): what it serves when it
starts, one line per request, and when it stops; as text, or as JSON lines
(`--log-format json`) for a log shipper (an ELK stack: Filebeat or Logstash
read one object per line).

A request's line: method, path, status, milliseconds, the read key's id (`-` without one) and
the request id of a failure. Never a secret: the path only — no query string (a collector's
`?key=` or anything a client put there), no header, no body; a key's id is the public part of
`bzs_<id>_<secret>`. The server's error lines (logger `bizstats.web`: the details behind a
request id) go to the same stream in the same format.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORMATS = ("text", "json")
FORMAT_ENV = "BIZSTATS_SERVE_LOG_FORMAT"  # read by the workers of `serve --workers N`
KEY_ID = "bizstats_key_id"  # where the key check leaves the key's id in the request's state
log = logging.getLogger("bizstats.serve")


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure(log_format: str) -> None:
    """Send `bizstats.serve` (INFO) and `bizstats.web` (its errors) to stderr in `log_format`."""
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r}: use one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    for name in ("bizstats.serve", "bizstats.web"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def say(message: str, **fields: Any) -> None:
    """An INFO line of `serve` (its fields: the JSON line's, beside the message)."""
    log.info(message, extra={"fields": fields})


class RequestLog:
    """ASGI middleware: one line per HTTP request once it is answered (or has failed), and
    `count(path, status)` of each (the answers counter of /metrics)."""

    def __init__(self, app: ASGIApp, count: Callable[[str, int], None]) -> None:
        self.app = app
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        state = scope.setdefault("state", {})
        answer: dict[str, Any] = {"status": 500, "request_id": None}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == b"x-request-id":
                        answer["request_id"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.count(scope["path"], answer["status"])
            if log.isEnabledFor(logging.INFO):
                _log_request(scope, answer, state.get(KEY_ID), round((time.perf_counter() - began) * 1000, 1))


def _log_request(scope: Scope, answer: dict[str, Any], key_id: str | None, ms: float) -> None:
    method, path, status, rid = scope["method"], scope["path"], answer["status"], answer["request_id"]
    fields = {"method": method, "path": path, "status": status, "ms": ms, "key_id": key_id, "request_id": rid}
    said = f" request {rid}" if rid else ""
    say(f"{method} {path} {status} {ms} ms key={key_id or '-'}{said}", **fields)
