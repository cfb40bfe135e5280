"""One alert to one channel with retries and backoff: the outcome as a `Delivery`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bizstats.alerts.config import Channel, RetryPolicy
from bizstats.alerts.model import StoredAlert
from bizstats.alerts.senders import SendError, send


@dataclass(frozen=True)
class Delivery:
    """How sending one alert to one channel ended (`error` is "" when it was delivered)."""

    alert_id: int
    channel: str
    channel_type: str
    ok: bool
    attempts: int
    error: str


def deliver(channel: Channel, stored: StoredAlert, retry: RetryPolicy) -> Delivery:
    """Try up to `retry.attempts` times, waiting backoff, 2 x backoff, ... in between."""
    error = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            send(channel, stored, retry.timeout_seconds)
        except SendError as exc:
            error = str(exc)
        else:
            return Delivery(stored.id, channel.name, channel.type, True, attempt, "")
        if attempt < retry.attempts:
            time.sleep(retry.backoff_seconds * 2 ** (attempt - 1))
    return Delivery(stored.id, channel.name, channel.type, False, retry.attempts, error)
