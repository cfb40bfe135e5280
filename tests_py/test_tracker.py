"""tracker.js in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)
against the real collector and MariaDB: page views, an SPA navigation, a leave with its
duration, and events made offline that arrive once the network is back, each stored once."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time

import pytest

from bizstats.db import connect, ensure_raw_tables, fetch_all
from tests_py.support.collector import live_app
from tests_py.support.network import free_port
from tests_py.support.services import require_chromium

PAGE = """<!doctype html><html><head><title>Shop</title>
<script async src="{collector}/tracker.js" data-key="pk_web" data-channel="h5" data-interval="300"></script>
</head><body>shop</body></html>"""


@pytest.fixture
def pages(tmp_path):
    """A site on another origin than the collector, serving the test page."""
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{port}"
    server.shutdown()


def _events(target) -> list[tuple]:
    columns = "event_type, page_url, extra_data, channel, event_id"
    with connect(target) as con:
        return fetch_all(con, f"select {columns} from `{target.raw_schema}`.event_logs order by id")


def _wait_for(target, count: int, seconds: float = 15) -> list[tuple]:
    deadline = time.monotonic() + seconds
    while len(rows := _events(target)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return rows


def test_tracker_in_chromium(mysql_target, pages, monkeypatch):
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    folder, site = pages
    ensure_raw_tables(mysql_target)
    monkeypatch.setenv("BIZSTATS_COLLECT_SITES", f"pk_web={site}")
    with live_app(mysql_target) as collector, sync_playwright() as pw:
        (folder / "shop.html").write_text(PAGE.format(collector=collector))
        browser = pw.chromium.launch(executable_path=chromium)
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{site}/shop.html")
        page.wait_for_function("window.bizstats !== undefined")
        assert [r[:2] for r in _wait_for(mysql_target, 1)] == [("page_view", "/shop.html")]
        # SPA route changes (pushState, replaceState, popstate): each leave carries the URL of
        # the page view it closes, not the new one
        page.evaluate("history.pushState({}, '', '/shop/cart')")
        assert len(_wait_for(mysql_target, 3)) == 3
        page.evaluate("history.replaceState({}, '', '/shop/cart?step=2')")
        assert len(_wait_for(mysql_target, 5)) == 5
        page.evaluate("history.back()")  # popstate: back to /shop.html
        rows = _wait_for(mysql_target, 7)
        assert [r[:2] for r in rows] == [
            ("page_view", "/shop.html"),
            ("page_leave", "/shop.html"), ("page_view", "/shop/cart"),
            ("page_leave", "/shop/cart"), ("page_view", "/shop/cart?step=2"),
            ("page_leave", "/shop/cart?step=2"), ("page_view", "/shop.html"),
        ]  # fmt: skip
        leaves = [json.loads(r[2])["page_view_id"] for r in rows if r[0] == "page_leave"]
        assert leaves == [rows[0][4], rows[2][4], rows[4][4]]  # each closes the view before it
        context.set_offline(True)
        page.evaluate("bizstats.track('user_login', {user_id: 'u1'})")
        time.sleep(1.5)  # a few failed attempts while offline
        assert len(_events(mysql_target)) == 7
        context.set_offline(False)  # the `online` event sends the waiting event
        assert _wait_for(mysql_target, 8)[7][0] == "user_login"
        time.sleep(1.0)
        page.goto("about:blank")  # pagehide: the leave goes by sendBeacon
        rows = _wait_for(mysql_target, 9)
        browser.close()
    assert [r[0] for r in rows[7:]] == ["user_login", "page_leave"]
    assert len({r[4] for r in rows}) == 9 and {r[3] for r in rows} == {"h5"}
    last_leave = json.loads(rows[8][2])
    assert (rows[8][1], last_leave["page_view_id"]) == ("/shop.html", rows[6][4])
    assert last_leave["duration_ms"] >= 2500
    time.sleep(0.5)
    assert len(_events(mysql_target)) == 9  # nothing sent twice
