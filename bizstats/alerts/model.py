"""What an alert is: the finding a check raises (`Alert`) and the row it becomes once
stored (`StoredAlert`), with the severities and the Chinese names shown to people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bizstats.errors import BizstatsError

# Most severe first (严重 / 一般 / 轻微)
SEVERITIES = ("critical", "general", "minor")
SEVERITY_LABELS = {"critical": "严重 critical", "general": "一般 general", "minor": "轻微 minor"}
STATUSES = ("open", "acked", "resolved")

# The checks other modules raise (anomaly checks, monitors, jobs); an unknown check is shown as is
CHECK_LABELS = {
    "outlier": "数据异常值 outlier",
    "missing": "数据缺失 missing",
    "duplicates": "数据重复 duplicates",
    "stale": "数据未更新 stale",
    "job_failed": "统计任务失败 job_failed",
    "job_duration": "统计任务超时 job_duration",
    "data_error_rate": "数据误差率 data_error_rate",
    "data_delay": "数据延迟 data_delay",
    "cross_check": "交叉验证 cross_check",
    "quarantined_events": "隔离事件 quarantined_events",
    "late_data_deferred": "迟到数据待补建 late_data_deferred",
    "test": "测试告警 test",
}


@dataclass(frozen=True)
class Alert:
    """One finding of a check, in the words a person on call needs."""

    check: str
    severity: str
    metric: str
    metric_label: str
    slice: str
    stat_date: date | None
    actual: Decimal | None
    baseline: Decimal | None
    threshold: str
    advice: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise BizstatsError(
                f"alert {self.check!r}: unknown severity {self.severity!r}; "
                f"use one of {', '.join(SEVERITIES)}"
            )
        if not self.check:
            raise BizstatsError("an alert needs a check name (e.g. 'outlier')")

    @property
    def key(self) -> str:
        """Identity for de-duplication: the same check of the same number on the same day."""
        day = self.stat_date.isoformat() if self.stat_date else ""
        return f"{self.check}|{self.metric}|{self.slice}|{day}"


@dataclass(frozen=True)
class StoredAlert:
    """An alert as kept in `bizstats_alerts`: its id, its state and who confirmed it.

    Timestamps are naive UTC.
    """

    id: int
    alert: Alert
    status: str
    first_raised_at: datetime
    last_raised_at: datetime
    last_sent_at: datetime | None
    times_raised: int
    acked_by: str | None
    acked_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    note: str


def severity_rank(severity: str) -> int:
    """0 for the most severe."""
    return SEVERITIES.index(severity)
