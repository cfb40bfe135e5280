"""The archive's layout and its manifest (归档清单).

    <archive dir>/<table>/day=YYYY-MM-DD/part-<UTC time>-<n>.parquet
    <archive dir>/<table>/day=YYYY-MM-DD/_manifest.json

One manifest per day of a table, a JSON file beside the parts it lists: for each part its
file name, rows, the SHA-256 of its rows (bizstats.retention.parts.rows_checksum) and the
SHA-256 of the file. JSON beside the files rather than a table in the warehouse: the archive
describes itself wherever it is copied (cold storage), is the same on both targets, and is
read back without the warehouse. A part not listed is a leftover of a run killed before it
recorded it (its rows are still in the live table): the next run removes it. The manifest is
replaced atomically (a temporary file, fsync, rename), so it is always whole.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Part:
    file: str  # name within the day's folder
    rows: int
    rows_sha256: str
    file_sha256: str
    archived_at: str  # UTC, YYYY-MM-DD HH:MM:SS


def day_folder(root: Path, table: str, day: date) -> Path:
    return root / table / f"day={day.isoformat()}"


def read_parts(folder: Path) -> list[Part]:
    """The parts the day's manifest lists (none without a manifest)."""
    path = folder / MANIFEST
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Part(**entry) for entry in data["parts"]]


def write_parts(folder: Path, table: str, day: date, parts: list[Part]) -> None:
    """Replace the day's manifest (atomic: temporary file, fsync, rename, fsync the folder)."""
    data = {
        "table": table,
        "day": day.isoformat(),
        "rows": sum(p.rows for p in parts),
        "parts": [asdict(p) for p in parts],
    }
    temporary = folder / f"{MANIFEST}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, folder / MANIFEST)
    sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename in it survives a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def archived_days(root: Path, table: str) -> dict[date, int]:
    """Rows archived per local day of `table`, from the manifests."""
    found: dict[date, int] = {}
    base = root / table
    if not base.is_dir():
        return found
    for folder in sorted(base.glob("day=*")):
        rows = sum(p.rows for p in read_parts(folder))
        if rows:
            found[date.fromisoformat(folder.name.removeprefix("day="))] = rows
    return found


def listed_days(root: Path, table: str) -> list[date]:
    """The local days of `table` that have a manifest (without reading it: what a build
    checks before every run)."""
    base = root / table
    if not base.is_dir():
        return []
    return sorted(
        date.fromisoformat(folder.name.removeprefix("day="))
        for folder in base.glob("day=*")
        if (folder / MANIFEST).is_file()
    )


def orphans(folder: Path) -> list[Path]:
    """Files of the day's folder its manifest does not list (a run killed before recording)."""
    listed = {p.file for p in read_parts(folder)}
    return [
        path
        for path in sorted(folder.iterdir())
        if path.name != MANIFEST and path.name not in listed
    ]
