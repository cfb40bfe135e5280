"""Quarantined events (隔离事件): what an untrusted sender reported about the far past.

A browser's site key is public, so a browser event whose time is more than the late-data
horizon (BIZSTATS_LATE_DATA_DAYS, default 30 days) before its arrival is not stored in
`event_logs`, where the next build would have to reach back to its day: the collector keeps
it in `<raw schema>._quarantined_events` (the event_logs columns plus `quarantine_id`,
`reason` and `quarantined_at`, UTC), on MySQL in the same commit as the request's other
events, on DuckDB through the spool (ingested with it). Signed back-end sources and
`bizstats load` files are trusted and never quarantined.

An operator lists them and admits (moved into `event_logs` with a fresh `_loaded_at`, so the
next build sees them like any late row) or drops them: `bizstats quarantine list|admit|drop`
(filters `--id`, `--before`, `--all`). The build raises one alert per new batch
(`quarantined_events`), and one naming the backfill when pending days lie beyond the horizon
(`late_data_deferred`, see bizstats.build.plan_build).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from bizstats import changes
from bizstats.alerts import Alert, load_alert_config, raise_alerts
from bizstats.config import Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import (
    MYSQL_TABLE_OPTIONS,
    _column_type,
    connect,
    create_mysql_database,
    fetch_all,
    mysql_exists,
    placeholder,
    qualified,
    quote,
)
from bizstats.errors import BizstatsError
from bizstats.load.write import keep_earliest
from bizstats.settings import settings

TABLE = "_quarantined_events"
COLUMNS = TABLES["event_logs"].column_names
ALERTED = "quarantine_alerted"  # bizstats_build_state: the newest quarantined_at alerted
_REASON_LENGTH = 255
_IDS_PER_STATEMENT = 500


def event_commit_lock(target: Target) -> str:
    """MySQL: the named lock serializing every commit into the raw event_logs that stamps
    `_loaded_at` above the stored ones (the collector's commits, an admit)."""
    return f"bizstats:collect:{settings().mysql.schema}"[:64]


def table(target: Target) -> str:
    return qualified(target, target.raw_schema, TABLE)


def create_statements(target: Target) -> list[str]:
    """The statements creating the quarantine table if missing (the raw schema exists)."""
    columns = [
        f"{quote(target, c.name)} {_column_type(target, c)}{'' if c.nullable else ' not null'}"
        for c in TABLES["event_logs"].columns
    ]
    if target.name == "duckdb":
        seq = qualified(target, target.raw_schema, f"{TABLE}_id_seq")
        seq_literal = seq.replace("'", "''")
        definition = ", ".join([
            f"quarantine_id bigint primary key default nextval('{seq_literal}')", *columns,
            "reason varchar not null", "quarantined_at timestamp not null",
        ])
        return [
            f"create sequence if not exists {seq}",
            f"create table if not exists {table(target)} ({definition})",
        ]
    definition = ", ".join([
        "`quarantine_id` bigint not null auto_increment", *columns,
        f"`reason` varchar({_REASON_LENGTH}) not null", "`quarantined_at` datetime(6) not null",
        "primary key (`quarantine_id`)", "unique key uk_event_id (`event_id`)",
        "key idx_event_time (`event_time`)",
    ])
    return [f"create table if not exists {table(target)} ({definition}) {MYSQL_TABLE_OPTIONS}"]


def ensure_table(cur: Any, target: Target) -> None:
    """Create the raw schema (MySQL: database) and the quarantine table if missing."""
    if target.name == "duckdb":
        cur.execute(f"create schema if not exists {quote(target, target.raw_schema)}")
    elif mysql_exists(cur, target.raw_schema, TABLE):
        return
    else:
        create_mysql_database(cur, target, target.raw_schema)
    for statement in create_statements(target):
        cur.execute(statement)


def quarantine_reason(event_time: datetime, horizon_days: int) -> str:
    """Why an event is quarantined (stored with it, shown by `bizstats quarantine list`)."""
    return (
        f"event_time {event_time:%Y-%m-%d %H:%M:%S} is more than {horizon_days} days before it "
        "arrived (BIZSTATS_LATE_DATA_DAYS) from a browser site key"
    )[:_REASON_LENGTH]


@dataclass(frozen=True)
class Selection:
    """Which quarantined events a command acts on: `ids`, those whose event_time is before
    `before` (a UTC day), or `every` one; ids and before together narrow each other."""

    ids: tuple[int, ...] = ()
    before: date | None = None
    every: bool = False

    @property
    def empty(self) -> bool:
        return not self.ids and self.before is None and not self.every

    def where(self, target: Target) -> tuple[str, list[Any]]:
        ph = placeholder(target)
        conditions: list[str] = []
        params: list[Any] = []
        if self.ids:
            conditions.append(f"quarantine_id in ({', '.join([ph] * len(self.ids))})")
            params += list(self.ids)
        if self.before is not None:
            conditions.append(f"event_time < {ph}")
            params.append(datetime.combine(self.before, datetime.min.time()))
        return (" where " + " and ".join(conditions)) if conditions else "", params


@dataclass(frozen=True)
class QuarantinedEvent:
    quarantine_id: int
    event_id: str
    event_type: str
    event_time: datetime
    user_id: str | None
    device_id: str | None
    ip_address: str | None
    page_url: str | None
    reason: str
    quarantined_at: datetime


@dataclass(frozen=True)
class Admitted:
    """What an admit moved into event_logs: how many events and their local days."""

    count: int
    first_day: date | None
    last_day: date | None

    def backfill(self, target: Target) -> str:
        """The command building the admitted events' days (the nightly leaves days beyond
        the late-data horizon pending)."""
        return f"bizstats build --start {self.first_day} --end {self.last_day} --target {target.name}"


def list_quarantined(target: Target, selection: Selection | None = None) -> list[QuarantinedEvent]:
    """The quarantined events of `selection` (all when it is None or empty), oldest event first."""
    where, params = (selection or Selection()).where(target)
    with connect(target, create=False) as con:
        ensure_table(con.cursor(), target)
        con.commit()
        rows = fetch_all(
            con,
            "select quarantine_id, event_id, event_type, event_time, user_id, device_id, ip_address, "
            f"page_url, reason, quarantined_at from {table(target)}{where} "
            "order by event_time, quarantine_id",
            params,
        )
    return [QuarantinedEvent(*row) for row in rows]


def _selected_ids(con: Any, target: Target, selection: Selection) -> list[int]:
    if selection.empty:
        raise BizstatsError(
            "say which quarantined events: --id ID (repeatable), --before YYYY-MM-DD or --all"
        )
    where, params = selection.where(target)
    return [int(i) for (i,) in fetch_all(con, f"select quarantine_id from {table(target)}{where}", params)]


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + _IDS_PER_STATEMENT] for i in range(0, len(ids), _IDS_PER_STATEMENT)]


def drop(target: Target, selection: Selection) -> int:
    """Delete the selected quarantined events for good; returns how many."""
    ph = placeholder(target)
    with connect(target, create=False) as con:
        cur = con.cursor()
        ensure_table(cur, target)
        con.commit()
        ids = _selected_ids(con, target, selection)
        for chunk in _chunks(ids):
            marks = ", ".join([ph] * len(chunk))
            cur.execute(f"delete from {table(target)} where quarantine_id in ({marks})", list(chunk))
        con.commit()
    return len(ids)


def admit(target: Target, selection: Selection, offset_hours: int) -> Admitted:
    """Move the selected events into the raw event_logs in one transaction, stamped with a
    fresh `_loaded_at` (above every stored one), so the next build finds them as late rows.
    On MySQL under the collector's commit lock (an event_id already stored keeps its
    earliest delivery, as a load would); on DuckDB the caller holds the warehouse lock."""
    ph = placeholder(target)
    raw = qualified(target, target.raw_schema, "event_logs")
    names = ", ".join(quote(target, c) for c in COLUMNS)
    with connect(target, create=False) as con:
        cur = con.cursor()
        ensure_table(cur, target)
        con.commit()
        locked = False
        try:
            if target.name == "mysql":
                cur.execute(f"select get_lock({ph}, 10)", (event_commit_lock(target),))
                locked = cur.fetchone()[0] == 1
                if not locked:
                    raise BizstatsError("the collector's commit lock stayed busy for 10 s: retry the admit")
            ids = _selected_ids(con, target, selection)
            if not ids:
                return Admitted(0, None, None)
            stamp = _stamp(con, target, raw)
            upsert = "" if target.name == "duckdb" else keep_earliest(TABLES["event_logs"], raw)
            days: list[datetime] = []
            for chunk in _chunks(ids):
                marks = ", ".join([ph] * len(chunk))
                days += [t for (t,) in fetch_all(
                    con, f"select min(event_time) from {table(target)} where quarantine_id in ({marks}) "
                    f"union all select max(event_time) from {table(target)} where quarantine_id in ({marks})",
                    [*chunk, *chunk],
                )]
                cur.execute(
                    f"insert into {raw} ({names}, {quote(target, LOADED_AT)}) select {names}, {ph} "
                    f"from {table(target)} where quarantine_id in ({marks}) order by quarantine_id{upsert}",
                    [stamp, *chunk],
                )
                cur.execute(f"delete from {table(target)} where quarantine_id in ({marks})", list(chunk))
            con.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                con.rollback()
            raise
        finally:
            if locked:
                with contextlib.suppress(Exception):
                    cur.execute(f"select release_lock({ph})", (event_commit_lock(target),))
    first, last = min(days), max(days)
    return Admitted(len(ids), changes.local_date(first, offset_hours), changes.local_date(last, offset_hours))


def _stamp(con: Any, target: Target, raw: str) -> datetime:
    """A `_loaded_at` above every stored one (the build's scan reads past the highest)."""
    if target.name == "duckdb":
        now = datetime.now(UTC).replace(tzinfo=None)
        (newest,) = fetch_all(con, f"select max({LOADED_AT}) from {raw}")[0]
        return max(now, newest + timedelta(microseconds=1)) if newest else now
    newest = f"max(`{LOADED_AT}`) + interval 1 microsecond"
    (stamp,) = fetch_all(con, f"select greatest(now(6), coalesce({newest}, now(6))) from {raw}")[0]
    return cast(datetime, stamp)


@dataclass(frozen=True)
class Batch:
    """The events quarantined since the last alert."""

    count: int
    oldest_event: datetime
    newest_event: datetime
    newest_quarantined: datetime


def new_batch(state: changes.BuildState) -> Batch | None:
    """The events quarantined after the newest one already alerted (None: none), over the
    build's connection."""
    target, con = state.target, state.con
    since = changes.read_mark(state, ALERTED)
    ph = placeholder(target)
    ensure_table(con.cursor(), target)
    con.commit()
    where, params = (f" where quarantined_at > {ph}", [since]) if since is not None else ("", [])
    count, oldest, newest, last = fetch_all(
        con,
        "select count(*), min(event_time), max(event_time), max(quarantined_at) "
        f"from {table(target)}{where}",
        params,
    )[0]
    con.commit()
    return Batch(int(count), oldest, newest, last) if count else None


def late_data_alerts(state: changes.BuildState, deferred: Sequence[date]) -> list[Alert]:
    """Raise (store and send, bizstats.alerts) what a build plan found beyond the late-data
    horizon: one `quarantined_events` alert per new batch of quarantined events, and one
    `late_data_deferred` alert naming the backfill of the pending days left behind
    (`deferred`). Returns the alerts raised. The batch and its watermark are read and written
    over the build's connection (`state`); the alerts store opens its own when there is an
    alert to raise."""
    target = state.target  # where the alerts are stored (spark: its control database)
    # the target the user builds, named in the alerts' text (spark: not its control database's duckdb)
    name = (state.marts or state.target).name
    horizon = settings().load.late_data_days
    alerts: list[Alert] = []
    batch = new_batch(state)
    common: dict[str, Any] = {"slice": f"target={name}", "baseline": None}
    if batch is not None:
        alerts.append(Alert(
            check="quarantined_events", severity="general", metric="event_logs",
            metric_label="隔离事件 quarantined events", stat_date=batch.newest_quarantined.date(),
            actual=Decimal(batch.count), threshold=f"browser events at most {horizon} days old on arrival",
            advice=f"{batch.count} browser events dated {batch.oldest_event:%Y-%m-%d %H:%M:%S} .. "
            f"{batch.newest_event:%Y-%m-%d %H:%M:%S} UTC were quarantined, not built: review them with "
            f"`bizstats quarantine list --target {name}`, then `bizstats quarantine admit` (and "
            "the backfill it prints) or `bizstats quarantine drop` with --id, --before or --all",
            **common,
        ))
    if deferred:
        first, last = min(deferred), max(deferred)
        alerts.append(Alert(
            check="late_data_deferred", severity="general", metric="pending_days",
            metric_label="待补建的迟到数据 late data left pending", stat_date=first,
            actual=Decimal(len(deferred)),
            threshold=f"pending days at most {horizon} days before the build's range",
            advice=f"{len(deferred)} days from {first} to {last} have rows loaded since they were last "
            f"built, beyond the late-data horizon (BIZSTATS_LATE_DATA_DAYS={horizon}): builds leave them "
            f"pending; build them with `bizstats build --start {first} --end {last} --target "
            f"{name}` (it carries the days built after them forward)",
            **common,
        ))
    if alerts:
        raise_alerts(target, alerts, load_alert_config())
    if batch is not None:
        changes.write_mark(state, ALERTED, batch.newest_quarantined)
    return alerts
