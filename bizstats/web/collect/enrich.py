"""What the collector adds to an event from its request: the client's IP address, the device
type from the user agent (when the client sent none) and whether the agent is a bot."""

from __future__ import annotations

import re

_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|headless|phantomjs|lighthouse|curl/|wget/|python-requests|"
    r"python-httpx|go-http-client|java/|okhttp|scrapy|facebookexternalhit|bingpreview",
    re.IGNORECASE,
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook|(android(?!.*mobile))", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|windows phone|micromessenger", re.IGNORECASE)
_PC = re.compile(r"windows nt|macintosh|x11|linux|cros", re.IGNORECASE)


def device_type(user_agent: str | None) -> str:
    """`pc` / `mobile` / `tablet` / `other` from a user agent (tablets before phones: an
    Android tablet's agent lacks `Mobile`)."""
    if not user_agent:
        return "other"
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    if _PC.search(user_agent):
        return "pc"
    return "other"


def is_bot(user_agent: str | None) -> bool:
    """A crawler, a headless browser or a scripting library's default agent."""
    return bool(user_agent and _BOT.search(user_agent))


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str | None:
    """The socket's address; when it is a trusted proxy, the last address of X-Forwarded-For
    that is not itself a trusted proxy (the one the proxy chain received the request from)."""
    if peer is None or peer not in trusted or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return hops[0] if hops else peer
