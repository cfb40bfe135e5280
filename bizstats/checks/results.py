"""What a monitoring run found: one CheckResult per judged row of anomaly_check_results, one
MonitorResult per monitor, gathered in a CheckRun."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bizstats.checks.labels import metric_label

# What to look at first when a check fires, by check; filled with the result's fields.
_ADVICE = {
    "missing": (
        "{label} is 0 on {slice} on {day} while it averaged {baseline}: check that the collector "
        "received and the load delivered that day's events for this slice (tracking code, channel tag)"
    ),
    "outlier": (
        "{label} on {slice} on {day} is {ratio}x its baseline {baseline}: look for a release, a "
        "campaign, a tracking change or a partial load that day; hourly_stats shows when it began"
    ),
    "duplicates": (
        "{actual} of the raw event deliveries of {day} repeat an event_id: check the collector's "
        "retries and whether a file was delivered twice (the load ledger lists each file)"
    ),
    "stale": (
        "the newest raw event is {actual} minutes old: check the collector and the load job "
        "(`bizstats load`), then re-run the checks"
    ),
}


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class CheckResult:
    """One anomaly check of one metric, slice and day (a row of anomaly_check_results)."""

    check: str
    metric: str
    metric_label: str  # Chinese + English, e.g. "页面访问量 PV"
    channel: str
    device_type: str
    stat_date: date
    actual: Decimal
    baseline: Decimal | None
    threshold: str
    severity: str
    flagged: bool
    advice: str
    status: str = "judged"  # or no_baseline, skipped_incomplete, outside_active_hours
    ratio: Decimal | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CheckResult:
        """From a row of anomaly_check_results (columns store.CHECK_COLUMNS)."""
        stat_date = row["stat_date"]
        stat_date = stat_date if isinstance(stat_date, date) else date.fromisoformat(str(stat_date))
        slice_ = f"{row['channel']}/{row['device_type']}"
        advice = _ADVICE[row["check_name"]].format(
            label=metric_label(row["metric"]), slice=slice_, day=stat_date,
            actual=row["actual"], baseline=row["baseline"], ratio=row["ratio"],
        )
        return cls(
            check=row["check_name"], metric=row["metric"], metric_label=metric_label(row["metric"]),
            channel=row["channel"], device_type=row["device_type"], stat_date=stat_date,
            actual=Decimal(row["actual"]), baseline=_decimal(row["baseline"]),
            threshold=row["threshold_text"], severity=row["severity"], flagged=bool(row["flagged"]),
            advice=advice, status=row["status"], ratio=_decimal(row["ratio"]),
        )

    @property
    def slice(self) -> str:
        return f"{self.channel}/{self.device_type}"

    def alert_fields(self) -> dict[str, Any]:
        """The fields of a bizstats.alerts.Alert for this result."""
        return {
            "check": self.check, "severity": self.severity, "metric": self.metric,
            "metric_label": self.metric_label, "slice": self.slice, "stat_date": self.stat_date,
            "actual": self.actual, "baseline": self.baseline, "threshold": self.threshold,
            "advice": self.advice,
        }

    def to_alert(self) -> Any:
        """This result as a bizstats.alerts.Alert (the alerting package, imported when used)."""
        from bizstats.alerts import Alert

        return Alert(**self.alert_fields())


@dataclass(frozen=True)
class MonitorResult:
    """One data-quality monitor of one run (a row of monitor_results), or a hook's answer."""

    monitor: str
    status: str  # judged, not_available, no_data
    actual: Decimal | None
    threshold: str
    flagged: bool
    severity: str
    note: str

    def alert_fields(self) -> dict[str, Any]:
        """The fields of a bizstats.alerts.Alert for this monitor (no day, no baseline)."""
        return {
            "check": self.monitor, "severity": self.severity, "metric": self.monitor,
            "metric_label": metric_label(self.monitor), "slice": "all/all", "stat_date": None,
            "actual": self.actual, "baseline": None, "threshold": self.threshold,
            "advice": f"{metric_label(self.monitor)} is {self.actual} ({self.note})",
        }

    def to_alert(self) -> Any:
        """This monitor as a bizstats.alerts.Alert (the alerting package, imported when used)."""
        from bizstats.alerts import Alert

        return Alert(**self.alert_fields())

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MonitorResult:
        """From a row of monitor_results (columns store.MONITOR_COLUMNS)."""
        return cls(
            monitor=row["monitor_name"], status=row["status"],
            actual=_decimal(row["actual"]),
            threshold=row["threshold_text"], flagged=bool(row["flagged"]), severity=row["severity"],
            note=row["note"],
        )


@dataclass(frozen=True)
class CheckRun:
    """Everything one run_checks call judged."""

    results: list[CheckResult]
    flagged: list[CheckResult]
    skipped_days: list[date]  # days of the range not complete yet: judged by a later run
    monitors: list[MonitorResult]
    checked_at: datetime | None = None

    def alerts(self) -> list[Any]:
        """What this run found, as bizstats.alerts.Alert: every flagged check result and
        every flagged data-quality monitor (one alerting path for both)."""
        return [r.to_alert() for r in self.flagged] + [m.to_alert() for m in self.monitors if m.flagged]
