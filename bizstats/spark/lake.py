"""The lake sync (湖同步): the landed raw rows published to Parquet for Spark's raw tables.

On the spark target the loader and the collector's ingest write the raw rows into the
landing, the control database's `main_raw.<table>` (a DuckDB file, `Target.control`), with
the same checks, ledger and duplicate rules as the duckdb target. `sync_lake` then publishes
them where Spark reads them:

- one Parquet file per (table, load day): `<lake>/<schema>_raw/<table>/_loaded_date=D/part-0.parquet`
  (BIZSTATS_SPARK_LAKE_DIR; D the UTC date of `_loaded_at`), written by DuckDB's `COPY ... TO`,
  datetimes as instants (timestamptz, UTC), the landing's columns in its order;
- the Spark table `<schema>_raw.<table>`, created if missing: an external Parquet table over
  `<lake>/<schema>_raw/<table>`, the landing's columns as Spark types (string, decimal(18,2),
  timestamp, bigint), then `_loaded_date date`, `partitioned by (_loaded_date)`; its
  partitions added (`alter table ... add if not exists partition`) and dropped as load days
  come and go, then `refresh table`.

Incremental: `main.bizstats_lake_partitions` of the control database remembers each published
(table, load day) by its fingerprint — row count, min and max row id, max `_loaded_at`. A
sync re-writes only the load days whose fingerprint changed (rows added, or removed by the
archive) or whose file is missing, and drops the partitions (folder and Spark partition) of
load days the landing no longer holds. A sync with nothing new writes nothing. A change of
rows in place (a key rotation) keeps the fingerprints: `forget_published` makes the next sync
re-write the tables it names.

Safe to kill: a day's new file is written under a hidden temporary name (Spark skips names
starting with `.`) and renamed over the old one (one atomic rename: Spark reads the old rows
or the new, never both), then its partition is registered and only then its fingerprint
recorded. A sync killed anywhere leaves days whose fingerprint is not recorded: the next one
writes them again, and removes the temporary files left behind.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bizstats.config import Target
from bizstats.contract import LOADED_AT, TABLES
from bizstats.db import connect, ensure_raw_tables, fetch_all, qualified, using
from bizstats.errors import BizstatsError
from bizstats.settings import settings

PARTITIONS = "bizstats_lake_partitions"  # control database, models schema (main)
PARTITION_COLUMN = "_loaded_date"
DATA_FILE = "part-0.parquet"
_TEMP_PREFIX = ".tmp-"
_PER_STATEMENT = 200  # partitions per ALTER TABLE ... ADD/DROP PARTITION

Progress = Callable[[str], None]
# a load day's fingerprint: rows, min row id, max row id, max _loaded_at
Fingerprint = tuple[int, int, int, datetime]


@dataclass(frozen=True)
class LakeSync:
    """What a sync did: load days written (re-written included), their rows, partitions
    dropped, tables created in Spark, and how long it took."""

    written: int = 0
    rows: int = 0
    dropped: int = 0
    created: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        if not (self.written or self.dropped or self.created):
            return f"lake: nothing new to publish ({self.seconds:.1f} s)"
        parts = [f"{self.written:,} load days written ({self.rows:,} rows)"]
        if self.dropped:
            parts.append(f"{self.dropped:,} dropped")
        if self.created:
            parts.append(f"{self.created} Spark tables created")
        return f"lake: {', '.join(parts)} in {self.seconds:.1f} s"


def lake_table_dir(table: str) -> Path:
    """`<lake>/<spark schema>_raw/<table>`: the folder of a Spark raw table."""
    spark = settings().spark
    return spark.lake_dir / f"{spark.schema}_raw" / table


def spark_type(duckdb_type: str) -> str:
    """A landing column's DuckDB type as the Spark type of the raw table."""
    kind = duckdb_type.upper()
    if kind.startswith("DECIMAL"):
        return "decimal(18,2)"
    if kind.startswith("TIMESTAMP"):
        return "timestamp"
    if kind in ("BIGINT", "INTEGER", "HUGEINT"):
        return "bigint"
    if kind == "DATE":
        return "date"
    return "string"


def sync_lake(target: Target, con: Any | None = None, progress: Progress | None = None) -> LakeSync:
    """Publish the control database's raw rows to the lake and Spark's raw tables (module
    docstring), over the control connection `con` (None: one of its own). The caller holds
    the warehouse lock (a load, a build). Returns what it did; `progress` hears one line."""
    if not target.is_spark:
        raise BizstatsError(f"the lake is the spark target's; {target.name} has none")
    started = time.perf_counter()
    control = target.control
    written = rows = dropped = created = 0
    with using(control, con) as landing, connect(target) as spark:
        ensure_raw_tables(control, landing)
        _ensure_partitions_table(landing)
        cur = spark.cursor()
        cur.execute(f"create database if not exists `{target.raw_schema}`")
        cur.execute(f"show tables in `{target.raw_schema}`")
        existing = {str(row[1]).lower() for row in cur.fetchall()}  # (database, table, temporary)
        for table in TABLES:
            done = _sync_table(landing, cur, control, target, table, table in existing)
            written += done.written
            rows += done.rows
            dropped += done.dropped
            created += done.created
        landing.commit()
    result = LakeSync(written, rows, dropped, created, time.perf_counter() - started)
    if progress:
        progress(result.describe())
    return result


def forget_published(target: Target, tables: Iterable[str], con: Any | None = None) -> None:
    """Make the next sync re-write every load day of `tables`: for a change of the landing's
    rows in place (`bizstats pii rotate` re-encrypting extra_data), which leaves a day's
    fingerprint as it was. Over the control connection `con` (None: one of its own); the
    caller holds the warehouse lock."""
    names = list(tables)
    if not names:
        return
    control = target.control
    with using(control, con) as landing:
        _ensure_partitions_table(landing)
        landing.executemany(f"delete from main.{PARTITIONS} where table_name = ?", [(n,) for n in names])
        landing.commit()


def _ensure_partitions_table(con: Any) -> None:
    con.execute(
        f"create table if not exists main.{PARTITIONS} (table_name varchar not null, "
        "load_date date not null, row_count bigint not null, min_row_id bigint not null, "
        "max_row_id bigint not null, max_loaded_at timestamp not null, published_at timestamp not null, "
        "primary key (table_name, load_date))"
    )
    con.commit()


def _landing_columns(con: Any, control: Target, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(kind))
        for name, kind in fetch_all(
            con,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            (control.raw_schema, table),
        )
    ]


def _row_id(table: str) -> str:
    return "id" if table == "event_logs" else "_row_id"


def _landing_days(con: Any, control: Target, table: str) -> dict[date, Fingerprint]:
    row_id = _row_id(table)
    sql = (
        f"select cast({LOADED_AT} as date) as d, count(*), min({row_id}), max({row_id}), max({LOADED_AT}) "
        f"from {qualified(control, control.raw_schema, table)} group by 1"
    )
    return {d: (int(n), int(lo), int(hi), last) for d, n, lo, hi, last in fetch_all(con, sql)}


def _published_days(con: Any, table: str) -> dict[date, Fingerprint]:
    sql = (
        f"select load_date, row_count, min_row_id, max_row_id, max_loaded_at from main.{PARTITIONS} "
        "where table_name = ?"
    )
    return {d: (int(n), int(lo), int(hi), last) for d, n, lo, hi, last in fetch_all(con, sql, (table,))}


def _partition_dir(table_dir: Path, day: date) -> Path:
    return table_dir / f"{PARTITION_COLUMN}={day.isoformat()}"


def _days_on_disk(table_dir: Path) -> set[date]:
    found = set()
    prefix = f"{PARTITION_COLUMN}="
    if table_dir.is_dir():
        for entry in table_dir.iterdir():
            if entry.is_dir() and entry.name.startswith(prefix):
                try:
                    found.add(date.fromisoformat(entry.name.removeprefix(prefix)))
                except ValueError:
                    continue
    return found


@dataclass(frozen=True)
class _TableSync:
    written: int
    rows: int
    dropped: int
    created: int


def _sync_table(
    landing: Any, cur: Any, control: Target, target: Target, table: str, exists: bool
) -> _TableSync:
    columns = _landing_columns(landing, control, table)
    table_dir = lake_table_dir(table)
    table_dir.mkdir(parents=True, exist_ok=True)
    spark_table = f"`{target.raw_schema}`.`{table}`"
    created = _ensure_spark_table(cur, spark_table, exists, columns, table_dir)
    days = _landing_days(landing, control, table)
    published = {} if created else _published_days(landing, table)
    on_disk = _days_on_disk(table_dir)
    for day in on_disk:  # what a killed sync left behind
        for leftover in _partition_dir(table_dir, day).glob(f"{_TEMP_PREFIX}*"):
            leftover.unlink(missing_ok=True)
    to_write = sorted(
        day
        for day, fingerprint in days.items()
        if published.get(day) != fingerprint or not (_partition_dir(table_dir, day) / DATA_FILE).is_file()
    )
    to_drop = sorted(day for day in set(published) | on_disk if day not in days)
    for day in to_write:
        _write_day(landing, control, table, columns, _partition_dir(table_dir, day), day)
    # a new table sees every partition; else the days written (add if not exists: a day
    # re-written keeps its partition)
    to_add = sorted(days) if created else to_write
    _alter_partitions(cur, spark_table, "add if not exists", to_add)
    _alter_partitions(cur, spark_table, "drop if exists", to_drop)
    for day in to_drop:
        shutil.rmtree(_partition_dir(table_dir, day), ignore_errors=True)
    if to_write or to_drop or created:
        cur.execute(f"refresh table {spark_table}")
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if created:
        landing.execute(f"delete from main.{PARTITIONS} where table_name = ?", (table,))
    forget = [(table, day) for day in [*to_write, *to_drop]]
    if forget:
        landing.executemany(f"delete from main.{PARTITIONS} where table_name = ? and load_date = ?", forget)
    if to_write:
        landing.executemany(
            f"insert into main.{PARTITIONS} values (?, ?, ?, ?, ?, ?, ?)",
            [(table, day, *days[day], now) for day in to_write],
        )
    landing.commit()
    return _TableSync(len(to_write), sum(days[d][0] for d in to_write), len(to_drop), int(created))


def _ensure_spark_table(
    cur: Any, spark_table: str, exists: bool, columns: Sequence[tuple[str, str]], table_dir: Path
) -> bool:
    """Create the Spark raw table when it is missing, or when its columns are not the
    landing's (then recreated: it is external, its files stay); True when (re)created."""
    wanted = [name.lower() for name, _kind in columns] + [PARTITION_COLUMN]
    if exists:
        cur.execute(f"select * from {spark_table} limit 0")
        cur.fetchall()
        have = [str(d[0]).split(".")[-1].lower() for d in cur.description or []]
        if have == wanted:
            return False
        cur.execute(f"drop table if exists {spark_table}")
    definition = ", ".join(
        [f"`{column}` {spark_type(kind)}" for column, kind in columns] + [f"`{PARTITION_COLUMN}` date"]
    )
    location = table_dir.resolve().as_uri()
    cur.execute(
        f"create table if not exists {spark_table} ({definition}) using parquet "
        f"partitioned by ({PARTITION_COLUMN}) location '{location}'"
    )
    return True


def _write_day(
    landing: Any, control: Target, table: str, columns: Sequence[tuple[str, str]], folder: Path, day: date
) -> None:
    """One load day's rows to `folder/part-0.parquet`: written under a temporary name, then
    renamed over the old file (atomic)."""
    folder.mkdir(parents=True, exist_ok=True)
    select = ", ".join(
        f"timezone('UTC', \"{name}\") as \"{name}\"" if kind.upper().startswith("TIMESTAMP") else f'"{name}"'
        for name, kind in columns
    )
    temporary = folder / f"{_TEMP_PREFIX}{os.getpid()}-{DATA_FILE}"
    source = qualified(control, control.raw_schema, table)
    literal = str(temporary).replace("'", "''")
    landing.execute(
        f"copy (select {select} from {source} where cast({LOADED_AT} as date) = date '{day.isoformat()}' "
        f"order by {_row_id(table)}) to '{literal}' (format parquet)"
    )
    os.replace(temporary, folder / DATA_FILE)


def _alter_partitions(cur: Any, spark_table: str, verb: str, days: Iterable[date]) -> None:
    listed = [f"partition ({PARTITION_COLUMN} = '{day.isoformat()}')" for day in days]
    separator = " " if verb.startswith("add") else ", "
    for first in range(0, len(listed), _PER_STATEMENT):
        chunk = listed[first : first + _PER_STATEMENT]
        cur.execute(f"alter table {spark_table} {verb} {separator.join(chunk)}")
