"""A copy of the repository's dbt project for a test that edits it as a user would (the metric
registry in dbt_project.yml, a seed, a docs block): bizstats is pointed at the copy with
BIZSTATS_PROJECT_DIR, and dbt gets target and log folders of the copy's own, so the
checkout and the other tests never see the edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bizstats.config import project_dir

# what bizstats and dbt read from the project root (not target/, logs/, the Python package)
PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.yml",
    "monitoring.yml",
    "models",
    "macros",
    "seeds",
    "tests",
)


def copy_project(dest: Path, source: Path | None = None) -> Path:
    """Copy the dbt project (PROJECT_PARTS of `source`, default the checkout's) to `dest`."""
    source = source or project_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, dest / part)
        elif (source / part).is_file():
            shutil.copy2(source / part, dest / part)
    return dest


def use_project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project under `tmp_path`/project that bizstats (BIZSTATS_PROJECT_DIR) and
    dbt (DBT_TARGET_PATH, DBT_LOG_PATH under `tmp_path`) use for the rest of the test."""
    copy = copy_project(tmp_path / "project")
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(copy))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return copy


def edit_text(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in the file with `new` (an error if not exactly one)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")
