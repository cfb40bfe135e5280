"""`raise_alerts`: store what the checks found, send what is new (or past its cool-down)
to the channels routed for its severity, record how each delivery went.

No connection is held while sending (a DuckDB file stays free for a build meanwhile):
the alerts are stored and the sends decided, then delivered, then the outcomes recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bizstats.alerts.config import AlertConfig
from bizstats.alerts.delivery import Delivery, deliver
from bizstats.alerts.model import Alert, StoredAlert, severity_rank
from bizstats.alerts.store import (
    bump_alert,
    ensure_tables,
    find_unresolved,
    get_alert,
    insert_alert,
    mark_sent,
    record_delivery,
    utc_naive,
)
from bizstats.config import Target
from bizstats.db import connect


@dataclass(frozen=True)
class AlertReport:
    """What one `raise_alerts` did.

    - `alerts`: every alert given, as stored (its id, status, times raised);
    - `sent`: those delivered now to at least one channel;
    - `suppressed`: those still open or acked and sent within the cool-down: not re-sent;
    - `deliveries`: one per alert and channel tried, in order.

    An alert whose severity has no route is only stored: in `alerts` alone.
    """

    alerts: list[StoredAlert]
    sent: list[StoredAlert]
    suppressed: list[StoredAlert]
    deliveries: list[Delivery]

    @property
    def failed(self) -> list[Delivery]:
        """The deliveries that failed after every retry."""
        return [d for d in self.deliveries if not d.ok]


def _due(existing: StoredAlert, alert: Alert, config: AlertConfig, now: datetime) -> bool:
    """Whether a raise of an unresolved alert is sent again: never delivered yet, more
    severe than before, or its cool-down is over."""
    if existing.last_sent_at is None:
        return True
    if severity_rank(alert.severity) < severity_rank(existing.alert.severity):
        return True
    return now - existing.last_sent_at >= config.cool_down


def raise_alerts(
    target: Target, alerts: Sequence[Alert], config: AlertConfig, now: datetime | None = None
) -> AlertReport:
    """Store each alert in the models schema's `bizstats_alerts` and send the due ones.

    An alert whose key is already open (or acked) is bumped (last_raised_at, times_raised,
    latest numbers) and not re-sent within `config.cool_down` of its last sending; one
    whose key was resolved opens a new alert. Every channel of the route is tried on its
    own, with `config.retry`; one that is down does not stop the others. Each outcome is a
    row of `bizstats_alert_deliveries`. On Spark both tables are in its control database.
    """
    target = target.control
    at = utc_naive(now)
    ids: list[int] = []
    to_send: dict[int, StoredAlert] = {}
    suppressed: list[int] = []
    with connect(target) as con:
        cur = con.cursor()
        ensure_tables(cur, target)
        con.commit()
        for alert in alerts:
            existing = find_unresolved(cur, target, alert.key)
            if existing is None:
                alert_id, due = insert_alert(cur, target, alert, at), True
            else:
                alert_id, due = existing.id, _due(existing, alert, config, at)
                bump_alert(cur, target, alert_id, alert, at)
            con.commit()
            ids.append(alert_id)
            if not due:
                suppressed.append(alert_id)
            elif config.channels_for(alert.severity):
                to_send[alert_id] = get_alert(cur, target, alert_id)
    deliveries = [
        deliver(channel, stored, config.retry)
        for stored in to_send.values()
        for channel in config.channels_for(stored.alert.severity)
    ]
    delivered = {d.alert_id for d in deliveries if d.ok}
    with connect(target) as con:
        cur = con.cursor()
        for d in deliveries:
            record_delivery(cur, target, {
                "alert_id": d.alert_id, "channel": d.channel, "channel_type": d.channel_type,
                "outcome": "sent" if d.ok else "failed", "attempts": d.attempts, "error": d.error,
                "delivered_at": at,
            })
        for alert_id in delivered:
            mark_sent(cur, target, alert_id, at)
        con.commit()
        final = {i: get_alert(cur, target, i) for i in dict.fromkeys(ids)}
    return AlertReport(
        alerts=[final[i] for i in ids],
        sent=[final[i] for i in to_send if i in delivered],
        suppressed=[final[i] for i in dict.fromkeys(suppressed)],
        deliveries=deliveries,
    )
