"""Hardening headers on every answer of the app (dashboard, query API, collector):

- Content-Security-Policy: scripts, styles, images and requests only from this origin; no
  inline script or style attribute (the dashboard's page holds none: its code and styles are
  static files), no plugin, no <base>, no framing (`frame-ancestors 'none'`);
- X-Frame-Options: DENY (browsers without frame-ancestors), X-Content-Type-Options: nosniff,
  Referrer-Policy: no-referrer (the dashboard's URL holds its filters).

The OpenAPI page (/docs) is FastAPI's Swagger UI, which loads its script and stylesheet from
cdn.jsdelivr.net and starts with one inline script: its policy allows that CDN and exactly
that script (by its SHA-256), nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_CDN = "https://cdn.jsdelivr.net"


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP answer (a route may set its own CSP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def swagger_page(openapi_url: str, title: str) -> HTMLResponse:
    """FastAPI's Swagger UI page with a policy allowing its CDN and its one inline script."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{title} - Swagger UI", oauth2_redirect_url=None
    )
    body = bytes(page.body).decode()
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", body, flags=re.S)
    )
    policy = CSP.replace("script-src 'self'", f"script-src 'self' {_CDN} {hashes}").replace(
        "style-src 'self'", f"style-src 'self' {_CDN}"
    ).replace("img-src 'self' data: blob:", "img-src 'self' data: blob: https://fastapi.tiangolo.com")
    headers: dict[str, Any] = {"Content-Security-Policy": policy}
    return HTMLResponse(body, headers=headers)
