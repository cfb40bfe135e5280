"""The daily report (日报): every published metric of the registry for a day (all
channels, all devices) beside the previous day and the same weekday a week before, with a
14-day trend chart of the registry's event counters (pv, uv, ...); written to the reports
folder as HTML (chart inline) and CSV, and mailed on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.export import read_daily_stats
from bizstats.metrics_catalog import definitions
from bizstats.ops.report_chart import trend_png
from bizstats.ops.report_data import DailyReport, KpiRow, TrendLine
from bizstats.ops.report_html import render_csv, render_html
from bizstats.ops.report_mail import send_report
from bizstats.ops.settings import reports_dir
from bizstats.registry import MetricSpec, load_registry

TREND_DAYS = 14
_UNIT_NOTE = {"money": " (yuan)", "duration": " (s)", "percent": " (%)"}


def english_name(metric: MetricSpec) -> str:
    """The report's English name of a metric: its label and, for money, durations and
    percents, the unit (e.g. "Cumulative deductions (yuan)")."""
    return metric.label_en + _UNIT_NOTE.get(metric.format, "")


def read_report(target: Target, day: date) -> DailyReport:
    """The report's numbers from daily_stats (channel = all, device_type = all)."""
    first = day - timedelta(days=TREND_DAYS - 1)
    rows = read_daily_stats(target, first, day, channel="all", device_type="all")
    totals = {r["stat_date"]: r for r in rows}
    if day not in totals:
        raise BizstatsError(
            f"no daily_stats for {day} on {target.name}: build it first (`bizstats build --date {day}`)"
        )

    def value(when: date, column: str) -> Decimal | None:
        row = totals.get(when)
        return None if row is None else Decimal(row[column])

    registry, defined = load_registry(), definitions()
    kpis = [
        KpiRow(m.name, m.label_zh, english_name(m), Decimal(totals[day][m.name]),
               value(day - timedelta(days=1), m.name), value(day - timedelta(days=7), m.name), m.format,
               defined.get(m.name, m.description))
        for m in registry.mart_metrics("daily_stats")
    ]  # fmt: skip
    lines = tuple(TrendLine(m.name, m.label_zh, m.short_en) for m in registry.event_metrics())
    trend = [(d, {line.column: Decimal(r[line.column]) for line in lines}) for d, r in sorted(totals.items())]
    return DailyReport(day, kpis, trend, lines)


@dataclass(frozen=True)
class ReportFiles:
    html_path: Path
    csv_path: Path
    sent_to: tuple[str, ...]


def make_report(target: Target, day: date, send: bool = False, folder: Path | None = None) -> ReportFiles:
    """Write the report of `day` into `folder` (default BIZSTATS_REPORTS_DIR, ./reports) as
    <name>.html and <name>.csv; with `send`, mail it through BIZSTATS_REPORT_CHANNELS."""
    report = read_report(target, day)
    chart = trend_png(report)
    out = folder or reports_dir()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BizstatsError(
            f"cannot create the reports folder {out}: {exc.strerror} (BIZSTATS_REPORTS_DIR)"
        ) from exc
    html_path, csv_path = out / f"{report.name}.html", out / f"{report.name}.csv"
    html_path.write_text(render_html(report, chart), encoding="utf-8")
    csv_path.write_bytes(render_csv(report))
    sent_to = send_report(report, chart) if send else ()
    return ReportFiles(html_path, csv_path, sent_to)
