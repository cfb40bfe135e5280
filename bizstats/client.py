"""The back-end SDK: business services (real-name approvals, card binds, purchases, orders,
deductions: the business events) send signed events to the collector.

    from bizstats.client import Client
    client = Client("https://stats.example.com", source="orders", secret=os.environ["SECRET"])
    client.send("order_create", user_id="10001", order_id="OD001", amount="299.00",
                pay_method="credit")

Each event gets a time-ordered id (UUIDv7) once, when it is made; every retry resends the same
ids, so a retry after a lost answer is counted once (the collector reports it as a duplicate).
Retries: connection errors, 429 and 5xx, up to `retries` times with exponential backoff and
jitter (a Retry-After is honoured). Only the standard library is used.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

_GZIP_ABOVE = 4096  # bytes: larger bodies are sent gzipped


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature of a request: hex HMAC-SHA256 of `<timestamp>.<body>` (the body as
    sent, gzipped or not), under the source's secret."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def uuid7() -> str:
    """A UUIDv7: 48 bits of Unix milliseconds, then random bits (RFC 9562), so ids of events
    made in order sort in order (a B-tree index takes them at its right edge)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10
    return str(uuid.UUID(int=value))


class CollectorError(Exception):
    """The collector refused the request (4xx other than 429) or stayed unavailable; `message`
    is the `error` of its answer (the app's one error body) or what went wrong on the way."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status, self.message = status, message


def _reason(text: str) -> str:
    """The `error` of an error body (`{"error": ..., "status": ...}`), else the text as sent."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    return body["error"] if isinstance(body, dict) and isinstance(body.get("error"), str) else text


def event(event_type: str, **fields: Any) -> dict[str, Any]:
    """An event with its id and time (UTC now) unless given; amounts as strings (exact)."""
    made: dict[str, Any] = {"event_id": fields.pop("event_id", None) or uuid7(), "event_type": event_type}
    now = datetime.now(UTC)
    made["timestamp"] = fields.pop("timestamp", None) or f"{now:%Y-%m-%d %H:%M:%S}"
    for name, value in fields.items():
        made[name] = str(value) if isinstance(value, Decimal) else value
    return made


class Client:
    """A signed connection to one collector, as one back-end source."""

    def __init__(
        self, url: str, source: str, secret: str, retries: int = 3, timeout: float = 5.0, backoff: float = 0.5
    ) -> None:
        self.url = url.rstrip("/") + "/api/report/batch"
        self.source, self._secret = source, secret.encode()
        self.retries, self.timeout, self.backoff = retries, timeout, backoff

    def send(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """Send one event (see `event`); the collector's answer."""
        return self.send_many([event(event_type, **fields)])

    def send_many(self, events: Iterable[dict[str, Any]]) -> dict[str, Any]:
        """Send events in one batch, retrying as described above; the collector's answer
        (`new`, `duplicates`, `rejected`). A refusal raises CollectorError."""
        events = list(events)
        for attempt in range(self.retries + 1):
            try:
                return self._post(events)
            except _Retry as retry:
                if attempt == self.retries:
                    raise CollectorError(retry.status, retry.message) from None
                pause = retry.after if retry.after is not None else self.backoff * 2**attempt
                time.sleep(pause * (0.5 + random.random()))  # jitter: retries do not align
        raise AssertionError("unreachable")

    def _post(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        now = datetime.now(UTC)
        body = json.dumps({"sent_at": now.isoformat(timespec="milliseconds"), "events": events}).encode()
        headers = {"Content-Type": "application/json"}
        if len(body) > _GZIP_ABOVE:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        stamp = int(time.time())
        headers.update({
            "X-Bizstats-Source": self.source,
            "X-Bizstats-Timestamp": str(stamp),
            "X-Bizstats-Signature": sign(self._secret, stamp, body),
        })  # fmt: skip
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            if exc.code == 429 or exc.code >= 500:
                after = exc.headers.get("Retry-After") or ""
                seconds = after.isascii() and after.isdigit() and len(after) <= 6
                raise _Retry(exc.code, _reason(text), float(after) if seconds else None) from None
            if exc.code == 422:  # every event refused: the answer says why, event by event
                refused: dict[str, Any] = json.loads(text)
                return refused
            raise CollectorError(exc.code, _reason(text)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise _Retry(None, str(exc), None) from None


class _Retry(Exception):
    def __init__(self, status: int | None, message: str, after: float | None) -> None:
        super().__init__(message)
        self.status, self.message, self.after = status, message, after
