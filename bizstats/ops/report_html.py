"""The daily report as HTML (Jinja2; the chart as a data URI in the file, a CID inline image
in the e-mail), as plain text, and as CSV (UTF-8 with a BOM, so spreadsheet programs read the
Chinese labels)."""

from __future__ import annotations

import base64
import csv
import io

from jinja2 import Environment

from bizstats.ops.report_chart import HEIGHT, WIDTH
from bizstats.ops.report_data import DailyReport, change

# Fluid (e-mail clients and phones): the table fills the width it has; below 560 px each metric
# is a block of its own with its numbers labelled (no sideways scroll at 390 px), and the chart
# scales down to the width.
_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bizstats 日报 daily report {{ day }}</title>
<style>
  body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
         color: #222; margin: 16px; overflow-wrap: anywhere; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  p.sub { color: #666; font-size: 12px; margin: 0 0 12px; }
  table { border-collapse: collapse; font-size: 13px; width: 100%; max-width: 820px; }
  th, td { border: 1px solid #ddd; padding: 4px 8px; }
  th { background: #f3f5f7; text-align: left; }
  th.day { white-space: nowrap; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  span.en { color: #777; font-size: 11px; }
  td.up { color: #0a7d33; } td.down { color: #b3261e; }
  img.chart { max-width: 100%; height: auto; }
  @media (max-width: 560px) {
    body { margin: 8px; }
    table, tbody, tr, td { display: block; width: auto; }
    tr.head { display: none; }
    tr { border-bottom: 1px solid #ddd; padding: 6px 0; }
    td { border: none; padding: 1px 0; }
    td.num { display: inline-block; text-align: left; margin-right: 10px; white-space: normal; }
    td.num::before { content: attr(data-label) " "; color: #777; font-size: 11px; }
  }
</style>
</head>
<body>
<h1>bizstats 日报 daily report — {{ day }}</h1>
<p class="sub">全部渠道、全部设备 all channels, all devices · 较前一日 vs previous day ({{ previous }})
 · 较上周同日 vs same day last week ({{ last_week }})</p>
<table>
<tr class="head"><th>指标 metric</th><th class="day">{{ day }}</th><th>前一日 previous day</th>
<th>变化 change</th><th>上周同日 last week</th><th>变化 change</th></tr>
{% for row in rows %}<tr><td title="{{ row.definition }}">{{ row.label_cn }}
<span class="en">{{ row.label_en }}</span></td>
<td class="num" data-label="{{ day }}">{{ row.value }}</td>
<td class="num" data-label="前一日 previous">{{ row.previous }}</td>
<td class="num {{ row.day_class }}" data-label="变化 change">{{ row.day_change }}</td>
<td class="num" data-label="上周同日 last week">{{ row.last_week }}</td>
<td class="num {{ row.week_class }}" data-label="变化 change">{{ row.week_change }}</td></tr>
{% endfor %}</table>
<p><img src="{{ chart_src }}" class="chart" alt="趋势 trend" width="{{ width }}" height="{{ height }}"></p>
<p class="sub">bizstats · daily_stats · {{ tz_note }}</p>
</body>
</html>
"""


def _rows(report: DailyReport) -> list[dict[str, str]]:
    def css(text: str) -> str:
        return "up" if text.startswith("+") else "down" if text.startswith("-") else ""

    rows = []
    for r in report.rows:
        day_change, week_change = change(r.value, r.previous), change(r.value, r.last_week)
        rows.append({
            "label_cn": r.label_cn, "label_en": r.label_en, "definition": r.definition,
            "value": r.text(r.value),
            "previous": r.text(r.previous), "day_change": day_change, "day_class": css(day_change),
            "last_week": r.text(r.last_week), "week_change": week_change, "week_class": css(week_change),
        })
    return rows


def render_html(report: DailyReport, chart_png: bytes, chart_cid: str | None = None) -> str:
    """The report page; the chart inline as a data URI, or as `cid:<chart_cid>` for e-mail."""
    from datetime import timedelta

    from bizstats.project_vars import project_vars

    src = f"cid:{chart_cid}" if chart_cid else "data:image/png;base64," + base64.b64encode(chart_png).decode()
    template = Environment(autoescape=True).from_string(_TEMPLATE)
    return template.render(
        day=report.day, previous=report.day - timedelta(days=1), last_week=report.day - timedelta(days=7),
        rows=_rows(report), chart_src=src, tz_note=f"UTC{project_vars().utc_offset_hours:+d} days",
        width=WIDTH, height=HEIGHT,
    )


_CSV_HEADER = ("metric", "指标", "name", "value", "previous_day", "change_vs_previous_day",
               "same_day_last_week", "change_vs_last_week")


def render_csv(report: DailyReport) -> bytes:
    """One row per metric, numbers as stored (money with 2 decimals, a percent as its
    fraction), changes in percent."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_HEADER)
    for r in report.rows:
        writer.writerow([
            r.column, r.label_cn, r.label_en, r.value, "" if r.previous is None else r.previous,
            change(r.value, r.previous), "" if r.last_week is None else r.last_week,
            change(r.value, r.last_week),
        ])
    return out.getvalue().encode("utf-8-sig")


def render_text(report: DailyReport) -> str:
    """The table as plain text (the e-mail's text part)."""
    lines = [f"bizstats 日报 daily report {report.day} (all channels, all devices)", ""]
    for r in report.rows:
        lines.append(
            f"{r.label_cn} {r.label_en}: {r.text(r.value)} (前一日 previous {r.text(r.previous)}, "
            f"{change(r.value, r.previous)}; 上周同日 last week {r.text(r.last_week)}, "
            f"{change(r.value, r.last_week)})"
        )
    return "\n".join(lines) + "\n"
