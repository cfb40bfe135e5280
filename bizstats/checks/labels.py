"""The names people read in an alert: each checked metric in Chinese and English, as the
metric catalogue (docs/metrics.md) names it."""

from __future__ import annotations

METRIC_LABELS = {
    "pv": "页面访问量 PV",
    "uv": "独立访客数 UV",
    "avg_visit_duration": "平均访问时长 AV",
    "real_name_count": "实名认证用户数 real-name verifications",
    "bind_card_count": "绑卡用户数 card binds",
    "new_member_count": "新增会员数 new members",
    "credit_order_count": "额度下单量 credit orders",
    "daily_member_deduction": "当日会员扣费 member deductions of the day",
    "history_member_deduction": "历史会员扣费 cumulative member deductions",
    "total_deduction": "总扣费金额 cumulative deductions",
    "event_logs": "原始事件 raw events",
    # the data-quality monitors
    "report_success_rate": "报表成功率 report success rate",
    "job_duration": "任务耗时 job duration (min)",
    "data_error_rate": "数据错误率 data error rate",
    "data_delay": "数据延迟 data delay (min)",
    "realtime_vs_offline": "实时与离线差异 real-time vs offline",
}


def metric_label(metric: str) -> str:
    """The label of `metric`, or the column name itself when it has none."""
    return METRIC_LABELS.get(metric, metric)
