"""The build's side of the DuckDB collector's spool (bizstats.load.collected.spool): its rows
into the warehouse.

`ingest_spool(target)` moves the spooled rows into the raw `event_logs` under the warehouse
lock (like a load), stamped with one `_loaded_at`: a row's `seq` only grows (one writer at a
time, AUTOINCREMENT), and the last `seq` ingested is stored in DuckDB by the same transaction
as the rows, so an ingest killed at any point neither loses nor repeats a row. Ingested rows
stay in the spool for `KEEP_DAYS` (the ids recognised as duplicates), then are pruned.
Every ingest also copies the spool's collection tally (bizstats.load.collected.tally) into the
raw table `collect_daily_tally`, replacing the days it holds (the spool's counts of a day only
grow), even when no event is new.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bizstats.config import Target
from bizstats.contract import LOADED_AT
from bizstats.db import create_table, ensure_raw_tables, qualified, using
from bizstats.load import quarantine
from bizstats.load.collected.spool import COLUMNS, open_spool, spool_path
from bizstats.load.collected.tally import COLUMNS as TALLY_COLUMNS
from bizstats.load.collected.tally import TABLE as TALLY_TABLE
from bizstats.load.ledger import COMMITTED, LEDGER_TABLE, ensure_side_tables
from bizstats.lock import warehouse_lock

KEEP_DAYS = 7
STATE_TABLE = "_collector_spool"  # DuckDB raw schema: the last seq ingested, per spool


def _ingested_seq(con: Any, target: Target, spool: str) -> int:
    state = qualified(target, target.raw_schema, STATE_TABLE)
    con.execute(f"create table if not exists {state} (spool varchar primary key, last_seq bigint not null)")
    found = con.execute(f"select last_seq from {state} where spool = ?", (spool,)).fetchall()
    return int(found[0][0]) if found else 0


def ingest_spool(target: Target, con: Any | None = None) -> int:
    """Move the spooled events into the DuckDB raw `event_logs`, under the warehouse lock;
    returns the rows ingested. Call it before a build plans its range (the build then sees
    the rows through their `_loaded_at` like any load), passing the build's connection `con`
    (None: a connection of its own). A no-op on MySQL. On Spark (`bizstats collect ingest
    --target spark`): into its control database, then the lake synced (bizstats.spark.lake; a
    build ingests into the control database itself and syncs once it has planned)."""
    if target.is_spark:
        from bizstats.spark.lake import sync_lake

        with warehouse_lock(target.control, "ingest"):
            ingested = ingest_spool(target.control, con)
            sync_lake(target, con)
        return ingested
    if target.name != "duckdb":
        return 0
    path = spool_path(target)
    if not path.is_file():
        return 0
    with warehouse_lock(target, "ingest"):
        ensure_raw_tables(target, con)
        with using(target, con) as live:
            ensure_side_tables(live, target)
            after = _ingested_seq(live, target, str(path))
            spool = open_spool(path)
            try:
                got = spool.execute("select max(seq) from spool").fetchone()[0] or 0
                ingested = _ingest(live, target, spool, str(path), after, got) if got > after else 0
                _ingest_tally(live, target, spool)
                cutoff = f"{datetime.now(UTC) - timedelta(days=KEEP_DAYS):%Y-%m-%d %H:%M:%S}"
                spool.execute("delete from spool where seq <= ? and received_at < ?", (got, cutoff))
                spool.execute("delete from tally where stat_date < ?", (cutoff[:10],))  # copied above
            finally:
                spool.close()
    return ingested


def _ingest(con: Any, target: Target, spool: sqlite3.Connection, name: str, after: int, upto: int) -> int:
    """One DuckDB transaction: the rows (after, upto] of the spool, the new last seq, a
    ledger entry."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="bizstats-spool-") as tmp:
        rows_file, held_file = Path(tmp) / "rows.ndjson", Path(tmp) / "quarantined.ndjson"
        count = duplicates = held = 0
        with open(rows_file, "wb") as out, open(held_file, "wb") as out_held:
            query = "select row, duplicate, quarantine from spool where seq > ? and seq <= ? order by seq"
            for raw, dup, reason in spool.execute(query, (after, upto)):
                if reason is not None:
                    out_held.write(raw[:-1] + b',"reason":' + orjson.dumps(reason) + b"}\n")
                    held += 1
                    continue
                out.write(raw + b"\n")
                count += 1
                duplicates += dup
        types = {c: ("varchar" if c not in ("amount", "event_time", "created_at") else
                     "decimal(18,2)" if c == "amount" else "timestamp") for c in COLUMNS}  # fmt: skip
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
        names = ", ".join(f'"{c}"' for c in COLUMNS)
        raw_table = qualified(target, target.raw_schema, "event_logs")
        state = qualified(target, target.raw_schema, STATE_TABLE)
        path_literal = str(rows_file).replace("'", "''")
        con.execute("begin")
        try:
            if count:
                con.execute(
                    f"insert into {raw_table} ({names}, {LOADED_AT}) select {names}, ? from "
                    f"read_json('{path_literal}', format = 'newline_delimited', columns = {spec})",
                    (loaded_at,),
                )
            if held:
                _hold(con, target, held_file, spec, loaded_at)
            con.execute(f"delete from {state} where spool = ?", (name,))
            con.execute(f"insert into {state} values (?, ?)", (name, upto))
            digest = hashlib.sha256(f"{name} {after} {upto}".encode()).hexdigest()
            file = f"collector spool {name} seq {after + 1}..{upto}"
            # on the same connection (a DuckDB cursor would be another transaction)
            ledger = qualified(target, target.raw_schema, LEDGER_TABLE)
            if count:
                con.execute(
                    f"insert into {ledger} values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ("event_logs", file, digest, count, count, 0, duplicates, COMMITTED, loaded_at),
                )
            con.execute("commit")
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute("rollback")
            raise
    return count


def _hold(con: Any, target: Target, rows_file: Path, spec: str, loaded_at: datetime) -> None:
    """The quarantined rows of an ingest into `_quarantined_events` (in the caller's
    transaction), quarantined_at the ingest's time; an event_id already held is kept once."""
    for statement in quarantine.create_statements(target):
        con.execute(statement)
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    held = quarantine.table(target)
    columns = spec[:-1] + ", 'reason': 'varchar'}"
    path_literal = str(rows_file).replace("'", "''")
    con.execute(
        f"insert into {held} ({names}, reason, quarantined_at) "
        f"select distinct on (event_id) {names}, reason, ? from "
        f"read_json('{path_literal}', format = 'newline_delimited', columns = {columns}) as sent "
        f"where not exists (select 1 from {held} as h where h.event_id = sent.event_id)",
        (loaded_at,),
    )


def _ingest_tally(con: Any, target: Target, spool: sqlite3.Connection) -> None:
    """The spool's tally rows into the raw `collect_daily_tally` (one transaction): each
    (day, outcome) the spool holds replaces the stored one; days pruned from the spool stay."""
    rows = spool.execute("select stat_date, outcome, delivered, events from tally").fetchall()
    if not rows:
        return
    table = create_table(con.cursor(), target, target.raw_schema, TALLY_TABLE, TALLY_COLUMNS)
    con.execute("begin")
    try:
        for stat_date, outcome, delivered, events in rows:
            con.execute(f"delete from {table} where stat_date = ? and outcome = ?", (stat_date, outcome))
            con.execute(f"insert into {table} values (?, ?, ?, ?)", (stat_date, outcome, delivered, events))
        con.execute("commit")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("rollback")
        raise
