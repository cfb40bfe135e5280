"""The daily report's trend chart: the registry's event counters (PV, UV, ...) of the last 14
days as a PNG (matplotlib, Agg).
Labels are in Chinese and English when a CJK font is installed (e.g. Debian's
fonts-wqy-microhei), in English otherwise."""

from __future__ import annotations

import io
from functools import cache
from typing import TYPE_CHECKING

from bizstats.ops.report_data import DailyReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# CJK fonts looked for, in order (Debian: fonts-wqy-microhei, fonts-noto-cjk)
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei")


_CJK_FILES = ("wqy", "cjk", "sourcehan", "simhei")  # file names of those fonts


@cache
def cjk_font() -> str | None:
    """The first CJK font matplotlib knows, or None. Fonts installed after matplotlib built
    its font cache are looked for among the system's font files."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if not known.intersection(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if any(part in path.lower() for part in _CJK_FILES):
                font_manager.fontManager.addfont(path)
        known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in known), None)


WIDTH, HEIGHT = 720, 280  # the PNG's pixels (the HTML scales it down to a phone's width)


def trend_png(report: DailyReport) -> bytes:
    """The chart as PNG bytes (WIDTH x HEIGHT px)."""
    buffer = io.BytesIO()
    trend_figure(report).savefig(buffer, format="png")
    return buffer.getvalue()


def trend_figure(report: DailyReport) -> Figure:
    """The chart: one line per event counter over the trend's days; the legend below the
    plot area, outside it (constrained layout makes room), so it never covers a point."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font()
    label = (lambda cn, en: f"{cn} {en}") if font else (lambda _cn, en: en)  # noqa: E731
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"]} if font else {}):
        fig = Figure(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        days = [d.strftime("%m-%d") for d, _ in report.trend]
        for line in report.lines:
            values = [float(row[line.column]) for _, row in report.trend]
            ax.plot(days, values, marker="o", label=label(line.label_cn, line.label_en))
        ax.set_title(label(f"近{len(days)}天趋势", f"last {len(days)} days"), fontsize=10)
        ax.tick_params(labelsize=8)
        if report.lines:
            fig.legend(fontsize=8, loc="outside lower center", ncols=len(report.lines), frameon=False)
        ax.grid(alpha=0.3)
        fig.canvas.draw()  # lay it out now, with the font of this context
    return fig
