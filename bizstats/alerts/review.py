"""The human confirmation step (人工确认): list alerts, ack one (someone is on it),
resolve one (the data is fixed). A resolved alert's key opens a new alert if raised again."""

from __future__ import annotations

from bizstats.alerts.model import STATUSES, StoredAlert
from bizstats.alerts.store import ensure_tables, get_alert, select_alerts, set_status, utc_naive
from bizstats.config import Target
from bizstats.db import connect
from bizstats.errors import BizstatsError


def list_alerts(target: Target, status: str | None = "open") -> list[StoredAlert]:
    """Alerts with this status (open, acked, resolved; None: all), oldest first."""
    if status is not None and status not in STATUSES:
        raise BizstatsError(f"unknown alert status {status!r}: use one of {', '.join(STATUSES)} or all")
    target = target.control  # Spark: its control database holds the alerts
    with connect(target, create=False) as con:
        cur = con.cursor()
        ensure_tables(cur, target)
        con.commit()
        return select_alerts(cur, target, status)


def ack_alert(target: Target, alert_id: int, by: str, note: str = "") -> StoredAlert:
    """Mark an open alert as acknowledged by `by`: it is not re-sent within its cool-down."""
    return _confirm(target, alert_id, "acked", ("open",), by, note)


def resolve_alert(target: Target, alert_id: int, by: str, note: str = "") -> StoredAlert:
    """Mark an open or acked alert as resolved by `by`."""
    return _confirm(target, alert_id, "resolved", ("open", "acked"), by, note)


def _confirm(
    target: Target, alert_id: int, status: str, allowed_from: tuple[str, ...], by: str, note: str
) -> StoredAlert:
    if not by.strip():
        raise BizstatsError("say who you are: --by NAME")
    target = target.control
    with connect(target, create=False) as con:
        cur = con.cursor()
        ensure_tables(cur, target)
        stored = get_alert(cur, target, alert_id)
        if stored.status not in allowed_from:
            raise BizstatsError(f"alert {alert_id} is already {_who(stored)}")
        notes = "; ".join(n for n in (stored.note, note.strip()) if n)
        set_status(cur, target, alert_id, status, by.strip(), notes, utc_naive(None))
        con.commit()
        return get_alert(cur, target, alert_id)


def _who(stored: StoredAlert) -> str:
    if stored.status == "resolved":
        return f"resolved (by {stored.resolved_by} at {stored.resolved_at:%Y-%m-%d %H:%M} UTC)"
    return f"acked (by {stored.acked_by} at {stored.acked_at:%Y-%m-%d %H:%M} UTC)"
