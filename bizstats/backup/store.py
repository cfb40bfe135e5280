"""Where backups are kept: BIZSTATS_BACKUP_DIR, a folder or any fsspec URL (`file://`, `s3://`,
`memory://`...). One folder per backup, named by its id (`20261207T190000Z-duckdb-3f2a`: UTC
time, target, 4 random hex), holding its sealed files and, written last, `manifest.json`;
retention deletes whole folders."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from bizstats.backup.manifest import NAME, Manifest, parse, stamp_of
from bizstats.errors import BizstatsError


class BackupStore:
    """The backups under one fsspec URL."""

    def __init__(self, url: str) -> None:
        import fsspec  # type: ignore[import-untyped]  # imported when backups are used

        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ValueError, ImportError) as exc:
            raise BizstatsError(
                f"BIZSTATS_BACKUP_DIR={url!r} is not a folder or a URL fsspec opens: {exc}"
            ) from None
        self.url = url
        self.root = self.root.rstrip("/")

    def path(self, backup_id: str, name: str = "") -> str:
        return f"{self.root}/{backup_id}" + (f"/{name}" if name else "")

    def ids(self) -> list[str]:
        """The ids of every backup folder (complete or not), oldest first."""
        try:
            entries = self.fs.ls(self.root, detail=False)
        except FileNotFoundError:
            return []
        names = [str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries]
        return sorted(n for n in names if stamp_of(n) is not None)

    def exists(self, backup_id: str) -> bool:
        return bool(self.fs.exists(self.path(backup_id)))

    @contextlib.contextmanager
    def writer(self, backup_id: str, name: str) -> Iterator[Any]:
        self.fs.makedirs(self.path(backup_id), exist_ok=True)
        with self.fs.open(self.path(backup_id, name), "wb") as out:
            yield out

    @contextlib.contextmanager
    def reader(self, backup_id: str, name: str) -> Iterator[Any]:
        try:
            handle = self.fs.open(self.path(backup_id, name), "rb")
        except FileNotFoundError:
            raise BizstatsError(f"backup {backup_id}: its file {name} is missing") from None
        with handle as stream:
            yield stream

    def write_manifest(self, manifest: Manifest, key: bytes) -> None:
        """Write the manifest last, whole: a draft moved into place."""
        draft = self.path(manifest.id, NAME + ".partial")
        with self.fs.open(draft, "wb") as out:
            out.write(manifest.sealed(key).encode())
        self.fs.mv(draft, self.path(manifest.id, NAME))

    def manifest(self, backup_id: str) -> Manifest | None:
        """The backup's manifest, or None when it has none (incomplete: cut short)."""
        if stamp_of(backup_id) is None:
            raise BizstatsError(f"{backup_id!r} is not a backup id: `bizstats backup list` shows them")
        if not self.exists(backup_id):
            raise BizstatsError(f"no backup {backup_id} in {self.url}: `bizstats backup list` shows them")
        try:
            with self.fs.open(self.path(backup_id, NAME), "rb") as stream:
                text = stream.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None
        return parse(text, backup_id)

    def delete(self, backup_id: str) -> None:
        self.fs.rm(self.path(backup_id), recursive=True)

    def prune(self, keep_days: int, now: datetime) -> list[str]:
        """Delete the backups made more than `keep_days` days before `now` (by the manifest's
        time; an incomplete one by its id's time), except the newest complete backup of each
        warehouse (its source), which is always kept. Returns the ids deleted."""
        limit = now - timedelta(days=keep_days)
        dated: list[tuple[str, datetime, str | None]] = []  # id, made, source when complete
        for backup_id in self.ids():
            made = stamp_of(backup_id)
            assert made is not None
            try:
                found = self.manifest(backup_id)
            except BizstatsError:  # a damaged manifest: dated by its id, never the one kept
                found = None
            dated.append((backup_id, found.created if found else made, found.source if found else None))
        newest: dict[str, str] = {}
        for backup_id, _made, source in sorted(dated, key=lambda d: d[1]):
            if source:
                newest[source] = backup_id
        deleted = []
        for backup_id, made, _source in dated:
            if made < limit and backup_id not in newest.values():
                self.delete(backup_id)
                deleted.append(backup_id)
        return deleted
