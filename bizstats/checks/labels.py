"""The names people read of what the checks judge, in Chinese and English: each checked
metric (a registry metric as the registry names it, the raw events), each data-quality
monitor (数据质量监控) with the unit of its value, and each monitor status.
Alerts print both languages ("页面访问量 PV"); the dashboard picks one (GET /api/quality)."""

from __future__ import annotations

from dataclasses import dataclass

from bizstats.errors import BizstatsError
from bizstats.registry import load_registry


@dataclass(frozen=True)
class Label:
    """A name in Chinese and English."""

    zh: str
    en: str

    def as_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class MonitorLabel(Label):
    """A monitor's name and the unit of its value and threshold (a key of UNITS)."""

    unit: str


# how a monitor's value reads: minutes, or a fraction shown as a percent
UNITS = {"minutes": Label("分钟", "min"), "ratio": Label("%", "%")}

# every monitor stored in monitor_results (models/monitoring, bizstats.checks.hooks)
MONITORS = {
    "collection_success_rate": MonitorLabel("数据上报成功率", "Collection success rate", "ratio"),
    "job_duration": MonitorLabel("任务耗时", "Job duration", "minutes"),
    "data_error_rate": MonitorLabel("数据错误率", "Data error rate", "ratio"),
    "data_delay": MonitorLabel("数据延迟", "Data delay", "minutes"),
    "realtime_vs_offline": MonitorLabel("实时与离线差异", "Real-time vs offline", "ratio"),
}

# the status of a monitor's row (bizstats.checks.results.MonitorResult.status)
MONITOR_STATUSES = {
    "judged": Label("已评估", "checked"),
    "not_available": Label("无法评估", "not available"),
    "no_data": Label("无数据", "no data"),
}

# the status of a stored alert (bizstats.alerts.model.STATUSES)
ALERT_STATUSES = {
    "open": Label("未处理", "open"),
    "acked": Label("已确认", "acknowledged"),
    "resolved": Label("已解决", "resolved"),
}

RAW_EVENTS = "event_logs"  # the `metric` of the checks on the raw events
_RAW_EVENTS_LABEL = Label("原始事件", "raw events")


def label_of(name: str) -> Label | None:
    """The label of a checked metric or a monitor; None when it has none (a metric since
    removed from the registry, or a registry that cannot be read)."""
    if name in MONITORS:
        return MONITORS[name]
    if name == RAW_EVENTS:
        return _RAW_EVENTS_LABEL
    try:
        known = {m.name: m for m in load_registry().metrics}
    except BizstatsError:
        return None
    spec = known.get(name)
    return Label(spec.label_zh, spec.label_en) if spec else None


def metric_label(metric: str) -> str:
    """The label of `metric` in both languages, as alerts print it: a registry metric with its
    short English name ("页面访问量 PV"), a monitor or the raw events with their English label
    ("数据延迟 Data delay"), or the column name itself when it has none (the alert still goes
    out)."""
    if metric in MONITORS or metric == RAW_EVENTS:
        found = MONITORS.get(metric, _RAW_EVENTS_LABEL)
        return f"{found.zh} {found.en}"
    try:
        known = {m.name: m for m in load_registry().metrics}
    except BizstatsError:
        return metric
    spec = known.get(metric)
    return f"{spec.label_zh} {spec.short_en}" if spec else metric
