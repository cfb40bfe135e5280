"""Which raw rows an archive run takes (归档规则), by local day (dbt var stats_utc_offset_hours).

A row is *old* when its local day is before the cutoff (today minus BIZSTATS_RETENTION_RAW_DAYS,
or an earlier `--before` day), a build has already examined it (`_loaded_at` no later than the
build state's `scanned_to`) and its day is not pending (bizstats/changes.py): a row no build has
used yet stays until one has, so archiving never hides a late row from the build.

- event_logs: every old row is archived, by the local day of `event_time`. The staged events
  (stg_event_logs, incremental) keep every event and int_visitor_first_seen every visitor's
  first view, so builds of live days lose nothing.
- The other raw tables (users, real_name_auths, bank_cards, member_orders, orders, deductions,
  refunds) are kept while a live user still needs them: a row is archived only when it is old
  (its day is that of its latest datetime column, or of `_loaded_at` without one), its user
  has no row that stays live in any raw table (events included: the user's acquisition slice,
  first-time milestones and cumulative amounts read all of the user's rows), no version of its
  key stays, and a deduction goes with its refunds (a refund counts under its deduction's user
  and service type). A row without a user goes by its day alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bizstats.config import Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import fetch_all, placeholder, qualified
from bizstats.retention.parts import row_id

BUSINESS = tuple(name for name in TABLES if name != "event_logs")
# build bookkeeping (bizstats.changes): read here, never written
_STATE = "bizstats_build_state"
_PENDING = "bizstats_pending_days"


@dataclass(frozen=True)
class Horizon:
    """Where an archive run cuts: rows of local days before `cutoff` that a build examined."""

    cutoff: date  # the first local day kept live
    offset_hours: int
    scanned_to: datetime | None  # None: no build examined any row yet (nothing is archived)
    pending: frozenset[date]

    @property
    def cutoff_utc(self) -> datetime:
        return datetime.combine(self.cutoff, time()) - timedelta(hours=self.offset_hours)

    def day_start_utc(self, day: date) -> datetime:
        return datetime.combine(day, time()) - timedelta(hours=self.offset_hours)

    def local_day(self, ts: datetime) -> date:
        return (ts + timedelta(hours=self.offset_hours)).date()

    def is_old(self, day: date, loaded_at: datetime) -> bool:
        return (
            self.scanned_to is not None
            and day < self.cutoff
            and loaded_at <= self.scanned_to
            and day not in self.pending
        )


def table_exists(con: Any, target: Target, schema: str, name: str) -> bool:
    ph = placeholder(target)
    rows = fetch_all(
        con,
        "select count(*) from information_schema.tables "
        f"where table_schema = {ph} and table_name = {ph}",
        (schema, name),
    )
    return bool(rows[0][0])


def horizon(con: Any, target: Target, cutoff: date, offset_hours: int) -> Horizon:
    """The cut at `cutoff`, with what the build state says was examined and is pending."""
    schema = target.models_schema
    scanned: datetime | None = None
    pending: set[date] = set()
    if table_exists(con, target, schema, _STATE):
        rows = fetch_all(
            con, f"select scanned_to from {qualified(target, schema, _STATE)} where state_key = 'raw'"
        )
        scanned = rows[0][0] if rows else None
    if table_exists(con, target, schema, _PENDING):
        pending = {
            d.date() if isinstance(d, datetime) else d
            for (d,) in fetch_all(con, f"select stat_date from {qualified(target, schema, _PENDING)}")
        }
    return Horizon(cutoff, offset_hours, scanned, frozenset(pending))


def _raw(target: Target, table: str) -> str:
    return qualified(target, target.raw_schema, table)


def event_days(con: Any, target: Target, h: Horizon) -> dict[date, int]:
    """Old event_logs rows per local day."""
    if h.scanned_to is None:
        return {}
    ph = placeholder(target)
    local = f"cast(event_time + interval {h.offset_hours} hour as date)"
    rows = fetch_all(
        con,
        f"select {local} as d, count(*) from {_raw(target, 'event_logs')} "
        f"where event_time < {ph} and {LOADED_AT} <= {ph} group by {local}",
        (h.cutoff_utc, h.scanned_to),
    )
    found = {(d.date() if isinstance(d, datetime) else d): int(n) for d, n in rows}
    return {d: n for d, n in sorted(found.items()) if d not in h.pending}


def event_ids(con: Any, target: Target, h: Horizon, day: date) -> list[int]:
    """The surrogates of the old event_logs rows of a local day, ascending."""
    if h.scanned_to is None or day >= h.cutoff or day in h.pending:
        return []
    ph = placeholder(target)
    start = h.day_start_utc(day)
    rows = fetch_all(
        con,
        f"select id from {_raw(target, 'event_logs')} where event_time >= {ph} and event_time < {ph} "
        f"and {LOADED_AT} <= {ph} order by id",
        (start, start + timedelta(days=1), h.scanned_to),
    )
    return [int(i) for (i,) in rows]


def _live_event_users(con: Any, target: Target, h: Horizon) -> set[str]:
    """Users with an event that stays live (recent, not yet examined, or on a pending day)."""
    ph = placeholder(target)
    conditions = [f"event_time >= {ph}"]
    params: list[Any] = [h.cutoff_utc]
    if h.scanned_to is not None:
        conditions.append(f"{LOADED_AT} > {ph}")
        params.append(h.scanned_to)
    for day in sorted(d for d in h.pending if d < h.cutoff):
        conditions.append(f"(event_time >= {ph} and event_time < {ph})")
        params += [h.day_start_utc(day), h.day_start_utc(day + timedelta(days=1))]
    where = " or ".join(conditions)
    rows = fetch_all(
        con,
        f"select distinct user_id from {_raw(target, 'event_logs')} "
        f"where user_id is not null and ({where})",
        params,
    )
    return {str(u) for (u,) in rows}


@dataclass
class _BusinessRow:
    table: str
    ident: int
    key: str
    ref: str | None  # user_id; for refunds the refunded deduction_id
    day: date
    old: bool


def _business_rows(con: Any, target: Target, h: Horizon, table: str) -> list[_BusinessRow]:
    spec = TABLES[table]
    ref = "deduction_id" if table == "refunds" else "user_id"
    times = [c.name for c in spec.columns if c.kind == "datetime"]
    cols = ", ".join([row_id(table), spec.key, ref, *times, LOADED_AT])
    found = []
    for values in fetch_all(con, f"select {cols} from {_raw(target, table)}"):
        ident, key, refers, *stamps, loaded_at = values
        present = [s for s in stamps if s is not None]
        day = h.local_day(max(present) if present else loaded_at)
        found.append(_BusinessRow(table, int(ident), str(key), refers, day, h.is_old(day, loaded_at)))
    return found


def business_ids(con: Any, target: Target, h: Horizon) -> dict[tuple[str, date], list[int]]:
    """The surrogates of the business rows to archive, per (table, local day), ascending: the
    old rows no live user, kept key version or kept refund needs (the module's rule)."""
    if h.scanned_to is None:
        return {}
    rows = [r for table in BUSINESS for r in _business_rows(con, target, h, table)]
    deduction_user: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.table == "deductions" and r.ref is not None:
            deduction_user[r.key].add(r.ref)

    def users_of(r: _BusinessRow) -> Iterable[str]:
        if r.table == "refunds":
            return deduction_user.get(r.ref or "", set())
        return [r.ref] if r.ref is not None else []

    live_users = _live_event_users(con, target, h)
    kept = {id(r) for r in rows if not r.old}
    while True:
        live_users |= {u for r in rows if id(r) in kept for u in users_of(r)}
        kept_keys = {(r.table, r.key) for r in rows if id(r) in kept}
        kept_deductions = {r.ref for r in rows if r.table == "refunds" and id(r) in kept}
        kept_deductions |= {r.key for r in rows if r.table == "deductions" and id(r) in kept}
        grown = {
            id(r)
            for r in rows
            if id(r) not in kept
            and (
                any(u in live_users for u in users_of(r))
                or (r.table, r.key) in kept_keys
                or (r.table == "deductions" and r.key in kept_deductions)
                or (r.table == "refunds" and r.ref in kept_deductions)
            )
        }
        if not grown:
            break
        kept |= grown
    chosen: dict[tuple[str, date], list[int]] = defaultdict(list)
    for r in rows:
        if id(r) not in kept:
            chosen[(r.table, r.day)].append(r.ident)
    return {k: sorted(v) for k, v in sorted(chosen.items())}
