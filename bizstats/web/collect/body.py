"""A request's body within the size limit, gunzipped when sent compressed, as JSON."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from starlette.requests import Request


class BadBody(Exception):
    """The status (400, 413) and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The raw bytes as sent (what a signature covers); 413 beyond `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise BadBody(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadBody(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode(raw: bytes, content_encoding: str | None, limit: int) -> Any:
    """The JSON of the body; gzip (Content-Encoding: gzip, or gzip's magic bytes) is
    inflated up to `limit` bytes (a small bomb cannot blow up into memory)."""
    if (content_encoding or "").lower() == "gzip" or raw[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise BadBody(400, "body is not valid gzip") from None
        if len(raw) > limit or inflater.unconsumed_tail:
            raise BadBody(413, f"body larger than {limit} bytes once decompressed")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadBody(400, "body is not JSON") from None
