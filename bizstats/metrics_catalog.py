"""The metric catalogue as configuration (seed §11.3): the metrics of each mart, with their
labels (中文 and English), unit, format and definition, read from dbt's manifest.json.

A mart column is a metric when its yml entry carries `meta` with `label_zh` and `label_en`
(models/marts/_marts.yml). Its definition is the column's description as dbt rendered it
(the docs block), the same text the dbt docs site shows. So a new metric column with its yml
entry is served by the query API and drawn by the dashboard with no code change.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bizstats import parse_state
from bizstats.config import project_dir
from bizstats.errors import BizstatsError

MANIFEST = "manifest.json"
FORMATS = ("integer", "duration", "money", "decimal")


@dataclass(frozen=True)
class Metric:
    """One metric column of a mart, as its yml entry describes it."""

    name: str
    label_zh: str
    label_en: str
    short_zh: str
    short_en: str
    unit: str
    format: str  # integer, duration (whole seconds), money (exact yuan), decimal
    description: str
    cumulative: bool = False  # a running total (value at the end of the period)
    funnel_step: int | None = None  # place in the business funnel, if any

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Catalog:
    """The metrics of every mart that has some, in the yml's order; `version` identifies the
    manifest they were read from."""

    marts: dict[str, tuple[Metric, ...]]
    version: str

    def metrics(self, mart: str) -> tuple[Metric, ...]:
        return self.marts.get(mart, ())


def manifest_path() -> Path:
    """Where dbt writes its manifest: the target path (DBT_TARGET_PATH, else <project>/target)."""
    return parse_state.target_path(project_dir()) / MANIFEST


def _metric(name: str, column: dict[str, Any], where: str) -> Metric:
    meta = column.get("meta") or {}
    fmt = meta.get("format", "integer")
    if fmt not in FORMATS:
        raise BizstatsError(f"{where}: meta.format {fmt!r} is not one of {', '.join(FORMATS)}")
    funnel = meta.get("funnel_step")
    return Metric(
        name=name,
        label_zh=str(meta["label_zh"]),
        label_en=str(meta["label_en"]),
        short_zh=str(meta.get("short_zh", meta["label_zh"])),
        short_en=str(meta.get("short_en", meta["label_en"])),
        unit=str(meta.get("unit", "")),
        format=fmt,
        description=column.get("description", ""),
        cumulative=bool(meta.get("cumulative", False)),
        funnel_step=int(funnel) if funnel is not None else None,
    )


def catalog_from_manifest(manifest: dict[str, Any], version: str = "") -> Catalog:
    """The catalogue of a parsed manifest (the models' columns with label meta)."""
    marts: dict[str, tuple[Metric, ...]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        metrics = tuple(
            _metric(name, column, f"model {node['name']}, column {name}")
            for name, column in node.get("columns", {}).items()
            if {"label_zh", "label_en"} <= set(column.get("meta") or {})
        )
        if metrics:
            marts[node["name"]] = metrics
    return Catalog(marts, version)


def read_catalog(path: Path) -> Catalog:
    """The catalogue of the manifest file at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BizstatsError(f"cannot read dbt's manifest {path}: {exc.strerror}") from exc
    stat = path.stat()
    return catalog_from_manifest(json.loads(text), f"{stat.st_mtime_ns}-{stat.st_size}")


class CatalogSource:
    """The current catalogue: re-read when the manifest file changes (any dbt invocation
    rewrites it), made with `dbt parse` once when there is none."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or manifest_path()
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None

    def get(self) -> Catalog:
        with self._lock:
            if not self._path.is_file():
                self._parse()
            stat = self._path.stat()
            if self._catalog is None or self._catalog.version != f"{stat.st_mtime_ns}-{stat.st_size}":
                self._catalog = read_catalog(self._path)
            return self._catalog

    def _parse(self) -> None:
        parse_project()
        if not self._path.is_file():
            raise BizstatsError(f"`dbt parse` wrote no manifest at {self._path}")


def parse_project() -> None:
    """`dbt parse` of the project into its target path (manifest.json). With the duckdb
    target, which needs no server: the yml's meta and descriptions are the same for both."""
    from dbt.cli.main import dbtRunner

    root = str(project_dir())
    args = ["parse", "--project-dir", root, "--profiles-dir", root, "--target", "duckdb"]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise BizstatsError(f"`dbt parse` of {root} failed: {result.exception or 'see its log'}")
