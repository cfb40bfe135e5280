"""Repair and recompute (修复重算): re-derive a range of local days after a fix (late or
corrected raw rows, a changed model), recording what was rebuilt, by whom and why in
`bizstats_rebuild_log` (models schema), failed attempts included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bizstats.build import Progress, build
from bizstats.config import Target
from bizstats.db import connect, create_table, fetch_all, placeholder
from bizstats.errors import BizstatsError
from bizstats.ops.job_runs import utc_now

TABLE = "bizstats_rebuild_log"
# (column, DuckDB type, MySQL type)
_COLUMNS = (
    ("started_at", "timestamp not null", "datetime(6) not null"),
    ("finished_at", "timestamp not null", "datetime(6) not null"),
    ("requested_start", "date not null", "date not null"),
    ("requested_end", "date not null", "date not null"),
    ("built_start", "date", "date"),
    ("built_end", "date", "date"),
    ("reason", "varchar not null", "text not null"),
    ("requested_by", "varchar not null", "varchar(100) not null"),
    ("outcome", "varchar not null", "varchar(10) not null"),
    ("error", "varchar not null", "text not null"),
)
_NAMES = tuple(c for c, _, _ in _COLUMNS)


@dataclass(frozen=True)
class Rebuild:
    started_at: datetime  # naive UTC
    finished_at: datetime
    requested_start: date
    requested_end: date
    built_start: date | None  # the range the build covered (pending days, carry-forward)
    built_end: date | None
    reason: str
    requested_by: str
    outcome: str  # success or failed
    error: str


def rebuild(target: Target, start: date, end: date, reason: str, by: str,
            progress: Progress | None = None) -> Rebuild:
    """Rebuild [start, end] (a backfill: every mart, dbt's tests included) and log it; a
    failed rebuild is logged too, then its error raised (the marts keep their rows)."""
    if not reason.strip():
        raise BizstatsError("say why the range is rebuilt (--reason), e.g. 'refunds of 03-10 re-delivered'")
    started = utc_now()
    try:
        result = build(target, start=start, end=end, progress=progress)
    except BizstatsError as exc:
        _log(target, Rebuild(started, utc_now(), start, end, None, None, reason, by, "failed", str(exc)))
        raise
    entry = Rebuild(started, utc_now(), start, end, result.start, result.end, reason, by, "success", "")
    _log(target, entry)
    return entry


def _ensure_table(cur: Any, target: Target) -> str:
    return create_table(cur, target, target.models_schema, TABLE, _COLUMNS)


def _log(target: Target, entry: Rebuild) -> None:
    target = target.control  # Spark: the log is in its control database
    ph = placeholder(target)
    with connect(target) as con:
        cur = con.cursor()
        name = _ensure_table(cur, target)
        cur.execute(f"insert into {name} ({', '.join(_NAMES)}) values ({', '.join([ph] * len(_NAMES))})",
                    [getattr(entry, c) for c in _NAMES])
        con.commit()


def rebuild_log(target: Target, limit: int = 20) -> list[Rebuild]:
    """The latest rebuilds, newest first."""
    target = target.control
    with connect(target) as con:
        name = _ensure_table(con.cursor(), target)
        con.commit()
        rows = fetch_all(
            con, f"select {', '.join(_NAMES)} from {name} order by started_at desc limit {int(limit)}"
        )
    return [Rebuild(*row) for row in rows]
