"""Alerts (告警): stored in the warehouse, routed by severity to e-mail,
IM robots (DingTalk, WeCom, Feishu/Lark, Slack) and SMS/phone webhooks, confirmed by people.

Checks build `Alert`s and call `raise_alerts`; operators use `bizstats alerts list|ack|
resolve|test`. The channels and routes come from a YAML file (`alerts.example.yml`).
"""

from bizstats.alerts.config import AlertConfig, load_alert_config
from bizstats.alerts.delivery import Delivery
from bizstats.alerts.model import SEVERITIES, Alert, StoredAlert
from bizstats.alerts.notify import AlertReport, raise_alerts
from bizstats.alerts.review import ack_alert, list_alerts, resolve_alert
from bizstats.alerts.wiring import send_test_alert

__all__ = [
    "SEVERITIES",
    "Alert",
    "AlertConfig",
    "AlertReport",
    "Delivery",
    "StoredAlert",
    "ack_alert",
    "list_alerts",
    "load_alert_config",
    "raise_alerts",
    "resolve_alert",
    "send_test_alert",
]
