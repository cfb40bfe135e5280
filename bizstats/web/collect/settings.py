"""The collector's settings, read from environment variables when the app is created."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bizstats.config import Target, env_int, fernet_key, late_data_days, redis_url, trusted_proxies
from bizstats.errors import BizstatsError
from bizstats.load.collected.spool import spool_path


def _int(name: str, default: int, low: int = 1) -> int:
    return env_int(name, default, low, 1_000_000_000)


def _pairs(name: str) -> dict[str, str]:
    """`a=x;b=y` into {"a": "x", "b": "y"} (blanks around items ignored). A malformed item
    is named by its position (and name, when it has one), never echoed: the value may be a
    secret (BIZSTATS_COLLECT_SOURCES holds HMAC secrets)."""
    found: dict[str, str] = {}
    for number, item in enumerate(os.environ.get(name, "").split(";"), 1):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            named = f" ({key.strip()!r})" if sep and key.strip() else ""
            raise BizstatsError(
                f"{name}: item {number}{named} is not NAME=VALUE; items are separated by ';' "
                "(the item is not shown: it may hold a secret)"
            )
        found[key.strip()] = value.strip()
    return found


@dataclass(frozen=True)
class CollectorSettings:
    """What the collector accepts and from whom.

    - sites: public site key -> allowed browser origins (BIZSTATS_COLLECT_SITES,
      `key=https://a.example,https://b.example;key2=*`);
    - sources: back-end source -> HMAC secret (BIZSTATS_COLLECT_SOURCES, `orders=s3cret;...`);
    - rate limits (requests a second, token buckets of `burst` requests, per process): a
      browser request is counted against its IP address and its client (the IP address and
      the device id of its first event, when it has one) whatever the answer, and only a
      request with events to store against its site key's ceiling; a signed source against
      its own key.
    """

    sites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, bytes] = field(default_factory=dict)
    max_body_bytes: int = 1_048_576  # BIZSTATS_COLLECT_MAX_BODY: also the limit after gunzip
    max_batch: int = 500  # BIZSTATS_COLLECT_MAX_BATCH: events per batch request
    rate_per_second: int = 1000  # BIZSTATS_COLLECT_RATE: per site key or source (the ceiling)
    rate_burst: int = 2000  # BIZSTATS_COLLECT_BURST
    ip_rate: int = 50  # BIZSTATS_COLLECT_IP_RATE: browser requests per second per IP address
    ip_burst: int = 100  # BIZSTATS_COLLECT_IP_BURST
    client_rate: int = 10  # BIZSTATS_COLLECT_CLIENT_RATE: per IP address and device id
    client_burst: int = 40  # BIZSTATS_COLLECT_CLIENT_BURST
    late_data_days: int = 30  # BIZSTATS_LATE_DATA_DAYS: older browser events are quarantined
    signature_max_age: int = 300  # BIZSTATS_COLLECT_SIGNATURE_AGE: seconds either way
    trusted_proxies: tuple[str, ...] = ()  # BIZSTATS_COLLECT_TRUSTED_PROXIES: X-Forwarded-For
    fernet_key: str | None = None  # BIZSTATS_COLLECT_FERNET_KEY: encrypt found phone/id numbers
    pseudonym_key: bytes | None = None  # BIZSTATS_COLLECT_PSEUDONYM_KEY: keyed hash of user_id
    spool_path: Path | None = None  # DuckDB: BIZSTATS_SPOOL_PATH (default <db file>.spool)
    redis_url: str | None = None  # BIZSTATS_REDIS_URL (unset: no real-time counters)
    uv_exact: bool = False  # BIZSTATS_REALTIME_UV=exact: a set instead of a HyperLogLog
    max_group: int = 5000  # rows written by one group commit at most

    @classmethod
    def from_env(cls, target: Target) -> CollectorSettings:
        sites = {
            key: tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip())
            for key, origins in _pairs("BIZSTATS_COLLECT_SITES").items()
        }
        sources = {name: secret.encode() for name, secret in _pairs("BIZSTATS_COLLECT_SOURCES").items()}
        uv = os.environ.get("BIZSTATS_REALTIME_UV", "hll").strip().lower()
        if uv not in ("hll", "exact"):
            raise BizstatsError(f"BIZSTATS_REALTIME_UV must be hll or exact, got {uv!r}")
        pseudonym = os.environ.get("BIZSTATS_COLLECT_PSEUDONYM_KEY")
        return cls(
            sites=sites,
            sources=sources,
            max_body_bytes=_int("BIZSTATS_COLLECT_MAX_BODY", 1_048_576, 1024),
            max_batch=_int("BIZSTATS_COLLECT_MAX_BATCH", 500),
            rate_per_second=_int("BIZSTATS_COLLECT_RATE", 1000),
            rate_burst=_int("BIZSTATS_COLLECT_BURST", 2000),
            ip_rate=_int("BIZSTATS_COLLECT_IP_RATE", 50),
            ip_burst=_int("BIZSTATS_COLLECT_IP_BURST", 100),
            client_rate=_int("BIZSTATS_COLLECT_CLIENT_RATE", 10),
            client_burst=_int("BIZSTATS_COLLECT_CLIENT_BURST", 40),
            late_data_days=late_data_days(),
            signature_max_age=_int("BIZSTATS_COLLECT_SIGNATURE_AGE", 300),
            trusted_proxies=trusted_proxies(),
            fernet_key=fernet_key(),
            pseudonym_key=pseudonym.encode() if pseudonym else None,
            spool_path=spool_path(target),
            redis_url=redis_url(),
            uv_exact=uv == "exact",
        )
