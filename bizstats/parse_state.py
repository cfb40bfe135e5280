"""When dbt may reuse its saved parse of the project (partial parsing).

Parsing the project costs dbt 10-40 s; with partial parsing it re-reads only the files it
sees changed, which a nightly needs to stay cheap. But dbt 1.7 has been seen here to drop
most staging tests from its manifest after a schema yml and a generic test macro changed
together (95 tests where a full parse finds 137). So bizstats lets dbt reuse its parse only
while no project file has changed since the last invocation that parsed it: an edit costs
one full parse, a nightly costs none.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from bizstats.settings import settings

# what a parse reads: the project, the profile and the docs blocks (under models/)
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests", "seeds")
STAMP = "bizstats_parsed_project.sha256"  # in dbt's target path, beside partial_parse.msgpack


def fingerprint(root: Path) -> str:
    """sha256 over the names and bytes of every file of the project parts."""
    digest = hashlib.sha256()
    for part in PROJECT_PARTS:
        path = root / part
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def target_path(root: Path) -> Path:
    """dbt's target path, where it saves its parse: DBT_TARGET_PATH, else `target`."""
    target = Path(settings().internal.dbt_target_path or "target")
    return target if target.is_absolute() else root / target


def _stamp(root: Path) -> Path:
    return target_path(root) / STAMP


def parse_flags(root: Path, current: str) -> list[str]:
    """dbt flags for the next invocation: none when the project is as it was last parsed,
    else `--no-partial-parse` (a full parse, which then becomes the saved one)."""
    stamp = _stamp(root)
    if stamp.is_file() and stamp.read_text().strip() == current:
        return []
    return ["--no-partial-parse"]


def remember(root: Path, current: str) -> None:
    """Record that dbt's saved parse is of the project with fingerprint `current`."""
    stamp = _stamp(root)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
