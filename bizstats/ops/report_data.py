"""The daily report's data (日报数据): what `bizstats.ops.daily_report` reads from daily_stats and
the renderers (chart, HTML/CSV/text, mail) draw. The renderers import only this module, so the
data flows one way: daily_report builds it, the renderers read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bizstats.metrics_catalog import display


@dataclass(frozen=True)
class KpiRow:
    column: str
    label_cn: str
    label_en: str
    value: Decimal
    previous: Decimal | None  # the day before (None: not built)
    last_week: Decimal | None  # the same weekday a week before
    format: str = "integer"  # the registry's: integer, duration, money, decimal, percent
    definition: str = ""  # the docs block metric_<name>, else the registry's description

    def text(self, value: Decimal | None) -> str:
        """A value as the report shows it: thousands separators, money with 2 decimals, a
        percent x100 with %."""
        return display(self.format, value)


def change(value: Decimal, base: Decimal | None) -> str:
    """The change from `base` in percent, one decimal, half up, signed; — without a base."""
    if base is None or base == 0:
        return "—"
    percent = ((value - base) * 100 / base).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{percent:+}%" if percent else "0.0%"


@dataclass(frozen=True)
class TrendLine:
    column: str
    label_cn: str
    label_en: str


@dataclass(frozen=True)
class DailyReport:
    day: date
    rows: list[KpiRow]
    trend: list[tuple[date, dict[str, Decimal]]]  # (day, {column: value}) of the last 14 days built
    lines: tuple[TrendLine, ...] = ()  # the trend chart's metrics

    @property
    def name(self) -> str:
        return f"bizstats_daily_{self.day}"
