"""`bizstats backup run | list | verify | restore` (备份与恢复演练): a thin layer over
bizstats.backup."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from bizstats.config import TARGETS, Target
from bizstats.errors import BizstatsError

if TYPE_CHECKING:
    from bizstats.backup import BackupStore

NAME = "backup"


def add_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_target: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    backup = sub.add_parser(
        "backup",
        help="back up the warehouse (encrypted, with a manifest), list, verify and restore backups",
        description="Backups go to BIZSTATS_BACKUP_DIR (a folder or an fsspec URL; default ./backups), "
        "gzipped and encrypted with BIZSTATS_BACKUP_KEY (required), each with a manifest of its files' "
        "and tables' checksums; those older than BIZSTATS_BACKUP_KEEP_DAYS (default 30) are deleted "
        "after each backup. A restore goes into a fresh MySQL database or DuckDB file only, after the "
        "whole backup is verified, and compares every table with the backup's record.",
    )
    verbs = backup.add_subparsers(dest="verb", required=True, metavar="VERB")
    with_target(
        verbs.add_parser(
            "run",
            help="back up the warehouse now (DuckDB: the file and its side files; MySQL: mariadb-dump)",
        )
    )
    listing = verbs.add_parser("list", help="list the backups: id, time (UTC), target, source, size, state")
    verify = verbs.add_parser("verify", help="check a backup's checksums and that every file decrypts")
    verify.add_argument("backup_id", metavar="ID", help="a backup id as `bizstats backup list` shows it")
    restore = verbs.add_parser(
        "restore",
        help="restore a backup into a fresh database or file and compare every table (the restore drill)",
        description="Restore backup ID into --into: for a MySQL/MariaDB backup a new database name "
        "(its raw tables go to <NAME>_raw, its audit trail to <NAME>_audit), for a DuckDB backup a new "
        "file path (its spool, key store, pseudonym secret and audit trail beside it). Refuses a target "
        "that exists and is not empty, verifies the "
        "whole backup first, and removes what it made if anything fails.",
    )
    restore.add_argument("backup_id", metavar="ID", help="a backup id as `bizstats backup list` shows it")
    restore.add_argument(
        "--into",
        required=True,
        metavar="NAME",
        help="the fresh MySQL database name, or the fresh DuckDB file path",
    )
    for parser in (listing, verify, restore):
        parser.add_argument(
            "--target",
            choices=TARGETS,
            default=None,
            help="only backups of this target (default: any; no warehouse is needed)",
        )


def _say(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from bizstats.backup import (
        BackupStore,
        backup_settings,
        restore_backup,
        run_backup,
        verify_backup,
    )

    config = backup_settings()
    if args.verb == "run":
        manifest, _pruned = run_backup(Target(args.target), config, say=_say)
        print(manifest.id)
        return 0
    store = BackupStore(config.directory)
    if args.verb == "list":
        _list(store, args.target)
        return 0
    key = config.require_key()
    if args.target:
        found = store.manifest(args.backup_id)
        if found is not None and found.target != args.target:
            raise BizstatsError(f"backup {found.id} is a {found.target} backup, not {args.target}")
    if args.verb == "verify":
        manifest = verify_backup(store, args.backup_id, key)
        print(
            f"backup {manifest.id}: ok ({len(manifest.members)} files, {manifest.size} bytes, "
            f"{len(manifest.tables)} tables; checksums match, every file decrypts)"
        )
        return 0
    restored = restore_backup(store, args.backup_id, key, args.into, say=_say)
    recorded = {(f.schema, f.table): f for f in restored.manifest.tables}
    changing = 0
    for figure in restored.tables:
        record = recorded[(figure.schema, figure.table)]
        if record.changing:  # MySQL: written while it was dumped (the collector)
            changing += 1
            print(f"{figure.schema}.{figure.table}\t{figure.rows} rows\twritten during the backup "
                  f"({record.rows} to {record.rows_after} rows)")
        else:
            print(f"{figure.schema}.{figure.table}\t{figure.rows} rows\tchecksum {figure.checksum}\tequal")
    during = f" ({changing} written during the backup: rows in range)" if changing else ""
    print(
        f"backup {restored.manifest.id} restored into {restored.into}: {len(restored.tables)} tables "
        f"equal to the backup's record{during}"
    )
    return 0


def backup_target(backup_id: str) -> str | None:
    """The target a backup was made of: its manifest's (read without the key), else the one its
    id names; None when neither says."""
    from bizstats.backup import BackupStore, backup_settings
    from bizstats.backup.manifest import ID

    try:
        manifest = BackupStore(backup_settings().directory).manifest(backup_id)
    except (BizstatsError, OSError, ValueError):
        manifest = None
    if manifest is not None:
        return manifest.target
    named = ID.fullmatch(backup_id)
    return named.group("target") if named else None


def _list(store: BackupStore, target: str | None) -> None:
    print("id\tcreated (UTC)\ttarget\tsource\tbytes\ttables\tstate")
    for backup_id in store.ids():
        try:
            manifest = store.manifest(backup_id)
        except BizstatsError:
            print(f"{backup_id}\t\t\t\t\t\tdamaged manifest")
            continue
        if manifest is None:
            print(f"{backup_id}\t\t\t\t\t\tincomplete")
            continue
        if target and manifest.target != target:
            continue
        made = f"{manifest.created:%Y-%m-%d %H:%M:%S}"
        print(
            f"{backup_id}\t{made}\t{manifest.target}\t{manifest.source}\t{manifest.size}\t"
            f"{len(manifest.tables)}\tcomplete"
        )
