"""`bizstats backup run`: one backup of a warehouse, then the old ones pruned.

What a backup holds, per target:

- DuckDB: the database file, copied under the warehouse lock after a CHECKPOINT while this
  process holds the file open (no build, load or other writer can change it meanwhile: a
  consistent copy of every table); beside it the collector's spool and the API key store
  (SQLite online backups: the collector may go on writing) and the warehouse's pseudonym
  secret file when there is one (the secret MySQL keeps as a table of the raw database), and
  the audit trail's SQLite file (an online backup too).
- Spark: its control database (BIZSTATS_SPARK_LANDING, a DuckDB file: the bookkeeping and the
  landed raw rows), backed up as a DuckDB warehouse is; the lake and Spark's tables are not
  (their owner snapshots them, or a full build re-makes them from the restored landing).
- MySQL/MariaDB: one `mariadb-dump --single-transaction` of the models and raw databases and
  the audit trail's `<schema>_audit` (one snapshot of all; the API keys are a table there),
  taken under the warehouse lock.

The audit trail is backed up but lives outside the warehouse: the row of this backup (written
once it has ended) and of a later restore go to the source's trail, never into the tables the
backup compares, so a restored copy equals its source table by table.

Every table's row count and checksum is recorded in the manifest: on DuckDB from the copied
file itself; on MySQL from consistent snapshots taken just before and just after the dump,
under the same lock (no build or load can run meanwhile). A table equal in both is recorded
exactly; one written meanwhile (raw event_logs by the collector, which takes no lock) as its
row counts before and after (`TableFigure.rows_after`), the range its restored copy must
fall in.

Nothing a backup writes holds a setting's value: no password (the dump reads it from a
private option file), no key (the manifest has the key's id only). Phone and id numbers are
masked or encrypted before they reach any table, so the backup holds them that way too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from bizstats.backup.crypto import HashingWriter, key_id, seal
from bizstats.backup.manifest import Manifest, Member, TableFigure
from bizstats.backup.sources import file_chunks, mysql_dump, private_folder, sqlite_copy
from bizstats.backup.store import BackupStore
from bizstats.backup.tables import duckdb_figures, mysql_figures, settled
from bizstats.backup_settings import BackupSettings
from bizstats.config import Target
from bizstats.db import connect, describe, fetch_all
from bizstats.lock import warehouse_lock
from bizstats.settings import settings

Say = Callable[[str], None]
SUFFIX = ".gz.enc"
WAREHOUSE_FILE, SPOOL, KEYS, PSEUDONYM_KEY, DUMP, AUDIT = (
    "warehouse.duckdb",
    "spool.sqlite",
    "keys.sqlite",
    "pseudonym-key",
    "mysql.sql",
    "audit.sqlite",
)
# MySQL/MariaDB: a database's role in a backup -> the suffix of its name after the schema
ROLES = {"models": "", "raw": "_raw", "audit": "_audit"}


def _quiet(_message: str) -> None:
    pass


def backup_settings() -> BackupSettings:
    """The backups' settings section of the current settings."""
    return BackupSettings.from_env(settings().environ)


class _Writer:
    """Seals members into one backup's folder."""

    def __init__(self, store: BackupStore, backup_id: str, key: bytes) -> None:
        self.store, self.id, self.key = store, backup_id, key
        self.members: list[Member] = []

    def add(self, name: str, chunks: Iterable[bytes]) -> None:
        stored = name + SUFFIX
        with self.store.writer(self.id, stored) as out:
            counted = HashingWriter(out)
            size, digest = seal(chunks, counted, self.key)
        self.members.append(Member(name, stored, counted.size, counted.digest.hexdigest(), size, digest))


def new_id(target: Target, now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{target.name}-{secrets.token_hex(2)}"


def run_backup(
    target: Target, config: BackupSettings | None = None, now: datetime | None = None, say: Say = _quiet
) -> tuple[Manifest, list[str]]:
    """Back up `target` into the store of `config` (default: the current settings) and prune
    the backups older than its keep_days; (the new backup's manifest, the ids pruned)."""
    config = config or backup_settings()
    key = config.require_key()
    if target.is_spark:
        # spark: its control database (a DuckDB file: the bookkeeping and the landed raw rows)
        # is backed up as a duckdb warehouse; the lake and Spark's tables are re-made from it by
        # a full build, or snapshotted by their owner (docs/scaling-out.md)
        say(f"spark: backing up its control database {target.control.duckdb_path} (bookkeeping and "
            f"the landed raw rows); the lake {settings().spark.lake_dir} and Spark's tables are not "
            "in the backup: snapshot them yourself, or re-make them from a restored control "
            "database with `bizstats build --full-refresh --target spark`")
        target = target.control
    store = BackupStore(config.directory)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    backup_id = new_id(target, now)
    writer = _Writer(store, backup_id, key)
    say(f"backup {backup_id} of {describe(target)} into {config.directory}")
    with warehouse_lock(target, "backup"):
        if target.name == "duckdb":
            figures, schemas, versions = _duckdb(target, writer, say)
        else:
            figures, schemas, versions = _mysql(target, writer, say)
    manifest = Manifest(
        id=backup_id,
        created_at=f"{now:%Y-%m-%dT%H:%M:%SZ}",
        target=target.name,
        source=describe(target),
        key_id=key_id(key),
        versions=versions,
        schemas=schemas,
        members=tuple(writer.members),
        tables=tuple(figures),
    )
    store.write_manifest(manifest, key)
    say(f"backup {backup_id}: {len(figures)} tables, {len(writer.members)} files, {manifest.size} bytes")
    pruned = store.prune(config.keep_days, now)
    for old in pruned:
        say(f"deleted backup {old} (older than {config.keep_days} days)")
    return manifest, pruned


def _duckdb(
    target: Target, writer: _Writer, say: Say
) -> tuple[list[TableFigure], dict[str, str], dict[str, str]]:
    import duckdb

    from bizstats import audit_log
    from bizstats.load.collected.spool import spool_path
    from bizstats.privacy import secret_path
    from bizstats.web.query.keys import sqlite_path

    with connect(target, create=False) as con:
        con.execute("checkpoint")
        figures = duckdb_figures(con)
        say(f"copying {target.duckdb_path.name} ({len(figures)} tables)")
        writer.add(WAREHOUSE_FILE, file_chunks(target.duckdb_path))  # while we hold it open
    with private_folder() as folder:
        sides = ((SPOOL, spool_path(target)), (KEYS, sqlite_path(target)),
                 (AUDIT, audit_log.sqlite_path(target)))
        for name, path in sides:
            if path.is_file():
                say(f"copying {path.name}")
                writer.add(name, file_chunks(sqlite_copy(path, folder / name)))
    secret = secret_path(target)
    if secret.is_file():
        writer.add(PSEUDONYM_KEY, file_chunks(secret))
    return figures, {}, {"duckdb": str(duckdb.__version__)}


def _mysql(
    target: Target, writer: _Writer, say: Say
) -> tuple[list[TableFigure], dict[str, str], dict[str, str]]:
    schemas = {"models": target.models_schema, "raw": target.raw_schema}
    if _database_exists(target, target.audit_schema):  # none until a first command is audited
        schemas["audit"] = target.audit_schema
    before = _snapshot_figures(target, schemas)
    say(f"dumping {', '.join(schemas.values())} ({len(before)} tables)")
    with private_folder() as folder:
        writer.add(DUMP, mysql_dump(settings().mysql, list(schemas.values()), folder))
    figures = settled(before, _snapshot_figures(target, schemas))
    for figure in figures:
        if figure.changing:
            rows = f"{figure.rows} -> {figure.rows_after} rows"
            say(f"{figure.schema}.{figure.table} was written during the dump ({rows})")
    with connect(target) as con:
        (version,) = fetch_all(con, "select version()")[0]
    return figures, schemas, {"server": str(version)}


def _database_exists(target: Target, database: str) -> bool:
    with connect(target) as con:
        found = fetch_all(con, "select count(*) from information_schema.schemata where schema_name = %s",
                          [database])
    return bool(found[0][0])


def _snapshot_figures(target: Target, schemas: dict[str, str]) -> list[TableFigure]:
    """Every table's figures in one consistent snapshot of the databases."""
    with connect(target) as con:
        cur = con.cursor()
        cur.execute("set session transaction isolation level repeatable read")
        cur.execute("start transaction with consistent snapshot")
        figures = mysql_figures(cur, schemas)
        con.rollback()
    return figures


def member_path(into: Path, name: str) -> Path:
    """Where a DuckDB backup's file goes when restored to the database file `into`: the file
    itself, or its side file (`<into>.spool`, `<into>.keys.sqlite`, `<into>.pseudonym-key`,
    `<into>.audit.sqlite`)."""
    suffix = {WAREHOUSE_FILE: "", SPOOL: ".spool", KEYS: ".keys.sqlite", PSEUDONYM_KEY: ".pseudonym-key",
              AUDIT: ".audit.sqlite"}[name]
    return into.with_name(into.name + suffix)
