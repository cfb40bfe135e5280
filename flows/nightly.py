"""The nightly build, kept for `python -m flows.nightly`: the same as `bizstats schedule`
(serve all four jobs, see flows/jobs.py) or, with `--once [--date D]`, `bizstats run daily`."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bizstats.cli import main as bizstats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="run the daily job once now and exit")
    parser.add_argument("--date", type=date.fromisoformat, help="day to build (with --once)")
    parser.add_argument("--target", default="duckdb")
    args = parser.parse_args()
    if not args.once:
        return bizstats(["schedule", "--target", args.target])
    day = ["--date", str(args.date)] if args.date else []
    return bizstats(["run", "daily", "--target", args.target, *day])


if __name__ == "__main__":
    sys.exit(main())
