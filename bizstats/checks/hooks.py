"""Checks whose input does not exist yet: each answers `not_available` with the reason, so
callers (alerts, reports) already handle them and only this module changes when it arrives."""

from __future__ import annotations

from datetime import date

from bizstats.checks.results import MonitorResult
from bizstats.config import Target

REALTIME_TOLERANCE = "offline vs real-time counters within 5%"


def realtime_vs_offline(target: Target, day: date) -> MonitorResult:
    """Cross-check (design doc §8.2.2) of daily_stats for `day` against the real-time
    counters of the collector. The collector and its counters do not exist yet: always
    `not_available`. When they do, compare each metric of `target`'s daily_stats with the
    counter and flag a difference above 5%."""
    return MonitorResult(
        monitor="realtime_vs_offline", status="not_available", actual=None,
        threshold=REALTIME_TOLERANCE, flagged=False, severity="critical",
        note=f"no real-time counters for {day} on {target.name}: the collector does not exist yet",
    )
