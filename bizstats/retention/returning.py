"""A returning user's archived rows back before the build (回流用户的归档数据).

The archive (数据归档) takes a user's business rows only once the user has no live row. When
that user comes back (a new bank card two years later) the build's first-time milestones
(int_first_times) and cumulative amounts read all of the user's history: without the
archived rows a new card would count as the user's first bind again. So, before the build
examines the rows loaded since its last scan (bizstats.changes.scan_new_rows), it puts back
from the archive:

- every archived business row (users, real_name_auths, bank_cards, member_orders, orders,
  deductions) of every user who has a new row in any raw table (events included), and the
  archived refunds of those users' deductions;
- every archived deduction a new refund references, with its user's rows as above (the
  cumulative deductions are net of refunds, and a refund counts only through its deduction).

"New" is `_loaded_at` after the build state's `scanned_to`. The rows are inserted with their
surrogate and `_loaded_at` as archived, and only when the table lacks that surrogate (the
rule of bizstats.retention.restore), so nothing is duplicated; they were examined by a build
before they were archived, so they make no day pending. The archive keeps its parts (the
manifest stays true); the next `bizstats retention run` keeps them live while their user
has a live row (bizstats.retention.rules) and, once the user is quiet again, deletes them
from the table without writing them twice (they are already in the day's parts).

An event delivered again (its event_id loaded anew) on an archived local day gets its
archived deliveries back too, so the staging keeps the first delivery (the earliest
created_at) as it did before the archive: on DuckDB every delivery is a raw row; on
MySQL/MariaDB, one row per event_id, the archived delivery goes through the loader's rule
(bizstats.load.write.keep_earliest). It happens: load files and signed back-end sources are
never quarantined, and a quarantined browser event, once admitted, is stored as a new row.

Cheap when nothing needs it: the archive's folders are listed (no manifest read) before
anything else, and without an archived day nothing is queried; without a new row of a user,
a new refund or a new event of an archived day no manifest or Parquet file is read; only the
parts of the new events' days are read for them, and only the parts that hold a matching row
have their checksums verified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb

from bizstats.config import Target
from bizstats.contract import LOADED_AT
from bizstats.db import fetch_all, placeholder, qualified
from bizstats.errors import BizstatsError
from bizstats.local_time import local_date, offset_hours
from bizstats.retention import manifest, parts, rules
from bizstats.retention.archive import archive_root
from bizstats.retention.restore import insert_rows
from bizstats.settings import settings

Progress = Callable[[str], None]

# the business tables keyed by user (refunds reach their user through the deduction)
USER_TABLES = tuple(name for name in rules.BUSINESS if name != "refunds")
_STATE = "bizstats_build_state"


@dataclass(frozen=True)
class Returning:
    """What the rows loaded since the last scan reference: their users, the deductions of
    the new refunds, and the events delivered again on an archived local day."""

    users: frozenset[str]
    deductions: frozenset[str]
    events: frozenset[tuple[str, date]] = frozenset()  # (event_id, local day of event_time)

    def __bool__(self) -> bool:
        return bool(self.users or self.deductions or self.events)


def _quiet(_: str) -> None:
    return None


def _listed_parts(root: Path, tables: Iterable[str],
                  days: Sequence[date] | None = None) -> dict[str, list[tuple[Path, manifest.Part]]]:
    """The parts the manifests of `tables` list (of `days` only, when given), per table."""
    found: dict[str, list[tuple[Path, manifest.Part]]] = {}
    for table in tables:
        for day in manifest.listed_days(root, table) if days is None else days:
            folder = manifest.day_folder(root, table, day)
            found.setdefault(table, []).extend((folder / p.file, p) for p in manifest.read_parts(folder))
    return {table: entries for table, entries in found.items() if entries}


def new_references(con: Any, target: Target, event_days: Sequence[date] = (),
                   business: bool = True) -> Returning:
    """The users and refunded deductions of the raw rows loaded after `scanned_to`, and
    the new events of the archived local days `event_days` (none before the first scan:
    nothing is archived before a build examined it). Without `business` (no business row
    archived) only the events."""
    schema = target.models_schema
    if not rules.table_exists(con, target, schema, _STATE):
        return Returning(frozenset(), frozenset())
    state = qualified(target, schema, _STATE)
    rows = fetch_all(con, f"select scanned_to from {state} where state_key = 'raw'")
    if not rows or rows[0][0] is None:
        con.commit()
        return Returning(frozenset(), frozenset())
    after = rows[0][0]
    ph = placeholder(target)

    def distinct(table: str, column: str) -> set[str]:
        raw = qualified(target, target.raw_schema, table)
        sql = f"select distinct {column} from {raw} where {LOADED_AT} > {ph} and {column} is not null"
        return {str(v) for (v,) in fetch_all(con, sql, (after,))}

    users: set[str] = set()
    deductions: set[str] = set()
    if business:
        for table in ("event_logs", *USER_TABLES):
            users |= distinct(table, "user_id")
        deductions = distinct("refunds", "deduction_id")
    events: set[tuple[str, date]] = set()
    if event_days:
        hours = offset_hours()
        until = datetime.combine(max(event_days) + timedelta(days=1), time()) - timedelta(hours=hours)
        raw = qualified(target, target.raw_schema, "event_logs")
        sql = (f"select distinct event_id, event_time from {raw} "
               f"where {LOADED_AT} > {ph} and event_time < {ph}")
        archived = set(event_days)
        for event_id, at in fetch_all(con, sql, (after, until)):
            day = local_date(at, hours)
            if day in archived:
                events.add((str(event_id), day))
    con.commit()
    return Returning(frozenset(users), frozenset(deductions), frozenset(events))


def _files(entries: Iterable[tuple[Path, manifest.Part]]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path, _ in entries) + "]"


def _matching(duck: Any, table: str, entries: list[tuple[Path, manifest.Part]],
              where: str) -> list[tuple[Path, parts.Row]]:
    """(part, row) of the archived rows of `table` that match `where` (over the temporary
    tables wanted_users and wanted_deductions)."""
    names = ", ".join(f'"{name}"' for name, _ in parts.columns(table))
    sql = (f"select filename, {names} from read_parquet({_files(entries)}, filename = true) "
           f"where {where} order by 2")
    return [(Path(row[0]), tuple(row[1:])) for row in duck.execute(sql).fetchall()]


def _verify(entries: list[tuple[Path, manifest.Part]], used: set[Path]) -> None:
    """The file checksum of every part a row is taken from, as its manifest lists it."""
    for path, part in entries:
        if path in used and (not path.is_file() or parts.file_checksum(path) != part.file_sha256):
            raise BizstatsError(f"archive part {path} is missing or changed (its checksum differs from "
                                f"{path.parent / manifest.MANIFEST}): restore it from a copy first")


def _fill(duck: Any, table: str, keys: Iterable[str]) -> None:
    rows = [(k,) for k in sorted(keys)]
    if rows:
        duck.executemany(f"insert into {table} values (?)", rows)


def archived_rows(listed: dict[str, list[tuple[Path, manifest.Part]]],
                  wanted: Returning) -> dict[str, list[parts.Row]]:
    """The archived rows the module's rule puts back for `wanted`, per table (parts verified)."""
    duck = duckdb.connect()
    try:
        duck.execute("create temporary table wanted_users (k varchar)")
        duck.execute("create temporary table wanted_deductions (k varchar)")
        duck.execute("create temporary table wanted_events (k varchar)")
        _fill(duck, "wanted_deductions", wanted.deductions)
        _fill(duck, "wanted_users", wanted.users)
        if "deductions" in listed and wanted.deductions:  # the refunded deductions' users return too
            duck.execute(
                f"insert into wanted_users select distinct user_id from read_parquet("
                f"{_files(listed['deductions'])}) where user_id is not null "
                "and deduction_id in (select k from wanted_deductions)"
            )
        by_user = "user_id in (select k from wanted_users)"
        found: dict[str, list[tuple[Path, parts.Row]]] = {}
        for table in USER_TABLES:
            if table in listed:
                where = by_user
                if table == "deductions":
                    where = f"({by_user} or deduction_id in (select k from wanted_deductions))"
                found[table] = _matching(duck, table, listed[table], where)
        if "refunds" in listed:
            # the refunds of the deductions put back (whether they come back or are live)
            ded_id = [name for name, _ in parts.columns("deductions")].index("deduction_id")
            _fill(duck, "wanted_deductions", {str(row[ded_id]) for _, row in found.get("deductions", [])})
            found["refunds"] = _matching(duck, "refunds", listed["refunds"],
                                         "deduction_id in (select k from wanted_deductions)")
        if wanted.events and "event_logs" in listed:
            _fill(duck, "wanted_events", {event_id for event_id, _ in wanted.events})
            found["event_logs"] = _matching(duck, "event_logs", listed["event_logs"],
                                            "event_id in (select k from wanted_events)")
    finally:
        duck.close()
    out: dict[str, list[parts.Row]] = {}
    for table, matches in found.items():
        if matches:
            _verify(listed[table], {path for path, _ in matches})
            unique = {int(row[0]): row for _, row in matches}  # a surrogate in two parts: once
            out[table] = [unique[k] for k in sorted(unique)]
    return out


def restore_returning(con: Any, target: Target, progress: Progress = _quiet) -> int:
    """What a build runs before it scans the new rows, over its own connection `con` (it
    holds the warehouse lock): the module's rule. Returns the rows inserted."""
    root = archive_root(target, settings().retention)
    if not root.is_dir():
        return 0
    business = any(manifest.listed_days(root, table) for table in rules.BUSINESS)
    event_days = manifest.listed_days(root, "event_logs")
    if not business and not event_days:
        return 0
    wanted = new_references(con, target, event_days, business)
    if not wanted:
        return 0
    listed = _listed_parts(root, rules.BUSINESS) if wanted.users or wanted.deductions else {}
    if wanted.events:  # only the parts of the days the new events fall on
        days = sorted({day for _, day in wanted.events})
        listed.update(_listed_parts(root, ["event_logs"], days))
    inserted = 0
    for table, rows in archived_rows(listed, wanted).items():
        n = insert_rows(con, target, table, rows, upsert=table == "event_logs")
        inserted += n
        if n:
            progress(f"restored {n} archived {table} rows of returning users")
    return inserted

