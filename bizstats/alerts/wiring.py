"""`send_test_alert`: a made-up alert through the configured route, so an operator can
check the channels; it is resolved right after sending, so the next test sends again."""

from __future__ import annotations

from bizstats.alerts.config import AlertConfig
from bizstats.alerts.model import Alert
from bizstats.alerts.notify import AlertReport, raise_alerts
from bizstats.alerts.review import resolve_alert
from bizstats.alerts.store import utc_naive
from bizstats.config import Target
from bizstats.errors import BizstatsError


def send_test_alert(target: Target, config: AlertConfig, severity: str, by: str) -> AlertReport:
    """Send a `test` alert of this severity to its route, then resolve it as `by`."""
    alert = Alert(
        check="test",
        severity=severity,
        metric="",
        metric_label="",
        slice="",
        stat_date=utc_naive(None).date(),
        actual=None,
        baseline=None,
        threshold="none: a test of the alert channels",
        advice="nothing to fix: check that every channel of this route received it",
    )
    if not config.channels_for(severity):
        where = config.source or "the alert config (BIZSTATS_ALERTS_CONFIG or ./alerts.yml)"
        raise BizstatsError(f"no channel is routed for {severity} alerts in {where}: see alerts.example.yml")
    report = raise_alerts(target, [alert], config)
    resolve_alert(target, report.alerts[0].id, by, "test alert")
    return report
