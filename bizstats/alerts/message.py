"""The one message template every channel sends: a subject line and labelled lines
(Chinese and English), as plain text or as Markdown for the IM robots."""

from __future__ import annotations

from decimal import Decimal

from bizstats.alerts.model import CHECK_LABELS, SEVERITY_LABELS, StoredAlert


def number(value: Decimal | None) -> str:
    """A stored number as people read it: thousands separated, no trailing zeros."""
    if value is None:
        return "-"
    text = f"{value.normalize():,f}"
    return "0" if text in ("-0", "0") else text


def summary(stored: StoredAlert) -> str:
    """E.g. `outlier: 浏览量 PV on 2026-11-25 (channel=all, device_type=all)`."""
    a = stored.alert
    text = a.check
    if a.metric_label or a.metric:
        text += f": {a.metric_label or a.metric}"
    if a.stat_date:
        text += f" on {a.stat_date.isoformat()}"
    if a.slice:
        text += f" ({a.slice})"
    return text


def subject(stored: StoredAlert) -> str:
    """E.g. `[bizstats critical] outlier: 浏览量 PV on 2026-11-25 (channel=all, device_type=all)`."""
    return f"[bizstats {stored.alert.severity}] {summary(stored)}"


def lines(stored: StoredAlert) -> list[tuple[str, str]]:
    """(label, value) pairs of the message body; lines that do not apply are left out."""
    a = stored.alert
    metric = f"{a.metric_label} ({a.metric})" if a.metric_label and a.metric else a.metric_label or a.metric
    rows = [
        ("告警编号 Alert ID", str(stored.id)),
        ("级别 Severity", SEVERITY_LABELS[a.severity]),
        ("检查 Check", CHECK_LABELS.get(a.check, a.check)),
        ("指标 Metric", metric),
        ("维度 Slice", a.slice),
        ("日期 Date", a.stat_date.isoformat() if a.stat_date else ""),
        ("实际值 Actual", number(a.actual) if a.actual is not None else ""),
        ("基线 Baseline", number(a.baseline) if a.baseline is not None else ""),
        ("阈值 Threshold", a.threshold),
        ("处理建议 Next step", a.advice),
        ("重复 Repeats", _repeats(stored)),
        ("已确认 Acked", _acked(stored)),
        ("确认 Confirm", f"bizstats alerts ack {stored.id}  (fixed: bizstats alerts resolve {stored.id})"),
    ]
    return [(label, value) for label, value in rows if value]


def _repeats(stored: StoredAlert) -> str:
    if stored.times_raised < 2:
        return ""
    return f"raised {stored.times_raised} times since {stored.first_raised_at:%Y-%m-%d %H:%M} UTC"


def _acked(stored: StoredAlert) -> str:
    if stored.acked_at is None:
        return ""
    return f"by {stored.acked_by} at {stored.acked_at:%Y-%m-%d %H:%M} UTC"


def plain_text(stored: StoredAlert) -> str:
    """The body of the e-mail, SMS gateway, Feishu and Slack messages."""
    return "\n".join(f"{label}: {value}" for label, value in lines(stored))


def markdown(stored: StoredAlert) -> str:
    """The DingTalk / WeCom robot body: the subject as a heading, one paragraph a line."""
    body = "\n\n".join(f"**{label}**: {value}" for label, value in lines(stored))
    return f"### {subject(stored)}\n\n{body}"
