"""A readable terminal report of the last days of daily_stats (all channels, all devices):
every published metric of the registry, headed by its short English label."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bizstats.config import Target
from bizstats.export import read_daily_stats
from bizstats.metrics_catalog import display
from bizstats.project_vars import project_vars
from bizstats.registry import load_registry


def render_report(target: Target, end: date, days: int = 7) -> str:
    """daily_stats (channel=all, device_type=all) for the `days` days up to `end`, plus the
    channel split of the last day."""
    metrics = load_registry().mart_metrics("daily_stats")
    rows = read_daily_stats(target, end - timedelta(days=days - 1), end)

    def cells(row: dict[str, Any], first: str) -> list[str]:
        return [str(row[first]), *(display(m.format, row[m.name], grouped=False) for m in metrics)]

    header = [m.short_en for m in metrics]
    totals = [r for r in rows if r["channel"] == "all" and r["device_type"] == "all"]
    offset = project_vars().utc_offset_hours
    lines = [f"bizstats daily_stats, all channels / all devices (UTC{offset:+d} days up to {end})", ""]
    lines += _format(["date", *header], [cells(r, "stat_date") for r in totals])
    last = [r for r in rows if r["stat_date"] == end and r["device_type"] == "all"]
    if last:
        lines += ["", f"{end} by channel (all devices)", ""]
        lines += _format(["channel", *header], [cells(r, "channel") for r in last])
    return "\n".join(lines)


def _format(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), "  ".join("-" * w for w in widths), *[line(r) for r in rows]]
