"""DuckDB: the copy of the warehouse the query API reads, so that it never opens the file a
build writes.

A DuckDB file has one writer process, and while any process has it open read-write no other
process may open it, not even read-only; a reader holding it open makes the next build fail.
So the API reads a snapshot: after each successful build (bizstats.publish.invalidate_days)
the warehouse file is copied, under a shared read-only open of it, to a new file
`<warehouse>.snapshots/<n>.duckdb`, and the name of the newest is swapped into
`<warehouse>.snapshots/current` atomically (os.replace). Readers open the current snapshot
read-only and move to a newer one at their next query; the two newest snapshots are kept,
older ones are deleted (an open reader of a deleted file keeps reading it). Each snapshot has
its own file name because DuckDB shares one database instance per path within a process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

import duckdb

from bizstats.config import Target
from bizstats.db import database_error, single_row
from bizstats.errors import BizstatsError
from bizstats.lock import warehouse_lock

POINTER = "current"
KEEP = 2  # snapshots kept: the current one and the one readers may still be on


def snapshot_dir(target: Target) -> Path:
    path = target.duckdb_path
    return path.with_name(path.name + ".snapshots")


def current_snapshot(target: Target) -> Path | None:
    """The snapshot readers should use, or None before the first one is published."""
    folder = snapshot_dir(target)
    try:
        name = (folder / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return folder / name


def publish(target: Target) -> Path:
    """Copy the warehouse to a new snapshot and make it the current one. The caller makes
    sure no build writes meanwhile (a build's own hook, or `ensure_snapshot`): the read-only
    open here fails at once if a writer holds the file."""
    source = target.duckdb_path
    folder = snapshot_dir(target)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}.duckdb"
    partial = folder / f".{name}.partial"
    try:
        con = duckdb.connect(str(source), read_only=True)
    except duckdb.Error as exc:
        raise database_error(target, exc) from exc
    try:
        if Path(f"{source}.wal").exists():
            # a writer that did not close cleanly: copy through DuckDB, which replays the WAL
            (alias,) = single_row(con.execute("select current_database()"))
            con.execute(f"attach '{partial}' as snapshot_copy")
            con.execute(f'copy from database "{alias}" to snapshot_copy')
            con.execute("detach snapshot_copy")
        else:
            shutil.copyfile(source, partial)
    except (duckdb.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BizstatsError(f"cannot copy {source} to a snapshot in {folder}: {exc}") from exc
    finally:
        con.close()
    os.replace(partial, folder / name)
    pointer = folder / f".{POINTER}.partial"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, folder / POINTER)
    _prune(folder, name)
    return folder / name


def _prune(folder: Path, newest: str) -> None:
    snapshots = sorted((p for p in folder.glob("*.duckdb")), key=lambda p: int(p.stem))
    for old in snapshots[:-KEEP]:
        if old.name != newest:
            with contextlib.suppress(OSError):
                old.unlink()


def ensure_snapshot(target: Target) -> Path:
    """The current snapshot; when there is none, or the warehouse file changed after it was
    taken, publish one now, holding the warehouse lock (so never during a build: then the
    existing snapshot is used, or the error says to retry after the build)."""
    current = current_snapshot(target)
    source = target.duckdb_path
    if not source.is_file():
        raise BizstatsError(
            f"duckdb {source}: the database file does not exist; run `bizstats demo`, or "
            "`bizstats load DIR` and `bizstats build`, first"
        )
    if current is not None and current.is_file() and current.stat().st_mtime >= source.stat().st_mtime:
        return current
    try:
        with warehouse_lock(target, "query API snapshot"):
            return publish(target)
    except BizstatsError:
        if current is not None and current.is_file():
            return current
        raise
