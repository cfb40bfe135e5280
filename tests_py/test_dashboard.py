"""The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium with
fonts-wqy-microhei, driven by Playwright) loads `/` from `bizstats serve`'s app (uvicorn, in a
thread) over the hand-computed DuckDB warehouse (built 2024-03-01 .. 03-12, the checks run
once, two alerts raised, real-time counters in Redis for today), in Chinese and English, on a
1280 px desktop and a 390 px phone, under the app's Content-Security-Policy (no inline script
or style) with no violation reported by the browser.

It checks what a person meets: the numbers shown equal the API's and the mart's; the key
prompt shows alone and a refused key is said in the page's language; no raw identifier
reaches the page (every metric, dimension, value, monitor, status and alert name is a label
of the chosen language); a day after the newest day built says where the data ends; cards
never repeat a name; the funnel's steps are in order; amounts only where a dimension has one;
monitors carry their units; the real-time footer is in the page's language and the
warehouse's local time. Screenshots of every state go to
test-output/dashboard/<lang>-<desktop|phone>-<state>.png at the repository root (the folder
is printed) for a person to look at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bizstats.alerts import Alert, AlertConfig, raise_alerts
from bizstats.checks import run_checks
from bizstats.checks.labels import metric_label
from bizstats.metrics_catalog import docs_blocks, manifest_path
from bizstats.project_vars import project_vars
from bizstats.realtime.counters import add, connect
from bizstats.realtime.facts import Fact
from bizstats.web.app import create_app
from bizstats.web.query.keys import create_key
from tests_py.support.collector import live_app
from tests_py.support.marts import METRICS, mart_rows
from tests_py.support.services import (
    REALTIME_REDIS_URL,
    fresh_realtime_prefix,
    redis_up,
    require,
    require_chromium,
)
from tests_py.support.warehouse import built_warehouse

DAY = "2024-03-11"
LAST_BUILT = "2024-03-12"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "dashboard"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
LANGS = ("zh", "en")
REALTIME_PV = 3  # page views counted in Redis for today, app / mobile


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Any, str, str, dict[str, Any]]]:
    """(warehouse, base URL, read key, the API's catalogue) of the app over the built
    warehouse, the checks run once, with real-time counters and alerts."""
    require_chromium()  # before building anything
    require(redis_up(), "Redis")
    prefix = fresh_realtime_prefix()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BIZSTATS_REDIS_URL", REALTIME_REDIS_URL)
        env.setenv("BIZSTATS_REALTIME_PREFIX", prefix)
        w = built_warehouse("duckdb", tmp_path_factory, env)
        run = run_checks(w.target, date.fromisoformat(LAST_BUILT), date.fromisoformat(LAST_BUILT))
        delay = next(m for m in run.monitors if m.monitor == "data_delay")
        raise_alerts(w.target, [_outlier_alert(), delay.to_alert()], AlertConfig())
        client = connect(REALTIME_REDIS_URL)
        today = (datetime.now(UTC) + timedelta(hours=project_vars().utc_offset_hours)).date()
        add(client, [Fact(today, "app", "mobile", "pv", REALTIME_PV)], uv_exact=False)
        _, token = create_key(w.target, "browser")
        with TestClient(create_app(w.target)) as api:
            catalog = api.get("/api/metrics", headers={"Authorization": f"Bearer {token}"}).json()
        with live_app(w.target) as url:
            yield w, url, token, catalog
        for name in client.scan_iter(f"{prefix}:*"):
            client.delete(name)
        client.close()


def _outlier_alert() -> Alert:
    return Alert(
        check="outlier", severity="general", metric="pv", metric_label=metric_label("pv"), slice="app/all",
        stat_date=date.fromisoformat(DAY), actual=None, baseline=None, threshold="x3", advice="look",
    )


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=require_chromium(), args=["--no-sandbox"])
        yield chromium
        chromium.close()
    print(f"screenshots: {SHOTS}")


# every CSP violation the page sees, as the browser reports it to the page
_WATCH_CSP = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def _page(browser, screen: str, token: str | None = None, console: list[str] | None = None):
    """A new page of `screen`'s size watching CSP violations; with `token`, the key is in
    localStorage before the page's scripts run."""
    page = browser.new_page(viewport=SCREENS[screen])
    page.add_init_script(_WATCH_CSP)
    if token:
        page.add_init_script(f"localStorage.setItem('bizstats.apiKey', {json.dumps(token)})")
    if console is not None:
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    return page


def _wait_loaded(page, **expected) -> None:
    page.wait_for_function(
        "e => { const l = document.body.dataset.loaded && JSON.parse(document.body.dataset.loaded);"
        " return l && Object.entries(e).every(([k, v]) => l[k] === v); }",
        arg=expected,
        timeout=30000,
    )


def _shot(page, lang: str, screen: str, state: str) -> None:
    page.wait_for_timeout(200)  # ECharts' animations
    page.screenshot(path=str(SHOTS / f"{lang}-{screen}-{state}.png"), full_page=True)


def _words(page, lang: str) -> dict[str, str]:
    return page.evaluate(f"window.BIZSTATS_I18N.{lang}")


def _cards(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#kpis .card", "cs => Object.fromEntries(cs.map(c => [c.dataset.metric, c.dataset.value]))"
    )


def _texts(page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_inner_texts()]


def test_dashboard_shows_the_api_and_mart_numbers(served, browser):
    w, url, token, _ = served
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
    console: list[str] = []
    page = _page(browser, "desktop", console=console)
    served_page = page.goto(url + "/")
    policy = served_page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    page.fill("#key", token)
    page.click("#save-key")
    page.goto(f"{url}/?start=2024-03-01&end={DAY}&grain=daily&channel=all&device_type=all&metric=pv")
    _wait_loaded(page, channel="all", end=DAY)
    assert _cards(page) == {m: str(mart["all"][m]) for m in METRICS}
    pv_card = page.locator('#kpis .card[data-metric="pv"]')
    assert pv_card.locator(".value").inner_text() == "1"
    assert pv_card.locator(".prev").inner_text() == "-85.7%"  # 1 vs 7 the day before
    assert pv_card.get_attribute("title") == descriptions["metric_pv"]  # the dbt docs' text
    assert page.locator('#kpis .card[data-metric="total_deduction"] .value').inner_text() == "57.89"
    # the split table holds the day's slices of the chosen metric
    assert page.locator('#split-table td[data-slice="official|pc"]').get_attribute("data-value") == "0"
    # today's real-time counters (Redis)
    assert page.locator('#realtime-table td[data-name="pv"]').inner_text() == str(REALTIME_PV)
    # the breakdown table names each dimension and value as the registry and the seed do
    # (the dimension's name once, on the first row of its values)
    rows = '#breakdowns tr[data-dimension="member_deduction_status"]'
    assert page.locator(f"{rows}.group td").first.inner_text() == "会员扣费状态"
    assert page.locator(f'{rows}[data-value="success"] td').nth(1).inner_text() == "成功"
    # a chart's tooltip (ECharts draws it; under the policy, in the canvas)
    box = page.locator("#trend").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
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
    # the language button: every word and name follows, the numbers stay
    page.click("#lang")
    _wait_loaded(page, channel="app", lang="en")
    assert _texts(page, "#kpis .card .name") == CARD_NAMES["en"]
    assert page.locator("#channel option:checked").inner_text() == "Mobile app"
    assert _cards(page) == {m: str(api[m]) for m in METRICS}
    # a phone-sized screen, in English, from the shared link
    phone = _page(browser, "phone", token, console)
    phone.goto(page.url.replace("lang=zh", "lang=en"))
    _wait_loaded(phone, channel="app", lang="en")
    assert phone.locator("h1").inner_text() == "Business statistics"
    assert _cards(phone) == _cards(page)
    assert page.evaluate("window.cspViolations") == [] and phone.evaluate("window.cspViolations") == []
    assert [line for line in console if "Content Security Policy" in line or "404" in line] == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_key_prompt_shows_alone_and_a_refused_key_is_said_in_the_pages_language(served, browser, lang):
    _, url, _, _ = served
    for screen in SCREENS:
        page = _page(browser, screen)
        page.goto(f"{url}/?lang={lang}")
        page.wait_for_selector("#login", state="visible")
        words = _words(page, lang)
        # nothing but the title, the language button and the prompt
        assert page.locator("#board").is_hidden() and page.locator("#filters").is_hidden()
        assert page.locator("main, #filters, #error").evaluate_all(
            "nodes => nodes.map(n => getComputedStyle(n).display)"
        ) == ["none", "none", "none"]
        _shot(page, lang, screen, "key-prompt")
        page.fill("#key", "bzs_wrong_key")
        page.click("#save-key")
        page.wait_for_selector("#login-error", state="visible")
        assert page.locator("#login-error").inner_text().splitlines() == [
            words["err_key"], "unknown or revoked API key"  # the server's words as detail
        ]
        assert page.locator("#board").is_hidden()
        _shot(page, lang, screen, "wrong-key")
        page.close()


# what the page shows of each name, in each language (the registry, the seeds, the labels)
CARD_NAMES = {
    "zh": ["PV · 页面访问量", "UV · 独立访客数", "AV · 平均访问时长", "实名", "绑卡", "新增会员", "额度下单",
           "当日会员扣费 (¥)", "历史会员扣费 (¥)", "总扣费 (¥)"],
    "en": ["PV · Page views", "UV · Unique visitors", "AV · Average visit duration", "Verified", "Card binds",
           "New members", "Credit orders", "Member deductions (¥)", "Cumulative member deductions (¥)",
           "Total deductions (¥)"],
}  # fmt: skip
FUNNEL = {"zh": ["UV", "实名", "绑卡", "新增会员", "额度下单"],
          "en": ["UV", "Verified", "Card binds", "New members", "Credit orders"]}  # fmt: skip
ALERT_ROW = {"zh": ["一般", "数据异常值", "页面访问量", "移动端APP / 全部设备", DAY, "未处理"],
             "en": ["General", "Outlier", "Page views", "Mobile app / All devices", DAY, "open"]}  # fmt: skip
MONITOR_LABELS = {
    "zh": {"collection_success_rate": "数据上报成功率", "data_delay": "数据延迟",
           "data_error_rate": "数据错误率", "job_duration": "任务耗时",
           "realtime_vs_offline": "实时与离线差异"},
    "en": {"collection_success_rate": "Collection success rate", "data_delay": "Data delay",
           "data_error_rate": "Data error rate", "job_duration": "Job duration",
           "realtime_vs_offline": "Real-time vs offline"},
}  # fmt: skip
MINUTES = {"zh": "分钟", "en": "min"}


def _raw_ids(catalog: dict[str, Any], quality: dict[str, Any]) -> set[str]:
    """The identifiers a person must never read: every metric, dimension, value, monitor,
    status and check name of the API that is not a word (snake_case), and the metric names."""
    names = {m["name"] for grain in catalog["grains"].values() for m in grain["metrics"]}
    for dimension, spec in catalog["breakdowns"].items():
        names |= {dimension, *spec["values"]}
    names |= {*catalog["channels"], *catalog["device_types"]}
    for monitor in quality["monitors"]:
        names |= {monitor["monitor"], monitor["status"], monitor["severity"]}
    for alert in quality["alerts_24h"]:
        names |= {alert["check"], alert["metric"], alert["status"], alert["severity"]}
    metrics = {m["name"] for m in catalog["grains"]["daily"]["metrics"]}
    return {n for n in names if "_" in n or n in metrics}


@pytest.mark.parametrize("lang", LANGS)
def test_every_name_is_a_label_of_the_chosen_language(served, browser, lang):
    w, url, token, catalog = served
    with TestClient(create_app(w.target)) as client:
        quality = client.get("/api/quality", headers={"Authorization": f"Bearer {token}"}).json()
    raw = _raw_ids(catalog, quality)
    assert {"pv", "auth_method", "bank_card", "credit_order_status", "data_delay", "not_available"} <= raw
    assert sorted(m["monitor"] for m in quality["monitors"]) == sorted(MONITOR_LABELS[lang])
    for screen in SCREENS:
        page = _page(browser, screen, token)
        page.goto(f"{url}/?lang={lang}&start=2024-03-01&end={DAY}&metric=pv")
        _wait_loaded(page, end=DAY, lang=lang)
        page.wait_for_selector("#realtime-footer")
        words = _words(page, lang)
        _shot(page, lang, screen, "board")
        text = page.locator("body").inner_text()
        shown = sorted(n for n in raw if re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w-])", text))
        assert shown == [], f"raw identifiers on the page: {shown}"
        assert "NaN" not in text and "undefined" not in text and "—" not in text
        # cards: each name once, a daily card never "of the period"
        assert _texts(page, "#kpis .card .name") == CARD_NAMES[lang]
        # the funnel's steps top to bottom in the registry's order; amounts only with one
        funnel = page.evaluate("echarts.getInstanceByDom(document.getElementById('funnel')).getOption()")
        assert funnel["yAxis"][0]["data"] == FUNNEL[lang] and funnel["yAxis"][0]["inverse"] is True
        amounts = page.eval_on_selector_all(
            "#breakdown-table tbody tr", "rs => rs.map(r => [r.dataset.dimension, r.cells[3].textContent])"
        )
        with_amount = {d for d, spec in catalog["breakdowns"].items() if spec["amount"]}
        assert amounts and all((amount != "") == (d in with_amount) for d, amount in amounts), amounts
        assert {d for d, _ in amounts} - with_amount, "no dimension without an amount shown"
        # monitors: labels, values and thresholds with their units
        monitors = page.eval_on_selector_all(
            "#monitor-table tbody tr",
            "rs => Object.fromEntries(rs.map(r => [r.cells[0].dataset.monitor,"
            " [...r.cells].map(c => c.textContent)]))",
        )
        assert {name: cells[0] for name, cells in monitors.items()} == MONITOR_LABELS[lang]
        assert re.fullmatch(rf"\d+\.\d {MINUTES[lang]}", monitors["data_delay"][2]), monitors["data_delay"]
        assert monitors["data_delay"][3] == f"> 5 {MINUTES[lang]}"
        assert monitors["data_error_rate"][2:] == ["0.00%", "> 1%"]
        assert monitors["collection_success_rate"][3] == "< 99%"
        # alerts: every name a label
        alert_rows = page.eval_on_selector_all(
            "#alert-table tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert ALERT_ROW[lang] in alert_rows
        # real time: the footer in the page's language and the warehouse's local time, and the
        # tooltip saying what SDK business events move
        footer = page.locator("#realtime-footer").inner_text()
        local = datetime.now(UTC) + timedelta(hours=project_vars().utc_offset_hours)
        zone = f"UTC{project_vars().utc_offset_hours:+d}"
        pattern = re.escape(words["realtime_footer"]).replace(r"\{date\}", local.date().isoformat())
        pattern = pattern.replace(r"\{time\}", r"(\d\d:\d\d:\d\d)").replace(r"\{zone\}", re.escape(zone))
        found = re.fullmatch(pattern, footer)
        assert found, footer
        shown_at = datetime.combine(local.date(), datetime.strptime(found.group(1), "%H:%M:%S").time())
        assert abs(shown_at - local.replace(tzinfo=None)) < timedelta(minutes=2), (found.group(1), local)
        assert page.locator("#realtime-panel").get_attribute("title") == words["realtime_note"]
        assert "SDK" in words["realtime_note"]
        if screen == "phone":
            # no sideways scroll; each filter's label on one line; no header wider than its cell
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            heights = page.eval_on_selector_all(
                "#filters label > span",
                "ss => ss.map(s => { const style = getComputedStyle(s);"
                " return s.getBoundingClientRect().height"
                " / (parseFloat(style.lineHeight) || parseFloat(style.fontSize)); })",
            )
            assert heights and max(heights) < 1.5, heights
            overflowing = page.eval_on_selector_all(
                "th", "hs => hs.filter(h => h.scrollWidth > h.clientWidth + 1).map(h => h.textContent)"
            )
            assert overflowing == []
        assert page.evaluate("window.cspViolations") == []
        page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_day_after_the_newest_day_built_says_where_the_data_ends(served, browser, lang):
    _, url, token, _ = served
    after = (date.fromisoformat(LAST_BUILT) + timedelta(days=1)).isoformat()
    for screen in SCREENS:
        page = _page(browser, screen, token)
        page.goto(f"{url}/?lang={lang}&start=2024-03-01&end={after}&metric=total_deduction")
        _wait_loaded(page, end=after, metric="total_deduction")
        words = _words(page, lang)
        _shot(page, lang, screen, "after-last-day")
        text = page.locator("body").inner_text()
        assert "NaN" not in text and "—" not in text
        ends = words["data_ends"].replace("{day}", LAST_BUILT).replace("{end}", after)
        jump = words["show_day"].replace("{day}", LAST_BUILT)
        assert _texts(page, "#kpis .not-built") == [f"{ends} {jump}"]
        assert page.locator(".not-built").count() == 3  # cards, split table, funnel
        # a cumulative metric has no new/old split: the chart says so instead of drawing zeros
        metric = CARD_NAMES[lang][-1].removesuffix(" (¥)")
        assert page.locator("#user-types-note").inner_text() == words["no_user_split_cumulative"].replace(
            "{metric}", metric
        )
        assert page.locator("#user-types").is_hidden()
        page.click("#kpis .not-built button")
        _wait_loaded(page, end=LAST_BUILT)
        assert page.locator(".not-built").count() == 0
        page.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_refused_request_is_said_in_the_pages_language(served, browser, lang):
    _, url, token, _ = served
    page = _page(browser, "desktop", token)
    page.goto(f"{url}/?lang={lang}&start={DAY}&end=2024-03-01")
    page.wait_for_selector("#error", state="visible")
    words = _words(page, lang)
    assert page.locator("#error").inner_text().splitlines() == [
        words["err_request"], f"start {DAY} is after end 2024-03-01"
    ]
    _shot(page, lang, "desktop", "refused-request")
    page.close()
