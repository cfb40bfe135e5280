"""The collector's settings, read from environment variables when the app is created."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bizstats.config import Target
from bizstats.errors import BizstatsError


def _int(name: str, default: int, low: int = 1) -> int:
    raw = os.environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < low:
        raise BizstatsError(f"{name} must be a whole number >= {low}, got {raw!r}")
    return int(raw)


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
    """

    sites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, bytes] = field(default_factory=dict)
    max_body_bytes: int = 1_048_576  # BIZSTATS_COLLECT_MAX_BODY: also the limit after gunzip
    max_batch: int = 500  # BIZSTATS_COLLECT_MAX_BATCH: events per batch request
    rate_per_second: int = 200  # BIZSTATS_COLLECT_RATE: requests per second per key
    rate_burst: int = 400  # BIZSTATS_COLLECT_BURST
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
        spool = os.environ.get("BIZSTATS_SPOOL_PATH")
        default_spool = target.duckdb_path.with_name(target.duckdb_path.name + ".spool")
        uv = os.environ.get("BIZSTATS_REALTIME_UV", "hll").strip().lower()
        if uv not in ("hll", "exact"):
            raise BizstatsError(f"BIZSTATS_REALTIME_UV must be hll or exact, got {uv!r}")
        proxies = os.environ.get("BIZSTATS_COLLECT_TRUSTED_PROXIES", "")
        pseudonym = os.environ.get("BIZSTATS_COLLECT_PSEUDONYM_KEY")
        return cls(
            sites=sites,
            sources=sources,
            max_body_bytes=_int("BIZSTATS_COLLECT_MAX_BODY", 1_048_576, 1024),
            max_batch=_int("BIZSTATS_COLLECT_MAX_BATCH", 500),
            rate_per_second=_int("BIZSTATS_COLLECT_RATE", 200),
            rate_burst=_int("BIZSTATS_COLLECT_BURST", 400),
            signature_max_age=_int("BIZSTATS_COLLECT_SIGNATURE_AGE", 300),
            trusted_proxies=tuple(p.strip() for p in proxies.split(",") if p.strip()),
            fernet_key=os.environ.get("BIZSTATS_COLLECT_FERNET_KEY") or None,
            pseudonym_key=pseudonym.encode() if pseudonym else None,
            spool_path=Path(spool).resolve() if spool else default_spool,
            redis_url=os.environ.get("BIZSTATS_REDIS_URL") or None,
            uv_exact=uv == "exact",
        )
