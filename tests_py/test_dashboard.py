"""The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium with
fonts-wqy-microhei, driven by Playwright) loads `/` from `bizstats serve`'s app (uvicorn, in a
thread) over the hand-computed DuckDB warehouse, changes a filter, and the numbers shown equal
the API's and the mart's, under the app's Content-Security-Policy (no inline script or style)
with no violation reported by the browser, a chart's tooltip shown included. Screenshots
(desktop zh, phone en) are written into the test's folder (the path is printed) for a person
to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bizstats.metrics_catalog import docs_blocks, manifest_path
from bizstats.web.app import create_app
from bizstats.web.keys import create_key
from tests_py.conftest import require_chromium
from tests_py.test_collect_support import live_app
from tests_py.test_query_api import METRICS, built_warehouse, mart_rows

DAY = "2024-03-11"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_chromium()  # before building anything
    with pytest.MonkeyPatch.context() as env:
        w = built_warehouse("duckdb", tmp_path_factory, env)
        env.delenv("BIZSTATS_REDIS_URL", raising=False)  # no real-time counters: the empty state
        _, token = create_key(w.target, "browser")
        with live_app(w.target) as url:
            yield w, url, token


def _cards(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#kpis .card", "cs => Object.fromEntries(cs.map(c => [c.dataset.metric, c.dataset.value]))"
    )


# every CSP violation the page sees, as the browser reports it to the page
_WATCH_CSP = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def _watched_page(browser, viewport: dict, console: list[str]):
    page = browser.new_page(viewport=viewport)
    page.add_init_script(_WATCH_CSP)
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    return page


def _wait_loaded(page, **expected) -> None:
    page.wait_for_function(
        "e => { const l = document.body.dataset.loaded && JSON.parse(document.body.dataset.loaded);"
        " return l && Object.entries(e).every(([k, v]) => l[k] === v); }",
        arg=expected,
        timeout=30000,
    )


def test_dashboard_shows_the_api_and_mart_numbers(served, tmp_path):
    from playwright.sync_api import sync_playwright

    w, url, token = served
    with TestClient(create_app(w.target)) as client:
        api = client.get(
            "/api/stats/daily",
            params={"start": DAY, "end": DAY, "channel": "app"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["rows"][0]
    mart = {
        (r["channel"]): r
        for r in mart_rows(
            w.target,
            "daily_stats",
            ["stat_date", "channel", "device_type", *METRICS],
            f"stat_date = '{DAY}' and device_type = 'all' and channel in ('all', 'app')",
        )
    }
    descriptions = docs_blocks(json.loads(manifest_path().read_text()))  # the docs site's texts
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=["--no-sandbox"])
        console: list[str] = []
        page = _watched_page(browser, {"width": 1280, "height": 900}, console)
        served_page = page.goto(url + "/")
        policy = served_page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        page.fill("#key", token)
        page.click("#save-key")
        page.goto(f"{url}/?start=2024-03-01&end={DAY}&grain=daily&channel=all&device_type=all&metric=pv")
        _wait_loaded(page, channel="all", end=DAY)
        shown = _cards(page)
        assert shown == {m: str(mart["all"][m]) for m in METRICS}
        pv_card = page.locator('#kpis .card[data-metric="pv"]')
        assert pv_card.locator(".value").inner_text() == "1"
        assert pv_card.locator(".prev").inner_text() == "-85.7%"  # 1 vs 7 the day before
        assert pv_card.get_attribute("title") == descriptions["metric_pv"]  # the dbt docs' text
        money = page.locator('#kpis .card[data-metric="total_deduction"] .value').inner_text()
        assert money == "57.89"
        # the split table holds the day's slices of the chosen metric
        assert page.locator('#split-table td[data-slice="official|pc"]').get_attribute("data-value") == "0"
        assert "暂无实时计数" in page.locator("#realtime").inner_text()
        # the breakdown table names each dimension and value as the registry and the seed do
        row = '#breakdowns tr[data-dimension="member_deduction_status"][data-value="success"]'
        deduction = page.locator(f"{row} td")
        assert deduction.all_inner_texts()[:2] == ["会员扣费状态", "成功"]
        assert page.locator("#no-alerts").inner_text() == "无告警"
        # a chart's tooltip (ECharts draws it; under the policy, in the canvas)
        box = page.locator("#trend").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        page.screenshot(path=str(tmp_path / "dashboard-zh.png"), full_page=True)
        # a filter changed: the URL keeps it, the cards follow the API and the mart
        page.select_option("#channel", "app")
        _wait_loaded(page, channel="app")
        assert "channel=app" in page.url
        assert _cards(page) == {m: str(api[m]) for m in METRICS} == {m: str(mart["app"][m]) for m in METRICS}
        with page.expect_download() as download:
            page.click("#csv")
        csv_lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        assert csv_lines[0] == ",".join(["stat_date", "channel", "device_type", *METRICS])
        assert len(csv_lines) == 1 + 11 and csv_lines[-1].startswith(f"{DAY},app,all,")
        # a phone-sized screen, in English, from the shared link
        phone = _watched_page(browser, {"width": 390, "height": 844}, console)
        phone.goto(url + "/")
        phone.evaluate(f"localStorage.setItem('bizstats.apiKey', '{token}')")
        phone.goto(page.url.replace("lang=zh", "lang=en"))
        _wait_loaded(phone, channel="app", lang="en")
        assert phone.locator("h1").inner_text() == "Business statistics"
        assert _cards(phone) == _cards(page)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        phone.screenshot(path=str(tmp_path / "dashboard-en-phone.png"), full_page=True)
        assert page.evaluate("window.cspViolations") == [] and phone.evaluate("window.cspViolations") == []
        assert [line for line in console if "Content Security Policy" in line] == []
        browser.close()
    print(f"screenshots: {tmp_path}")
