"""The daily report on a hand-computed warehouse (tests_py/support/sample_data.py, built 2024-03-01 ..
03-12 on DuckDB): its numbers, CSV, e-mail (a real local SMTP server) and the HTML rendered
by headless Chromium (Debian's chromium, CJK font fonts-wqy-microhei, driven by Playwright)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bizstats.cli import main
from bizstats.config import Target
from bizstats.ops.daily_report import make_report, read_report
from bizstats.ops.report_chart import HEIGHT, WIDTH, trend_figure
from bizstats.ops.report_data import KpiRow
from bizstats.ops.report_html import render_csv
from bizstats.registry import load_registry
from tests_py.support import receivers
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.services import require_chromium
from tests_py.support.warehouse import Warehouse

DAY = date(2024, 3, 11)  # previous day 03-10, same day last week 03-04 (built, all zeros)
CSV = """metric,指标,name,value,previous_day,change_vs_previous_day,same_day_last_week,change_vs_last_week
pv,页面访问量,Page views,1,7,-85.7%,0,—
uv,独立访客数,Unique visitors,0,5,-100.0%,0,—
avg_visit_duration,平均访问时长,Average visit duration (s),0,9,-100.0%,0,—
real_name_count,实名认证用户数,Real-name verified users,1,1,0.0%,0,—
bind_card_count,绑卡用户数,Card-binding users,1,1,0.0%,0,—
new_member_count,新增会员数,New members,1,1,0.0%,0,—
credit_order_count,额度下单量,Credit orders,0,3,-100.0%,0,—
daily_member_deduction,当日会员扣费,Member deductions of the period (yuan),20.00,30.00,-33.3%,0.00,—
history_member_deduction,历史会员扣费,Cumulative member deductions (yuan),40.00,30.00,+33.3%,0.00,—
total_deduction,总扣费金额,Cumulative deductions (yuan),57.89,42.34,+36.7%,0.00,—
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path_factory.mktemp("report") / "w.duckdb"))
        w = Warehouse(Target("duckdb"), tmp_path_factory.mktemp("loads"))
        w.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
        w.build(start="2024-03-01", end="2024-03-12")
        yield w


def test_numbers_vs_the_previous_day_and_last_week(built):
    report = read_report(built.target, DAY)
    [pv, *_, total] = report.rows
    assert (pv.label_cn, pv.value, pv.previous, pv.last_week) == ("页面访问量", 1, 7, 0)
    # money stays exact: 30 + 12.34 on 03-10; + 20 + 5.55 - 10 (refund) on 03-11
    assert (total.value, total.previous) == (Decimal("57.89"), Decimal("42.34"))
    assert (total.text(Decimal("1234567.5")), pv.text(Decimal("1234567"))) == ("1,234,567.50", "1,234,567")
    conversion = KpiRow("member_conversion", "会员转化率", "Member conversion (%)", Decimal("0.1250"),
                        None, None, "percent")  # fmt: skip
    assert (conversion.text(conversion.value), conversion.text(None)) == ("12.50%", "—")
    # the trend: the 14 days up to 03-11 that are built (03-01 onwards), of the registry's event
    # counters (pv, uv)
    assert [line.column for line in report.lines] == [m.name for m in load_registry().event_metrics()]
    assert [(d.day, row["pv"], row["uv"]) for d, row in report.trend] == [(n, 0, 0) for n in range(1, 10)] + [
        (10, 7, 5), (11, 1, 0)]
    # every published metric of the registry, in its order, with its definition
    assert [r.column for r in report.rows] == [m.name for m in load_registry().published()]
    assert report.rows[0].definition.startswith("**PV 页面访问量 — page views**")  # the docs block
    assert render_csv(report) == ("\ufeff" + CSV).encode("utf-8")


def test_report_files_and_the_cli(built, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BIZSTATS_REPORTS_DIR", str(tmp_path / "reports"))
    assert main(["report", "--date", str(DAY)]) == 0
    html = tmp_path / "reports" / "bizstats_daily_2024-03-11.html"
    out = capsys.readouterr().out
    assert out == f"wrote {html} and {html.with_suffix('.csv')}\n"
    page = html.read_text(encoding="utf-8")
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in page  # the chart, inline
    assert '>实名认证用户数\n<span class="en">Real-name verified users</span></td>' in page
    assert '<td title="**PV 页面访问量 — page views** (`pv`, integer)' in page
    assert html.with_suffix(".csv").read_bytes() == ("\ufeff" + CSV).encode("utf-8")
    assert main(["report", "--date", "2024-02-01"]) == 1
    assert "no daily_stats for 2024-02-01 on duckdb: build it first" in capsys.readouterr().err


def test_report_mail_has_the_chart_inline_and_the_csv_attached(built, tmp_path, monkeypatch, smtp, http):
    monkeypatch.setenv("BIZSTATS_ALERTS_CONFIG", receivers.alert_config(tmp_path, smtp.port, http))
    monkeypatch.setenv("BIZSTATS_REPORT_CHANNELS", "reports")
    files = make_report(built.target, DAY, send=True, folder=tmp_path)
    assert files.sent_to == ("boss@example.com", "analyst@example.com")
    [mail] = smtp.mails
    message = mail.message
    assert (mail.recipients, message["Subject"]) == (
        ["boss@example.com", "analyst@example.com"], "bizstats 日报 daily report 2024-03-11")
    body, attachment = message.iter_parts()
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html",
        "image/png", "text/csv"]
    parts = {p.get_content_type(): p for p in body.walk()}
    assert parts["text/plain"].get_content().splitlines()[2] == (
        "页面访问量 Page views: 1 (前一日 previous 7, -85.7%; 上周同日 last week 0, —)")
    cid = parts["image/png"]["Content-ID"].strip("<>")
    assert f'<img src="cid:{cid}"' in parts["text/html"].get_content()
    assert parts["image/png"].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert attachment.get_filename() == "bizstats_daily_2024-03-11.csv"
    assert attachment.get_payload(decode=True).replace(b"\r\n", b"\n") == ("\ufeff" + CSV).encode("utf-8")


def test_the_html_renders_in_headless_chromium(built, tmp_path):
    """Chromium renders the file version with its Chinese labels in a CJK font and the
    chart; the screenshot (report.png) stays in the test's folder for a person to look at."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    files = make_report(built.target, DAY, folder=tmp_path)
    png, phone_png = tmp_path / "report.png", tmp_path / "report-390.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 820, "height": 700})
        page.goto(files.html_path.as_uri())
        page.screenshot(path=str(png), full_page=True)
        chart_width = page.eval_on_selector("img", "img => img.naturalWidth")
        cjk = page.evaluate("document.fonts.check('13px \"WenQuanYi Micro Hei\"', '实名认证')")
        text = page.inner_text("table")
        # a phone (as e-mail apps show it): no sideways scroll, every number labelled
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(phone_png), full_page=True)
        phone_width = page.evaluate("document.scrollingElement.scrollWidth")
        phone_chart = page.eval_on_selector("img", "img => img.getBoundingClientRect().width")
        phone_text = page.inner_text("table")
        labels = page.eval_on_selector_all(
            "tr:nth-child(5) td.num", "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        browser.close()
    assert chart_width == WIDTH and cjk
    assert "实名认证用户数 Real-name verified users" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert phone_width <= 390, phone_width
    assert 300 < phone_chart <= 390 - 16
    # the metric on a line of its own, then its numbers each with its label
    assert "实名认证用户数 Real-name verified users\n1 1 0.0% 0 —\n" in phone_text, phone_text
    assert labels == [
        '"2024-03-11 "', '"前一日 previous "', '"变化 change "', '"上周同日 last week "', '"变化 change "'
    ]


def test_the_charts_legend_is_outside_the_plot(built):
    """The legend sits below the plot area (never over a point) and inside the image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = trend_figure(read_report(built.target, DAY))
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    [legend] = figure.legends
    [axes] = figure.axes
    box, plot = legend.get_window_extent(renderer), axes.get_window_extent(renderer)
    assert len(legend.get_texts()) == len(read_report(built.target, DAY).lines) > 0
    assert box.y1 < plot.y0, (box, plot)  # entirely below the axes (their ticks' labels too)
    assert box.y1 < axes.get_tightbbox(renderer).y0
    assert box.x0 >= 0 and box.x1 <= WIDTH and box.y0 >= 0
    assert (figure.bbox.width, figure.bbox.height) == (WIDTH, HEIGHT)
