"""The metric catalogue (指标目录): the metrics of each mart with their labels (中文 and
English), unit, format, kind and definition, as the query API serves them and the dashboard
draws them.

The metrics are the published ones of the registry (bizstats.registry: vars.metrics of
dbt_project.yml), in its order; each mart's are `Registry.mart_metrics(mart)`. A metric's
definition is its docs block `metric_<name>` (models/docs/metrics.md) as dbt's manifest holds it —
the text the dbt docs site shows — else the entry's one-line `description`. So a metric added
to the registry is served by the API and drawn by the dashboard with no code change.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from bizstats import parse_state
from bizstats.config import project_dir
from bizstats.errors import BizstatsError
from bizstats.registry import FORMATS, MARTS, MetricSpec, Registry, load_registry

MANIFEST = "manifest.json"
MANIFEST_SETTLE_SECONDS = 5.0  # how long a first read waits for a manifest dbt is writing
DOCS_PREFIX = "metric_"  # the docs block of metric <name> is metric_<name>
__all__ = ["FORMATS", "MARTS", "Catalog", "CatalogSource", "Metric", "catalog_of", "manifest_path"]


@dataclass(frozen=True)
class Metric:
    """One metric column of a mart, as the registry declares it."""

    name: str
    label_zh: str
    label_en: str
    short_zh: str
    short_en: str
    unit: str
    format: str  # integer, duration (whole seconds), money (exact yuan), decimal, percent (a fraction)
    description: str
    cumulative: bool = False  # a running total (value at the end of the period)
    funnel_step: int | None = None  # place in the business funnel, if any
    kind: str = "counter"  # counter, count, unique_counter, sum, first_time, ratio, cumulative
    additive: bool = True  # slices add up to `all`, hours to the day, days to weeks and months

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Catalog:
    """The metrics of every mart, in registry order; `version` identifies the registry and
    the manifest they were read from."""

    marts: dict[str, tuple[Metric, ...]]
    version: str

    def metrics(self, mart: str) -> tuple[Metric, ...]:
        return self.marts.get(mart, ())


def manifest_path() -> Path:
    """Where dbt writes its manifest: the target path (DBT_TARGET_PATH, else <project>/target)."""
    return parse_state.target_path(project_dir()) / MANIFEST


def docs_blocks(manifest: dict[str, Any]) -> dict[str, str]:
    """The text of every docs block of the project in a parsed manifest, by block name."""
    return {
        str(doc.get("name")): str(doc.get("block_contents") or "").strip()
        for doc in (manifest.get("docs") or {}).values()
        if doc.get("package_name") in (None, manifest.get("metadata", {}).get("project_name"), "bizstats")
    }


def _metric(spec: MetricSpec, docs: dict[str, str]) -> Metric:
    return Metric(
        name=spec.name,
        label_zh=spec.label_zh,
        label_en=spec.label_en,
        short_zh=spec.short_zh,
        short_en=spec.short_en,
        unit=spec.unit,
        format=spec.format,
        description=docs.get(DOCS_PREFIX + spec.name) or spec.description,
        cumulative=spec.cumulative,
        funnel_step=spec.funnel_step,
        kind=spec.kind,
        additive=spec.additive,
    )


# daily_breakdowns' value columns, the same for every dimension (not registry metrics): the
# rows of the dimension's population with the value, and the sum of their `amount`
BREAKDOWNS = "daily_breakdowns"
_BREAKDOWN_COLUMNS = (
    Metric("item_count", "数量", "Items", "数量", "Items", "items", "integer",
           "Number of items of the dimension's population with this value on the day in the slice.",
           kind="count", additive=True),
    Metric("amount", "金额", "Amount", "金额", "Amount", "yuan", "money",
           "Sum of the items' amounts (the dimension's `amount` column), yuan; 0 without one.",
           kind="sum", additive=True),
)  # fmt: skip


def _breakdown_columns(manifest: dict[str, Any]) -> tuple[Metric, ...]:
    """The value columns of daily_breakdowns, with the descriptions of its yml when documented."""
    columns: dict[str, Any] = {}
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") == "model" and node.get("name") == BREAKDOWNS:
            columns = node.get("columns") or {}
    return tuple(
        replace(m, description=(columns.get(m.name) or {}).get("description") or m.description)
        for m in _BREAKDOWN_COLUMNS
    )


def catalog_of(registry: Registry, manifest: dict[str, Any] | None = None, version: str = "") -> Catalog:
    """The catalogue of a registry, with the definitions of a parsed manifest's docs blocks."""
    docs = docs_blocks(manifest or {})
    metrics = {m.name: _metric(m, docs) for m in registry.published()}
    marts = {mart: tuple(metrics[m.name] for m in registry.mart_metrics(mart)) for mart in MARTS}
    marts[BREAKDOWNS] = _breakdown_columns(manifest or {})
    return Catalog(marts, version)


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_mtime_ns}-{stat.st_size}"


def read_catalog(path: Path, root: Path | None = None) -> Catalog:
    """The catalogue of the project's registry with the docs of the manifest file at `path`."""
    root = root or project_dir()
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        version = f"{_stamp(path)}/{_stamp(root / 'dbt_project.yml')}"
    except OSError as exc:
        raise BizstatsError(f"cannot read dbt's manifest {path}: {exc.strerror}") from exc
    return catalog_of(load_registry(root), manifest, version)


class CatalogSource:
    """The current catalogue: read again when the registry (dbt_project.yml) or the manifest
    (rewritten by every dbt invocation) changes; the manifest made with `dbt parse` once when
    there is none."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or manifest_path()
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None

    def get(self) -> Catalog:
        with self._lock:
            if not self._path.is_file():
                self._parse()
            version = f"{_stamp(self._path)}/{_stamp(project_dir() / 'dbt_project.yml')}"
            if self._catalog is None or self._catalog.version != version:
                self._catalog = self._read_settled()
            return self._catalog

    def _read_settled(self) -> Catalog:
        """The catalogue of the manifest as a dbt run in another process leaves it: dbt
        rewrites manifest.json in place, so a read while it writes sees a partial file. The
        catalogue already held keeps being served meanwhile (read again at the next call);
        without one, the read is tried again for up to MANIFEST_SETTLE_SECONDS."""
        deadline = time.monotonic() + MANIFEST_SETTLE_SECONDS
        while True:
            try:
                return read_catalog(self._path)
            except json.JSONDecodeError as exc:
                if self._catalog is not None:
                    return self._catalog
                if time.monotonic() > deadline:
                    raise BizstatsError(
                        f"dbt's manifest {self._path} is not valid JSON ({exc.msg}): is a dbt run "
                        "writing it? Run `bizstats build` again if it stays so"
                    ) from exc
                time.sleep(0.05)

    def _parse(self) -> None:
        parse_project()
        if not self._path.is_file():
            raise BizstatsError(f"`dbt parse` wrote no manifest at {self._path}")


def parse_project() -> None:
    """`dbt parse` of the project into its target path (manifest.json). With the duckdb
    target, which needs no server: the docs blocks are the same for both."""
    from dbt.cli.main import dbtRunner

    root = str(project_dir())
    args = ["parse", "--project-dir", root, "--profiles-dir", root, "--target", "duckdb"]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise BizstatsError(f"`dbt parse` of {root} failed: {result.exception or 'see its log'}")


def registry_catalog(root: Path | None = None) -> Catalog:
    """The catalogue of the registry alone (definitions: the entries' descriptions), for
    what needs no docs site text (the report, `bizstats export`)."""
    return catalog_of(load_registry(root))


def display(fmt: str, value: Any, grouped: bool = True) -> str:
    """A metric value as people read it, by its format: integers and durations whole (with
    thousands separators when `grouped`), money with 2 decimals, a decimal as stored, a
    percent (a fraction) x100 with a % sign and its places less two (0.1250 -> 12.50%);
    — for no value."""
    if value is None:
        return "—"
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    comma = "," if grouped else ""
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0  # as stored
    if fmt == "money":
        return f"{number:{comma}.2f}"
    if fmt == "percent":
        return f"{number * 100:{comma}.{max(0, places - 2)}f}%"
    if fmt == "decimal":
        return f"{number:{comma}.{places}f}"
    return f"{number:{comma}.0f}"


def definitions() -> dict[str, str]:
    """Each published metric's definition: its docs block when dbt's manifest is there (after
    any build or parse), else the registry's one-line description. Never runs dbt."""
    path = manifest_path()
    try:
        catalog = read_catalog(path) if path.is_file() else registry_catalog()
    except (BizstatsError, ValueError):
        catalog = registry_catalog()
    return {m.name: m.description for m in catalog.metrics("daily_stats")}
