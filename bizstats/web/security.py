"""Hardening headers on every answer of the app (dashboard, query API, collector):

- Content-Security-Policy: scripts, styles, images and requests only from this origin; no
  inline script or style attribute (the dashboard's page holds none: its code and styles are
  static files), no plugin, no <base>, no framing (`frame-ancestors 'none'`);
- X-Frame-Options: DENY (browsers without frame-ancestors), X-Content-Type-Options: nosniff,
  Referrer-Policy: no-referrer (the dashboard's URL holds its filters).

The OpenAPI page (/docs) is FastAPI's Swagger UI page with its script, stylesheet and icon
served by us under DOCS_ASSETS from the files the fastapi-offline package ships (no CDN: it
works offline and behind a firewall); the page starts with one inline script, which its policy
allows by its SHA-256, nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import fastapi_offline
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
DOCS_ASSETS = "/docs/assets"  # Swagger UI's files, served from SWAGGER_FILES
SWAGGER_FILES = Path(fastapi_offline.__file__).resolve().parent / "static"


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
    """FastAPI's Swagger UI page over our own copy of its files, with a policy allowing its
    one inline script."""
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{title} - Swagger UI", oauth2_redirect_url=None,
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
    )
    body = bytes(page.body).decode()
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", body, flags=re.S)
    )
    policy = CSP.replace("script-src 'self'", f"script-src 'self' {hashes}")
    headers: dict[str, Any] = {"Content-Security-Policy": policy}
    return HTMLResponse(body, headers=headers)
