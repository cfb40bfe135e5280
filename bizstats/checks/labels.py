"""The names people read in an alert: each checked metric in Chinese and English — a registry
metric as the registry names it (label_zh and short_en, e.g. "页面访问量 PV"), the raw events
and the data-quality monitors as below."""

from __future__ import annotations

from bizstats.errors import BizstatsError
from bizstats.registry import load_registry

# what the checks judge beside the registry's metrics
OTHER_LABELS = {
    "event_logs": "原始事件 raw events",
    # the data-quality monitors
    "report_success_rate": "报表成功率 report success rate",
    "job_duration": "任务耗时 job duration (min)",
    "data_error_rate": "数据错误率 data error rate",
    "data_delay": "数据延迟 data delay (min)",
    "realtime_vs_offline": "实时与离线差异 real-time vs offline",
}


def metric_label(metric: str) -> str:
    """The label of `metric`, or the column name itself when it has none (a metric since
    removed from the registry, or a registry that cannot be read: the alert still goes out)."""
    if metric in OTHER_LABELS:
        return OTHER_LABELS[metric]
    try:
        known = {m.name: m for m in load_registry().metrics}
    except BizstatsError:
        return metric
    spec = known.get(metric)
    return f"{spec.label_zh} {spec.short_en}" if spec else metric
