"""Who may report: browsers with a public site key from an allowed origin, back-end sources
with an HMAC-SHA256 signature of `<timestamp>.<body>` under their secret.

Back-end request headers: `X-Bizstats-Source` (the source name), `X-Bizstats-Timestamp`
(unix seconds; older or newer than the allowed age by more than BIZSTATS_COLLECT_SIGNATURE_AGE
is refused, so a captured request cannot be replayed later), `X-Bizstats-Signature` (hex
digest of the body bytes as sent, gzip or not)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bizstats.client import sign
from bizstats.web.collect.settings import CollectorSettings

SOURCE_HEADER = "x-bizstats-source"
TIMESTAMP_HEADER = "x-bizstats-timestamp"
SIGNATURE_HEADER = "x-bizstats-signature"


class Unauthorized(Exception):
    """401: the reason."""


@dataclass(frozen=True)
class Caller:
    key: str  # `site:<key>` or `source:<name>`: the rate limit's key
    browser: bool


def authenticate(
    settings: CollectorSettings, headers: Mapping[str, str], site_key: str | None, body: bytes
) -> Caller:
    """The caller of a request, or Unauthorized."""
    source = headers.get(SOURCE_HEADER)
    if source is not None:
        return _backend(settings, headers, source, body)
    if not site_key:
        raise Unauthorized("missing credentials: a site key (?key=) or a signed source")
    if site_key not in settings.sites:
        raise Unauthorized("unknown site key")
    origin = headers.get("origin")
    if not origin_allowed(settings, site_key, origin):
        raise Unauthorized(f"origin {origin or '(none)'} is not allowed for this site key")
    return Caller(f"site:{site_key}", browser=True)


def origin_allowed(settings: CollectorSettings, site_key: str | None, origin: str | None) -> bool:
    """Whether a browser page at `origin` may report with `site_key` (and read the answer:
    the CORS header is sent on the same rule)."""
    origins = settings.sites.get(site_key or "", ())
    return "*" in origins or (origin or "").rstrip("/") in origins


def _backend(settings: CollectorSettings, headers: Mapping[str, str], source: str, body: bytes) -> Caller:
    secret = settings.sources.get(source)
    if secret is None:
        raise Unauthorized("unknown source")
    stamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not signature:  # "²" is a digit too
        raise Unauthorized("a signed request needs X-Bizstats-Timestamp and X-Bizstats-Signature")
    if abs(time.time() - int(stamp)) > settings.signature_max_age:
        raise Unauthorized("the request's timestamp is too old or too far ahead (replay?)")
    if not hmac.compare_digest(sign(secret, int(stamp), body), signature.lower()):
        raise Unauthorized("bad signature")
    return Caller(f"source:{source}", browser=False)
