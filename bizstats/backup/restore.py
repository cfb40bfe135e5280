"""`bizstats backup verify` and `bizstats backup restore`: check a backup whole, and the restore
drill (恢复演练) — a backup restored into a fresh schema or file, then every table compared with
what the backup recorded of its source (row count and checksum, table by table).

- verify: the manifest is whole and sealed with this key (its HMAC), every file has the size
  and SHA-256 the manifest gives, decrypts chunk by chunk (AES-GCM: any altered byte fails)
  to its end, and its content has the recorded size and SHA-256. The first fault is one line.
- restore: refuses a target that is not fresh (a MySQL database holding a table, a DuckDB file
  or side file that exists and is not empty), verifies the whole backup first, and only then
  writes: DuckDB files under temporary names renamed into place at the end, MySQL into
  databases it creates. If anything fails midway, or the restored tables are not exactly the
  recorded ones, what it made is removed: never half a restore.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizstats.backup.crypto import Damaged, HashingReader, key_id, unseal
from bizstats.backup.manifest import Manifest, Member, TableFigure
from bizstats.backup.run import DUMP, ROLES, WAREHOUSE_FILE, member_path
from bizstats.backup.sources import lines, mysql_client, private_folder
from bizstats.backup.store import BackupStore
from bizstats.backup.tables import differences, duckdb_figures, mysql_figures
from bizstats.config import SCHEMA_NAME, MySQLSettings
from bizstats.db import mysql_connect, single_row
from bizstats.errors import BizstatsError
from bizstats.settings import settings

Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class Restored:
    """A finished restore: the backup, where it went, and the tables found equal."""

    manifest: Manifest
    into: str
    tables: tuple[TableFigure, ...]


def open_backup(store: BackupStore, backup_id: str, key: bytes) -> Manifest:
    """The manifest of a complete backup, checked against `key` (its id, then its HMAC)."""
    manifest = store.manifest(backup_id)
    if manifest is None:
        raise Damaged(f"backup {backup_id} is incomplete (no manifest): it was cut short; do not use it")
    if manifest.key_id != key_id(key):
        raise Damaged(
            f"backup {backup_id} was encrypted with another key (key id {manifest.key_id}; "
            f"BIZSTATS_BACKUP_KEY has id {key_id(key)}): set the key it was made with"
        )
    manifest.check(key)
    return manifest


def _content(store: BackupStore, manifest: Manifest, member: Member, key: bytes) -> Iterator[bytes]:
    """A member's content, authenticated chunk by chunk; at its end the stored bytes and the
    content are checked against the manifest (a mismatch raises Damaged)."""
    what = f"backup {manifest.id}: {member.stored}"
    with store.reader(manifest.id, member.stored) as raw:
        stream = HashingReader(raw)
        size = 0
        digest = hashlib.sha256()
        for piece in unseal(stream, key, what):
            digest.update(piece)
            size += len(piece)
            yield piece
        stream.drain()
    if stream.size != member.size or stream.digest.hexdigest() != member.sha256:
        raise Damaged(f"{what} is damaged: {stream.size} bytes, checksum differs from the manifest's")
    if size != member.content_size or digest.hexdigest() != member.content_sha256:
        raise Damaged(f"{what} is damaged: its content's checksum differs from the manifest's")


def verify_backup(store: BackupStore, backup_id: str, key: bytes) -> Manifest:
    """Check every file of a backup as the module docstring says; its manifest when whole."""
    manifest = open_backup(store, backup_id, key)
    for member in manifest.members:
        for _piece in _content(store, manifest, member, key):
            pass
    return manifest


def restore_backup(store: BackupStore, backup_id: str, key: bytes, into: str, say: Say = _quiet) -> Restored:
    """Restore a backup into `into` (MySQL: a fresh database name, its raw twin `<into>_raw` and
    its audit trail `<into>_audit`; DuckDB: a fresh file path, its side files beside it), then
    compare every table with the backup's record."""
    manifest = open_backup(store, backup_id, key)
    if manifest.target == "duckdb":
        return _restore_duckdb(store, manifest, key, Path(into).resolve(), say)
    return _restore_mysql(store, manifest, key, into, say)


# ---- DuckDB ----------------------------------------------------------------------------------


def _restore_duckdb(store: BackupStore, manifest: Manifest, key: bytes, into: Path, say: Say) -> Restored:
    import duckdb

    finals = {m.name: member_path(into, m.name) for m in manifest.members}
    for path in [*finals.values(), into.with_name(into.name + ".wal")]:
        if path.exists() and (not path.is_file() or path.stat().st_size > 0):
            raise BizstatsError(
                f"{path} exists and is not empty: restore into a new file (refusing to overwrite)"
            )
    say(f"verifying backup {manifest.id}")
    verify_backup(store, manifest.id, key)
    into.parent.mkdir(parents=True, exist_ok=True)
    drafts = {name: path.with_name(f"{path.name}.restoring-{os.getpid()}") for name, path in finals.items()}
    placed: list[Path] = []
    try:
        for member in manifest.members:
            say(f"restoring {finals[member.name].name}")
            fd = os.open(drafts[member.name], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for piece in _content(store, manifest, member, key):
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
        con = duckdb.connect(str(drafts[WAREHOUSE_FILE]), read_only=True)
        try:
            found = duckdb_figures(con)
        finally:
            con.close()
        _compare(manifest, found)
        for name in sorted(finals, key=lambda n: n == WAREHOUSE_FILE):  # the database file last
            if finals[name].exists() and finals[name].stat().st_size == 0:
                finals[name].unlink()
            os.link(drafts[name], finals[name])  # never over a file that appeared meanwhile
            placed.append(finals[name])
    except BaseException:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    finally:
        for draft in drafts.values():
            with contextlib.suppress(OSError):
                draft.unlink()
    return Restored(manifest, str(into), tuple(found))


def _compare(manifest: Manifest, found: list[TableFigure]) -> None:
    diffs = differences(manifest.tables, found)
    if diffs:
        shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
        raise BizstatsError(
            f"backup {manifest.id}: the restored tables differ from the backup's record "
            f"({shown}); nothing was kept"
        )


# ---- MySQL / MariaDB -------------------------------------------------------------------------


def _tables(cur: Any, database: str) -> int:
    cur.execute("select count(*) from information_schema.tables where table_schema = %s", (database,))
    (count,) = cur.fetchone()
    return int(count)


def _rewritten(stream: Iterable[bytes], names: dict[str, str]) -> Iterator[bytes]:
    """The dump with its databases renamed (`names`: source -> restored) where the dump names
    them — its `USE` lines and view definitions — and views' DEFINER dropped (a view then
    belongs to the user restoring it)."""
    pairs = [(f"`{old}`".encode(), f"`{new}`".encode()) for old, new in names.items()]
    for line in lines(stream):
        if line.startswith((b"USE `", b"/*!50001 VIEW", b"/*!50001 CREATE")):
            for old, new in pairs:
                line = line.replace(old + b";", new + b";").replace(old + b".", new + b".")
        elif line.startswith(b"/*!50013 DEFINER="):
            line = b"/*!50013 SQL SECURITY DEFINER */\n"
        yield line


def _restore_mysql(store: BackupStore, manifest: Manifest, key: bytes, into: str, say: Say) -> Restored:
    if not SCHEMA_NAME.fullmatch(into):
        raise BizstatsError(f"--into must be 1 to 58 letters, digits, _, $ or -, got {into!r}")
    # each database of the backup under the new name (a backup made before the audit trail had
    # a database of its own has models and raw only)
    wanted = {role: f"{into}{ROLES[role]}" for role in manifest.schemas}
    if set(wanted.values()) & set(manifest.schemas.values()):
        raise BizstatsError(f"--into {into}: that is the backed-up warehouse itself; restore into a new name")
    server: MySQLSettings = settings().mysql
    con = mysql_connect(server)
    try:
        cur = con.cursor()
        for database in wanted.values():  # checked before anything is made: a refusal touches nothing
            if _tables(cur, database):
                raise BizstatsError(
                    f"--into {into}: database {database} holds tables; restore into a new name "
                    "(refusing to overwrite)"
                )
        say(f"verifying backup {manifest.id}")
        verify_backup(store, manifest.id, key)
        made: list[str] = []
        try:
            for database in wanted.values():
                cur.execute(
                    "select count(*) from information_schema.schemata where schema_name = %s", (database,)
                )
                (exists,) = single_row(cur)
                if not exists:
                    cur.execute(f"create database `{database}` character set utf8mb4 collate utf8mb4_bin")
                    made.append(database)
            [dump] = [m for m in manifest.members if m.name == DUMP]
            names = {manifest.schemas[role]: wanted[role] for role in wanted}
            say(f"restoring into {', '.join(wanted.values())}")
            with private_folder() as folder:
                mysql_client(server, _rewritten(_content(store, manifest, dump, key), names), folder)
            con.rollback()  # a fresh snapshot: see what the client wrote
            found = mysql_figures(cur, wanted)
            _compare(manifest, found)
        except BaseException:
            _undo(con, wanted, made)
            raise
    finally:
        con.close()
    return Restored(manifest, into, tuple(found))


def _undo(con: Any, wanted: dict[str, str], made: list[str]) -> None:
    """Remove what a failed restore made: the databases it created, the tables it put into
    databases that were there (empty) before."""
    with contextlib.suppress(Exception):
        cur = con.cursor()
        for database in wanted.values():
            if database in made:
                cur.execute(f"drop database if exists `{database}`")
                continue
            cur.execute(
                "select table_name, table_type from information_schema.tables where table_schema = %s",
                (database,),
            )
            for table, kind in list(cur.fetchall()):
                what = "view" if kind == "VIEW" else "table"
                cur.execute(f"drop {what} if exists `{database}`.`{table}`")
