"""Late data: which local days changed since the last build, and the build log behind it.

Every raw row carries `_loaded_at` (UTC). A build records the highest `_loaded_at` it saw
(the watermark); the next build finds the rows loaded after it and the earliest local day
they can affect, so that day and every later one is rebuilt.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from bizstats.config import Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import connect, fetch_all, placeholder

BUILD_LOG = "bizstats_build_log"

# Business tables keyed by user, for late `users` rows (a new acquisition slice moves the
# user's business metrics on every day they happened).
_USER_TABLES = ("real_name_auths", "bank_cards", "member_orders", "orders", "deductions")


def utc_now() -> datetime:
    """Naive UTC now, second precision (how every datetime is stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def local_date(ts: datetime, offset_hours: int) -> date:
    return (ts + timedelta(hours=offset_hours)).date()


def _min_queries(raw: str, since: str) -> list[str]:
    """SELECTs each giving the earliest UTC datetime a late row can affect."""
    queries = []
    for table in TABLES.values():
        late_keys = (
            f"select n.{table.key} from {raw}.{table.name} as n where n.{LOADED_AT} > {since}"
        )
        for col in table.time_columns:
            # every version of a late row's key: an update can move or remove the old day
            queries.append(
                f"select min(r.{col}) from {raw}.{table.name} as r "
                f"where r.{table.key} in ({late_keys})"
            )
    # a late page view or leave changes the durations of its session's other views
    queries.append(
        f"select min(r.event_time) from {raw}.event_logs as r where r.session_id in "
        f"(select n.session_id from {raw}.event_logs as n where n.{LOADED_AT} > {since})"
    )
    late_users = f"select n.user_id from {raw}.users as n where n.{LOADED_AT} > {since}"
    for name in _USER_TABLES:
        for col in TABLES[name].time_columns:
            queries.append(
                f"select min(r.{col}) from {raw}.{name} as r where r.user_id in ({late_users})"
            )
    return queries


def earliest_changed_date(
    target: Target, watermark: datetime | None, offset_hours: int
) -> date | None:
    """Earliest local day affected by rows loaded after `watermark` (None: no build yet,
    so every row counts); None when nothing was loaded since."""
    ph = placeholder(target)
    since = watermark or datetime(1900, 1, 1)
    found: list[datetime] = []
    with connect(target) as con:
        for sql in _min_queries(target.raw_schema, ph):
            (value,) = fetch_all(con, sql, [since] * sql.count(ph))[0]
            if value is not None:
                found.append(value)
    return local_date(min(found), offset_hours) if found else None


def current_watermark(target: Target) -> datetime | None:
    """The highest `_loaded_at` over all raw tables."""
    raw = target.raw_schema
    union = " union all ".join(f"select max({LOADED_AT}) as m from {raw}.{name}" for name in TABLES)
    with connect(target) as con:
        (value,) = fetch_all(con, f"select max(u.m) from ({union}) as u")[0]
    return value


def _ensure_log(con: Any, target: Target) -> None:
    ts = "timestamp" if target.name == "duckdb" else "datetime(6)"
    cur = con.cursor()
    cur.execute(
        f"create table if not exists {target.models_schema}.{BUILD_LOG} ("
        f"finished_at {ts} not null, start_date date not null, end_date date not null, "
        f"source_watermark {ts})"
    )


def last_watermark(target: Target) -> tuple[bool, datetime | None]:
    """(whether any build was recorded, the watermark of the latest one)."""
    with connect(target) as con:
        _ensure_log(con, target)
        rows = fetch_all(
            con,
            f"select source_watermark from {target.models_schema}.{BUILD_LOG} "
            "order by finished_at desc limit 1",
        )
        con.commit()
    return (bool(rows), rows[0][0] if rows else None)


def record_build(target: Target, start: date, end: date, watermark: datetime | None) -> None:
    ph = placeholder(target)
    with connect(target) as con:
        _ensure_log(con, target)
        con.cursor().execute(
            f"insert into {target.models_schema}.{BUILD_LOG} "
            f"(finished_at, start_date, end_date, source_watermark) values ({ph}, {ph}, {ph}, {ph})",
            (utc_now(), start, end, watermark),
        )
        con.commit()
