"""`bizstats retention restore`: put archived raw rows back in the live tables for a rebuild.

Restoring days D1..D2 inserts, under the warehouse lock, every archived event_logs row of
those local days and every archived row of the other raw tables (whatever its day: a user's
first-time milestones and the cumulative amounts read all of the user's rows) that the table
does not hold (same surrogate), with its surrogate and `_loaded_at` as they were. The rows
were examined by a build before they were archived, so they make no day pending; a build of
D1..D2 afterwards gives the marts the warehouse had before the archive. The archive keeps its
files: the next `bizstats retention run` deletes those rows from the table again (they are
already archived, nothing is written twice). Each part's file checksum is verified first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.db import connect, fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError
from bizstats.load.write import keep_earliest
from bizstats.lock import warehouse_lock
from bizstats.retention import manifest, parts, rules
from bizstats.retention.archive import CHUNK, archive_root
from bizstats.settings import RetentionSettings, settings

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class RestoreResult:
    restored: dict[str, int]  # rows inserted per table
    present: int  # archived rows the tables already held


def _verified(folder: Path) -> list[Path]:
    paths = []
    for part in manifest.read_parts(folder):
        path = folder / part.file
        if not path.is_file() or parts.file_checksum(path) != part.file_sha256:
            raise BizstatsError(f"archive part {path} is missing or changed (its checksum differs from "
                                f"{folder / manifest.MANIFEST}): restore it from a copy first")
        paths.append(path)
    return paths


def _folders(root: Path, table: str, start: date, end: date) -> list[Path]:
    days = manifest.archived_days(root, table)
    chosen = [d for d in days if table != "event_logs" or start <= d <= end]
    return [manifest.day_folder(root, table, d) for d in sorted(chosen)]


def insert_rows(con: Any, target: Target, table: str, rows: Sequence[parts.Row], upsert: bool = False) -> int:
    """Insert the archived `rows` of `table` the table lacks (by surrogate), in chunks, each
    committed; returns how many were inserted. MySQL's event_logs keep one row per event_id:
    the row held stays, or with `upsert` the loader's rule decides (the delivery with the
    earliest created_at, bizstats.load.write.keep_earliest)."""
    raw = qualified(target, target.raw_schema, table)
    ident = parts.row_id(table)
    ph = placeholder(target)
    names = [name for name, _ in parts.columns(table)]
    inserted = 0
    cur = con.cursor()
    for i in range(0, len(rows), CHUNK):
        chunk = list(rows[i:i + CHUNK])
        marks = ", ".join([ph] * len(chunk))
        held = {int(x) for (x,) in fetch_all(
            con, f"select {ident} from {raw} where {ident} in ({marks})", [r[0] for r in chunk])}
        missing = [r for r in chunk if int(r[0]) not in held]
        if missing:
            # MySQL's event_logs keep one row per event_id: a second delivery stays archived only
            one_per_event = target.name == "mysql" and table == "event_logs"
            verb = "insert ignore" if one_per_event and not upsert else "insert"
            tail = keep_earliest(TABLES["event_logs"], raw) if one_per_event and upsert else ""
            cur.executemany(
                f"{verb} into {raw} ({', '.join(names)}) values ({', '.join([ph] * len(names))}){tail}",
                missing,
            )
        con.commit()
        inserted += len(missing)
    return inserted


def _insert_duckdb(con: Any, target: Target, table: str, paths: Sequence[Path]) -> tuple[int, int]:
    """DuckDB reads the parts itself: one INSERT ... SELECT of the rows the table lacks.
    Returns (inserted, rows in the parts)."""
    raw = qualified(target, target.raw_schema, table)
    ident = parts.row_id(table)
    names = ", ".join(f'"{name}"' for name, _ in parts.columns(table))
    files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    archived = f"read_parquet({files})"
    (total, held) = fetch_all(
        con,
        f"select count(*), count(live.{ident}) from {archived} as archived "
        f"left join {raw} as live on live.{ident} = archived.{ident}",
    )[0]
    con.cursor().execute(
        f"insert into {raw} ({names}) select {names} from {archived} as archived "
        f"where not exists (select 1 from {raw} as live where live.{ident} = archived.{ident})"
    )
    con.commit()
    return int(total) - int(held), int(total)


def restore(target: Target, settings: RetentionSettings, start: date, end: date,
            progress: Progress = _quiet) -> RestoreResult:
    """Put the archived rows of local days start..end (event_logs) and every archived row of
    the other raw tables back into the live tables."""
    if start > end:
        raise BizstatsError(f"--start {start} is after --end {end}")
    root = archive_root(target, settings)
    restored: dict[str, int] = {}
    present = 0
    with warehouse_lock(target, "retention restore", progress), connect(target) as con:
        for table in ("event_logs", *rules.BUSINESS):
            for folder in _folders(root, table, start, end):
                paths = _verified(folder)
                if target.name == "duckdb":
                    n, total = _insert_duckdb(con, target, table, paths)
                else:
                    rows = parts.read(paths, table)
                    n, total = insert_rows(con, target, table, rows), len(rows)
                restored[table] = restored.get(table, 0) + n
                present += total - n
                progress(f"restored {table} {folder.name.removeprefix('day=')}: {n} rows")
    return RestoreResult(restored, present)


def _archived(target: Target) -> tuple[RetentionSettings, list[date]]:
    found = settings().retention
    root = archive_root(target, found)
    if not root.is_dir():
        return found, []
    tables = ("event_logs", *rules.BUSINESS)
    return found, sorted({day for table in tables for day in manifest.listed_days(root, table)})


def restore_for_build(target: Target, start: date, end: date, progress: Progress = _quiet) -> int:
    """What a build runs before dbt: when the archive holds a day of its range widened to
    whole ISO weeks and months (what the weekly and monthly marts read), the archived rows
    `restore` puts back for those days; returns how many it inserted (0 without an archive,
    or when it holds none of those days). So a backfill or a rebuild of archived days reads
    what was archived, and gives the marts they had before."""
    first = min(start - timedelta(days=start.weekday()), start.replace(day=1))
    found, days = _archived(target)
    if not any(first <= day <= end for day in days):
        return 0
    return sum(restore(target, found, first, end, progress).restored.values())


def restore_everything(target: Target, progress: Progress = _quiet) -> int:
    """Every archived row back (what a full refresh runs before planning: it recreates the
    tables from the raw rows and starts at the first day of data)."""
    found, days = _archived(target)
    if not days:
        return 0
    return sum(restore(target, found, days[0], days[-1], progress).restored.values())
