"""`bizstats retention plan` and `bizstats retention run`: archive old raw rows by local day.

For each (table, local day) the run takes the rows the rules choose (bizstats.retention.rules)
and, under the warehouse lock (bizstats/lock.py):

1. removes the files of the day's folder its manifest does not list (left by a killed run;
   their rows were never deleted);
2. writes the rows not yet archived (by surrogate and `_loaded_at`) to a new Parquet part
   (temporary file, fsync, rename) and reads it back: its rows' checksum must be the one
   computed from the table;
3. adds the part to the day's manifest (atomic replace);
4. deletes from the table exactly the rows now archived (those of this part and those a killed
   run had archived but not deleted), by surrogate, in chunks, each committed.

A row is therefore always in the table, in a listed part, or in both, never in neither; a
re-run finishes what a killed one began without writing a row twice. Statistics: when
BIZSTATS_RETENTION_STATS_DAYS is set, the run also deletes the marts' rows of days before
today minus that many days (never, by default).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bizstats.config import Target
from bizstats.db import connect, describe, fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError
from bizstats.local_time import local_today, offset_hours
from bizstats.lock import warehouse_lock
from bizstats.retention import manifest, parts, rules
from bizstats.settings import RetentionSettings

Progress = Callable[[str], None]
CHUNK = 1000  # rows fetched, and surrogates deleted, per statement

# marts and the local date of their rows (weekly and monthly: the period's first day)
MART_DATES = {
    "daily_stats": "stat_date",
    "hourly_stats": "stat_date",
    "daily_breakdowns": "stat_date",
    "user_type_daily_stats": "stat_date",
    "cumulative_daily": "stat_date",
    "weekly_stats": "week_start",
    "monthly_stats": "month_start",
}


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class DayBatch:
    table: str
    day: date
    rows: int  # rows that leave the live table
    archived: int = 0  # of which the archive already holds (put back by a restore or a build)


@dataclass(frozen=True)
class Plan:
    """What a run would do: the raw rows per (table, local day) it archives, and the marts'
    rows it deletes (only with BIZSTATS_RETENTION_STATS_DAYS)."""

    target: Target
    archive_dir: Path
    cutoff: date  # raw rows of local days before it are archived
    examined: bool  # a build has examined the raw rows (else nothing is archived yet)
    batches: tuple[DayBatch, ...]
    stats_cutoff: date | None
    stats_rows: dict[str, int] = field(default_factory=dict)

    def lines(self, settings: RetentionSettings) -> list[str]:
        """The plan as the CLI prints it, day by day."""
        out = [
            f"retention on {describe(self.target)}: raw rows of local days before {self.cutoff} "
            f"go to {self.archive_dir}"
        ]
        if not self.examined:
            out.append("no build has examined the raw rows yet: nothing is archived before one has")
        for b in self.batches:
            held = f" ({b.archived} already archived: deleted only)" if b.archived else ""
            out.append(f"archive {b.table} {b.day} {b.rows} rows{held}")
        total = sum(b.rows for b in self.batches)
        out.append(f"raw: {total} rows of {len({b.day for b in self.batches})} days to archive")
        if self.stats_cutoff is None:
            out.append("stats: kept forever (BIZSTATS_RETENTION_STATS_DAYS is not set)")
        else:
            for mart, n in self.stats_rows.items():
                out.append(f"delete {mart} rows of periods ending before {self.stats_cutoff}: {n}")
        out.append(f"real-time counters expire {settings.realtime_ttl_days} days after their last event")
        return out


def archive_root(target: Target, settings: RetentionSettings) -> Path:
    """BIZSTATS_ARCHIVE_DIR, else `<DuckDB file>.archive` beside the warehouse, else (MySQL,
    MariaDB) `archive/<schema>` under the project folder."""
    if settings.archive_dir is not None:
        return settings.archive_dir.resolve()
    if target.name == "duckdb":
        path = target.duckdb_path
        return path.with_name(path.name + ".archive")
    from bizstats.config import project_dir

    return project_dir() / "archive" / target.models_schema


def cutoff_day(settings: RetentionSettings, before: date | None, today: date | None = None) -> date:
    """The first local day kept: today minus BIZSTATS_RETENTION_RAW_DAYS, or `before` when
    earlier (`--before` narrows a run, never widens it)."""
    limit = (today or local_today()) - timedelta(days=settings.raw_days)
    return min(limit, before) if before is not None else limit


def period_threshold(mart: str, cutoff: date) -> date:
    """The mart's rows whose date column is before this lie wholly before `cutoff`: a week
    or a month goes only when its last day does."""
    if MART_DATES[mart] == "week_start":
        return cutoff - timedelta(days=6)
    if MART_DATES[mart] == "month_start":
        return cutoff.replace(day=1)
    return cutoff


def _stats_rows(con: Any, target: Target, cutoff: date | None) -> dict[str, int]:
    if cutoff is None:
        return {}
    found = {}
    for mart, column in MART_DATES.items():
        if not rules.table_exists(con, target, target.models_schema, mart):
            continue
        table = qualified(target, target.models_schema, mart)
        ph = placeholder(target)
        sql = f"select count(*) from {table} where {column} < {ph}"
        (n,) = fetch_all(con, sql, (period_threshold(mart, cutoff),))[0]
        found[mart] = int(n)
    return found


def _plan(con: Any, target: Target, settings: RetentionSettings, before: date | None,
          today: date | None) -> tuple[Plan, dict[tuple[str, date], list[int]]]:
    h = rules.horizon(con, target, cutoff_day(settings, before, today), offset_hours())
    business = rules.business_ids(con, target, h)
    root = archive_root(target, settings)
    chosen = {("event_logs", d): rules.event_ids(con, target, h, d) for d in rules.event_days(con, target, h)}
    chosen.update(business)
    batches = []
    for (table, day), ids in chosen.items():
        done = _archived_keys(manifest.day_folder(root, table, day), table)
        held = sum(1 for key in _keys(con, target, table, ids) if key in done) if done else 0
        batches.append(DayBatch(table, day, len(ids), held))
    con.commit()
    batches.sort(key=lambda b: (b.day, list(parts_order()).index(b.table)))
    stats_cutoff = None
    if settings.stats_days is not None:
        stats_cutoff = (today or local_today()) - timedelta(days=settings.stats_days)
    plan = Plan(target, root, h.cutoff, h.scanned_to is not None,
                tuple(batches), stats_cutoff, _stats_rows(con, target, stats_cutoff))
    return plan, chosen


def parts_order() -> Sequence[str]:
    return ("event_logs", *rules.BUSINESS)


def plan(target: Target, settings: RetentionSettings, before: date | None = None,
         today: date | None = None) -> Plan:
    """What `run` would archive and delete now (reads only)."""
    with connect(target, create=False) as con:
        return _plan(con, target, settings, before, today)[0]


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    archived: int  # rows written to new parts
    deleted: int  # raw rows deleted (archived by this run or by a killed one)
    stats_deleted: int


def run(target: Target, settings: RetentionSettings, before: date | None = None,
        today: date | None = None, progress: Progress = _quiet) -> RunResult:
    """Archive every (table, day) of the plan, then delete the marts' old rows if asked."""
    with warehouse_lock(target, "retention run", progress), connect(target) as con:
        the_plan, chosen = _plan(con, target, settings, before, today)
        root = the_plan.archive_dir
        archived = deleted = 0
        for batch in the_plan.batches:
            ids = chosen[(batch.table, batch.day)]
            written, removed = _archive_day(con, target, root, batch.table, batch.day, ids, settings)
            archived += written
            deleted += removed
            progress(f"archived {batch.table} {batch.day}: {written} rows written, {removed} deleted")
        stats_deleted = _delete_stats(con, target, the_plan)
        for mart, n in the_plan.stats_rows.items():
            progress(f"deleted {n} rows of {mart} (periods ending before {the_plan.stats_cutoff})")
        return RunResult(the_plan, archived, deleted, stats_deleted)


def _fault(settings: RetentionSettings, point: str) -> None:
    """The test hook BIZSTATS_RETENTION_FAULT: the process kills itself at that point."""
    if settings.fault == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _fetch(con: Any, target: Target, table: str, ids: Sequence[int]) -> list[parts.Row]:
    names = ", ".join(name for name, _ in parts.columns(table))
    ident = parts.row_id(table)
    raw = qualified(target, target.raw_schema, table)
    ph = placeholder(target)
    rows: list[parts.Row] = []
    for i in range(0, len(ids), CHUNK):
        chunk = list(ids[i:i + CHUNK])
        marks = ", ".join([ph] * len(chunk))
        sql = f"select {names} from {raw} where {ident} in ({marks}) order by {ident}"
        rows += fetch_all(con, sql, chunk)
    con.commit()
    return rows


def _keys(con: Any, target: Target, table: str, ids: Sequence[int]) -> list[tuple[int, str | None]]:
    """(surrogate, _loaded_at) of the table's rows `ids`."""
    raw = qualified(target, target.raw_schema, table)
    ident = parts.row_id(table)
    ph = placeholder(target)
    found: list[tuple[int, str | None]] = []
    for i in range(0, len(ids), CHUNK):
        chunk = list(ids[i:i + CHUNK])
        sql = f"select {ident}, _loaded_at from {raw} where {ident} in ({', '.join([ph] * len(chunk))})"
        found += [(int(x), parts.canonical(loaded)) for x, loaded in fetch_all(con, sql, chunk)]
    return found


def _archived_keys(folder: Path, table: str) -> set[tuple[int, str | None]]:
    """(surrogate, _loaded_at) of the rows the day's listed parts hold."""
    if not folder.is_dir():
        return set()
    paths = [folder / p.file for p in manifest.read_parts(folder)]
    return {(int(r[0]), parts.canonical(r[-1])) for r in parts.read(paths, table)}


def _archive_day(con: Any, target: Target, root: Path, table: str, day: date, ids: Sequence[int],
                 settings: RetentionSettings) -> tuple[int, int]:
    """One (table, day): steps 1 to 4 of the module's docstring. Returns (written, deleted)."""
    folder = manifest.day_folder(root, table, day)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in manifest.orphans(folder):
        leftover.unlink()
    done = _archived_keys(folder, table)
    rows = _fetch(con, target, table, ids)
    fresh = [r for r in rows if (int(r[0]), parts.canonical(r[-1])) not in done]
    if fresh:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"part-{stamp}.parquet"
        parts.write(path, table, fresh)
        manifest.sync_folder(folder)
        checksum = parts.rows_checksum(fresh)
        if parts.rows_checksum(parts.read([path], table)) != checksum:
            path.unlink()
            raise BizstatsError(f"archive part {path} does not read back as written (its rows' "
                                "checksum differs): check the archive's disk, then run again")
        _fault(settings, "after_file")
        entry = manifest.Part(path.name, len(fresh), checksum, parts.file_checksum(path),
                              datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"))
        manifest.write_parts(folder, table, day, [*manifest.read_parts(folder), entry])
        _fault(settings, "after_manifest")
    return len(fresh), _delete(con, target, table, [int(r[0]) for r in rows], settings)


def _delete(con: Any, target: Target, table: str, ids: Sequence[int], settings: RetentionSettings) -> int:
    raw = qualified(target, target.raw_schema, table)
    ident = parts.row_id(table)
    ph = placeholder(target)
    cur = con.cursor()
    size = 1 if settings.fault == "mid_delete" else CHUNK  # the hook stops after one row
    for i in range(0, len(ids), size):
        chunk = list(ids[i:i + size])
        cur.execute(f"delete from {raw} where {ident} in ({', '.join([ph] * len(chunk))})", chunk)
        con.commit()
        if i == 0:
            _fault(settings, "mid_delete")
    return len(ids)


def _delete_stats(con: Any, target: Target, the_plan: Plan) -> int:
    if the_plan.stats_cutoff is None:
        return 0
    cur = con.cursor()
    ph = placeholder(target)
    for mart in the_plan.stats_rows:
        table = qualified(target, target.models_schema, mart)
        threshold = period_threshold(mart, the_plan.stats_cutoff)
        cur.execute(f"delete from {table} where {MART_DATES[mart]} < {ph}", (threshold,))
    con.commit()
    return sum(the_plan.stats_rows.values())
