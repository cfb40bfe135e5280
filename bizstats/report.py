"""A readable terminal report of the last days of daily_stats (all channels, all devices)."""

from __future__ import annotations

from datetime import date, timedelta

from bizstats.config import Target
from bizstats.export import read_daily_stats
from bizstats.project_vars import project_vars

_COLUMNS = (
    ("stat_date", "date"),
    ("pv", "PV"),
    ("uv", "UV"),
    ("avg_visit_duration", "avg s"),
    ("real_name_count", "verified"),
    ("bind_card_count", "cards"),
    ("new_member_count", "members"),
    ("credit_order_count", "credit"),
    ("daily_member_deduction", "member fee"),
    ("history_member_deduction", "member cum."),
    ("total_deduction", "total cum."),
)


def render_report(target: Target, end: date, days: int = 7) -> str:
    """daily_stats (channel=all, device_type=all) for the `days` days up to `end`, plus the
    channel split of the last day."""
    rows = read_daily_stats(target, end - timedelta(days=days - 1), end)
    totals = [r for r in rows if r["channel"] == "all" and r["device_type"] == "all"]
    table = [[str(r[c]) for c, _ in _COLUMNS] for r in totals]
    offset = project_vars().utc_offset_hours
    lines = [f"bizstats daily_stats, all channels / all devices (UTC{offset:+d} days up to {end})", ""]
    lines += _format([h for _, h in _COLUMNS], table)
    last = [r for r in rows if r["stat_date"] == end and r["device_type"] == "all"]
    if last:
        lines += ["", f"{end} by channel (all devices)", ""]
        lines += _format(
            ["channel", "PV", "UV", "avg s", "members", "member fee"],
            [
                [
                    str(r[c])
                    for c in (
                        "channel",
                        "pv",
                        "uv",
                        "avg_visit_duration",
                        "new_member_count",
                        "daily_member_deduction",
                    )
                ]
                for r in last
            ],
        )
    return "\n".join(lines)


def _format(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return [line(header), "  ".join("-" * w for w in widths), *[line(r) for r in rows]]
