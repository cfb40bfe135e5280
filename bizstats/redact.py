"""The one way a URL or DSN is printed: with its password and secret-looking query values
replaced by `***`, so no command, log line or answer shows a credential
(`redis://user9:***@cache.internal:6379/0`). Every place that prints a setting holding a URL
(BIZSTATS_REDIS_URL, PREFECT_API_URL, webhook URLs) goes through `redact_url`, and free text
that may embed one (a driver's error message) through `redact_text`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# query parameters whose value is a credential (DingTalk's access_token, Feishu's sign, ...)
_SECRET_PARAM = re.compile(
    r"(?i)^(password|passwd|pwd|pass|secret|token|access_token|auth|key|api_key|apikey|sign|signature)$"
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def secret_name(name: str) -> bool:
    """Whether a parameter of this name holds a credential (its value is never shown)."""
    return bool(_SECRET_PARAM.match(name))


def _netloc(netloc: str) -> str:
    """`user:password@host` -> `user:***@host`; a lone `secret@host` (some schemes read it as
    the password) -> `***@host`."""
    if "@" not in netloc:
        return netloc
    userinfo, host = netloc.rsplit("@", 1)
    user, colon, _ = userinfo.partition(":")
    return f"{user}:{MASK}@{host}" if colon else f"{MASK}@{host}"


def _query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}={MASK}" if equals and _SECRET_PARAM.match(name) else pair)
    return "&".join(pairs)


def redact_url(url: str) -> str:
    """`url` as it may be printed: no password, no secret query value."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: mask anything before an @
        return re.sub(r"//[^/@\s]*@", f"//{MASK}@", url)
    redacted = urlunsplit(parts._replace(netloc=_netloc(parts.netloc), query=_query(parts.query)))
    if "://" in url and "://" not in redacted:  # urlunsplit drops the `//` of an empty host
        redacted = redacted.replace(":", "://", 1)
    return redacted


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted."""
    return _URL.sub(lambda match: redact_url(match.group(0)), text)
