"""`bizstats demo`: generate demo data, then load, build and report it — or only write the CSVs."""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bizstats.build import build
from bizstats.checks import run_checks
from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.db import describe
from bizstats.dbt_runner import PhaseProgress
from bizstats.demo.generator import DemoConfig, generate
from bizstats.demo.report import render_report
from bizstats.errors import BizstatsError
from bizstats.load.loader import load_dir

Progress = Callable[[str], None]


def run_demo(
    target: Target,
    days: int = 30,
    events_per_day: int = 5000,
    seed: int = 42,
    report_days: int = 7,
    out: Path | None = None,
    progress: Progress | None = None,
) -> str:
    """Generate `days` local days of demo data ending yesterday and return the text to show.

    Without `out`: load the data into `target`, build every day (one progress line per phase
    of dbt's run), run the checks over the last `report_days` days once (the dashboard's
    quality board) and return the report of those days. With `out`: only write one
    `<table>.csv` per raw table into that folder (templates of the input format,
    models/docs/sources.md) and return where they are; the target is not touched. Files already
    there are never overwritten.
    """
    if days < 1 or events_per_day < 1 or report_days < 1:
        raise BizstatsError("days, events per day and report days must be positive")
    end = DemoConfig(days=days).window()[1]  # yesterday in the statistics time zone
    config = DemoConfig(days=days, events_per_day=events_per_day, end_date=end, seed=seed)
    say = progress or _quiet
    if out is not None:
        return _write_templates(config, out, say, progress)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bizstats-demo-") as tmp:
        say(f"generating {days} days of demo data (seed {seed})")
        counts = generate(config, Path(tmp))  # its line per day: only for --out
        say("generated " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        loaded = load_dir(target, Path(tmp), progress=progress)
    say(
        f"loaded {loaded.loaded:,} rows; {len(loaded.rejected)} dirty rows rejected "
        "(kept in _rejected_rows)"
    )
    phases = _DemoProgress(say)
    built = build(target, day=end, progress=phases)
    if phases.orphan_warnings:
        say(
            f"warning: {phases.orphan_warnings} relationships_stg_*_user_id checks found business rows "
            "of a user missing from `users`: the demo writes them on purpose (dirty data the "
            "checks must flag)"
        )
    first = max(built.start, end - timedelta(days=report_days - 1))
    checked = run_checks(target, first, end)
    say(
        f"checked {first} .. {end}: {len(checked.flagged)} anomalies flagged, "
        f"{len(checked.monitors)} monitors (the dashboard's quality board)"
    )
    say(
        f"built {built.start} .. {built.end} ({built.days} days) on {describe(target)} in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return render_report(target, end, days=min(report_days, days))


# The warnings the demo's own dirty data raises on purpose: an orphan user's business rows
# (generator._dirty_extras), one relationships test per business table with a user_id.
_ORPHAN_WARNING = re.compile(r"warning: relationships_stg_\w+_user_id__user_id__ref_stg_users_: ")


class _DemoProgress(PhaseProgress):
    """The build's phases, with the orphan user's warnings counted for one line."""

    def __init__(self, say: Progress) -> None:
        super().__init__(say)
        self.orphan_warnings = 0

    def __call__(self, line: str) -> None:
        if _ORPHAN_WARNING.match(line):
            self.orphan_warnings += 1
        else:
            self.say(line)


def _quiet(message: str) -> None:
    """Progress nobody asked for."""


def _write_templates(
    config: DemoConfig, out: Path, say: Progress, progress: Progress | None
) -> str:
    """Write the CSVs into `out` (never over existing files) and describe them."""
    clashes = sorted(f"{name}.csv" for name in TABLES if (out / f"{name}.csv").exists())
    if clashes:
        raise BizstatsError(
            f"{out} already holds {', '.join(clashes)}; remove them or choose another folder"
        )
    first, last = config.window()
    say(f"generating {config.days} days of demo data (seed {config.seed}) into {out}")
    try:
        counts = generate(config, out, progress=progress)
    except OSError as exc:
        raise BizstatsError(f"cannot write the demo CSVs into {out}: {exc}") from exc
    width = max(len(name) for name in counts) + len(".csv")
    lines = [
        f"wrote {len(counts)} demo CSV files into {out} (local days {first} .. {last}):",
        *(f"  {name + '.csv':<{width}}  {rows:>9,} rows" for name, rows in counts.items()),
        "",
        "They follow the raw input contract (models/docs/sources.md): a header row, UTC datetimes",
        "YYYY-MM-DD HH:MM:SS, money with two decimals, an empty field for NULL. A few rows are",
        "dirty on purpose (odd channel/device spellings, duplicate event deliveries, a few",
        "malformed rows that the loader rejects and reports, and business rows of a user missing",
        "from users, which the build's five relationships_stg_*_user_id checks report as warnings).",
        f"Load and build them with:  bizstats load {out} && bizstats build",
    ]
    return "\n".join(lines)
