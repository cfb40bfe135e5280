"""The alert tables in the target's models schema and the statements on them.

`bizstats_alerts` holds one row per raised alert (re-raises of an open one bump it);
`bizstats_alert_deliveries` one row per alert per channel it was sent to. Every function
takes a cursor of a `bizstats.db.connect` connection; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bizstats.alerts.model import Alert, StoredAlert
from bizstats.config import Target
from bizstats.db import create_table, describe, placeholder, qualified, quote
from bizstats.errors import BizstatsError

ALERTS = "bizstats_alerts"
DELIVERIES = "bizstats_alert_deliveries"

# (column, DuckDB type, MySQL type); `key` and `check` are reserved words on MySQL: every
# statement quotes them
_ALERT_COLUMNS = (
    ("key", "varchar not null", "text not null"),
    ("check", "varchar not null", "varchar(60) not null"),
    ("severity", "varchar not null", "varchar(10) not null"),
    ("metric", "varchar not null", "varchar(100) not null"),
    ("metric_label", "varchar not null", "varchar(200) not null"),
    ("slice", "varchar not null", "text not null"),
    ("stat_date", "date", "date"),
    ("actual", "decimal(30,6)", "decimal(30,6)"),
    ("baseline", "decimal(30,6)", "decimal(30,6)"),
    ("threshold", "varchar not null", "text not null"),
    ("advice", "varchar not null", "text not null"),
    ("status", "varchar not null", "varchar(10) not null"),
    ("first_raised_at", "timestamp not null", "datetime(6) not null"),
    ("last_raised_at", "timestamp not null", "datetime(6) not null"),
    ("last_sent_at", "timestamp", "datetime(6)"),
    ("times_raised", "integer not null", "int not null"),
    ("acked_by", "varchar", "varchar(100)"),
    ("acked_at", "timestamp", "datetime(6)"),
    ("resolved_by", "varchar", "varchar(100)"),
    ("resolved_at", "timestamp", "datetime(6)"),
    ("note", "varchar not null", "text not null"),
)
_DELIVERY_COLUMNS = (
    ("alert_id", "bigint not null", "bigint not null"),
    ("channel", "varchar not null", "varchar(100) not null"),
    ("channel_type", "varchar not null", "varchar(20) not null"),
    ("outcome", "varchar not null", "varchar(10) not null"),
    ("attempts", "integer not null", "int not null"),
    ("error", "varchar not null", "text not null"),
    ("delivered_at", "timestamp not null", "datetime(6) not null"),
)
_FIELDS = ("check", "severity", "metric", "metric_label", "slice", "stat_date", "actual",
           "baseline", "threshold", "advice")
_SELECT = ("id", *(c for c, _, _ in _ALERT_COLUMNS))


def utc_naive(now: datetime | None) -> datetime:
    """`now` as naive UTC (the stored form); None: the current time; naive: taken as UTC."""
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def ensure_tables(cur: Any, target: Target) -> None:
    """Create the two tables (and on MySQL the models database) if missing."""
    for table, columns, mysql_key in (
        (ALERTS, _ALERT_COLUMNS, "key idx_key_status (`key`(191), `status`)"),
        (DELIVERIES, _DELIVERY_COLUMNS, "key idx_alert_id (`alert_id`)"),
    ):
        seq = qualified(target, target.models_schema, f"{table}_id_seq")
        if target.name == "duckdb":
            cur.execute(f"create sequence if not exists {seq}")
        identity = (
            "id",
            f"bigint primary key default nextval('{seq.replace(chr(39), chr(39) * 2)}')",
            "bigint not null auto_increment primary key",
        )
        create_table(cur, target, target.models_schema, table, [identity, *columns], [mysql_key])


def _insert(cur: Any, target: Target, table: str, values: dict[str, Any]) -> int:
    """Insert one row; its new id."""
    cols = ", ".join(quote(target, c) for c in values)
    marks = ", ".join([placeholder(target)] * len(values))
    sql = f"insert into {qualified(target, target.models_schema, table)} ({cols}) values ({marks})"
    if target.name == "duckdb":
        cur.execute(sql + " returning id", list(values.values()))
        return int(cur.fetchone()[0])
    cur.execute(sql, list(values.values()))
    return int(cur.lastrowid)


def _update(cur: Any, target: Target, alert_id: int, values: dict[str, Any], increment: bool = False) -> None:
    p = placeholder(target)
    sets = [f"{quote(target, c)} = {p}" for c in values]
    if increment:
        sets.append("times_raised = times_raised + 1")
    cur.execute(
        f"update {qualified(target, target.models_schema, ALERTS)} set {', '.join(sets)} where id = {p}",
        [*values.values(), alert_id],
    )


def insert_alert(cur: Any, target: Target, alert: Alert, now: datetime) -> int:
    """A new open alert raised at `now`; its id."""
    values = {f: getattr(alert, f) for f in _FIELDS}
    values.update(
        key=alert.key, status="open", first_raised_at=now, last_raised_at=now,
        times_raised=1, note="",
    )
    return _insert(cur, target, ALERTS, values)


def bump_alert(cur: Any, target: Target, alert_id: int, alert: Alert, now: datetime) -> None:
    """An open alert raised again: its latest numbers and words, one more raise at `now`."""
    values = {f: getattr(alert, f) for f in _FIELDS}
    values["last_raised_at"] = now
    _update(cur, target, alert_id, values, increment=True)


def mark_sent(cur: Any, target: Target, alert_id: int, now: datetime) -> None:
    _update(cur, target, alert_id, {"last_sent_at": now})


def set_status(cur: Any, target: Target, alert_id: int, status: str, by: str, note: str,
               now: datetime) -> None:
    """`acked` or `resolved` by a person at `now`, with the note kept."""
    verb = "acked" if status == "acked" else "resolved"
    _update(cur, target, alert_id, {"status": status, f"{verb}_by": by, f"{verb}_at": now, "note": note})


def record_delivery(cur: Any, target: Target, values: dict[str, Any]) -> None:
    """One row of `bizstats_alert_deliveries` (columns as in `_DELIVERY_COLUMNS`)."""
    _insert(cur, target, DELIVERIES, values)


def _select(target: Target, where: str) -> str:
    cols = ", ".join(quote(target, c) for c in _SELECT)
    return f"select {cols} from {qualified(target, target.models_schema, ALERTS)} where {where} order by id"


def _stored(row: Sequence[Any]) -> StoredAlert:
    data = dict(zip(_SELECT, row, strict=True))
    alert = Alert(**{f: data[f] for f in _FIELDS})
    return StoredAlert(
        id=int(data["id"]), alert=alert, status=data["status"],
        first_raised_at=data["first_raised_at"], last_raised_at=data["last_raised_at"],
        last_sent_at=data["last_sent_at"], times_raised=int(data["times_raised"]),
        acked_by=data["acked_by"], acked_at=data["acked_at"], resolved_by=data["resolved_by"],
        resolved_at=data["resolved_at"], note=data["note"],
    )


def find_unresolved(cur: Any, target: Target, key: str) -> StoredAlert | None:
    """The open or acked alert with this key (the latest, should there be two)."""
    p = placeholder(target)
    cur.execute(_select(target, f"{quote(target, 'key')} = {p} and status <> 'resolved'"), [key])
    rows = cur.fetchall()
    return _stored(rows[-1]) if rows else None


def get_alert(cur: Any, target: Target, alert_id: int) -> StoredAlert:
    """The alert with this id; a one-line error if there is none."""
    cur.execute(_select(target, f"id = {placeholder(target)}"), [alert_id])
    row = cur.fetchone()
    if row is None:
        raise BizstatsError(
            f"no alert {alert_id} on {describe(target)}: `bizstats alerts list --status all` lists them"
        )
    return _stored(row)


def select_alerts(cur: Any, target: Target, status: str | None) -> list[StoredAlert]:
    """Alerts with this status (None: all), oldest first."""
    if status is None:
        cur.execute(_select(target, "1 = 1"))
    else:
        cur.execute(_select(target, f"status = {placeholder(target)}"), [status])
    return [_stored(row) for row in cur.fetchall()]
