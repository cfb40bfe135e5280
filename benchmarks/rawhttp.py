"""A minimal HTTP/1.1 client for the load benchmarks: one kept-alive connection per
concurrent sender, requests prepared as bytes beforehand. A general client (httpx) spent more
CPU per request than the servers measured, on the same two cores, and its time was counted
as theirs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of one request."""
    lines = [f"{method} {path} HTTP/1.1", "host: 127.0.0.1", f"content-length: {len(body)}",
             *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[bytes, bytes]:
    """Send one request, read its response: (status line, body); AssertionError unless 200."""
    writer.write(raw)
    status = await reader.readline()
    length = 0
    while (line := await reader.readline()) != b"\r\n":
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length)
    assert status.split()[1] == b"200", status + body
    return status, body


async def load(port: int, requests: Sequence[bytes], concurrency: int) -> tuple[float, list[float]]:
    """Send every request, `concurrency` at a time: (wall seconds, sorted latencies)."""
    todo = list(requests)
    latencies: list[float] = []

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while todo:
            raw = todo.pop()
            began = time.perf_counter()
            await exchange(reader, writer, raw)
            latencies.append(time.perf_counter() - began)
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.perf_counter() - began, sorted(latencies)
