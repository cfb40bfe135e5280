"""The metric registry (指标注册表) as Python reads it: the `metrics`,
`breakdown_dimensions` and `metric_sources` vars of dbt_project.yml, every default filled in
and every rule checked. The dbt macros of macros/metrics/ read the same vars, so the marts,
the query API, the dashboard, the report, `bizstats export`, the checks and the real-time
counters all follow one list.

`load_registry()` validates the entries themselves (kinds, formats, sources, names, ratio
parts, filters, dimensions); `check_columns(registry, manifest)` checks the columns they
name against the documented columns of the source models in dbt's manifest. Each problem is
one BizstatsError line naming the entry and the fix, e.g.
`metric 'login_count': unknown source 'event' (sources: page_views, events, ...): set source
to one of them`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from bizstats.config import project_dir
from bizstats.errors import BizstatsError

KINDS = ("counter", "count", "unique_counter", "sum", "first_time", "ratio", "cumulative")
ADDITIVE_KINDS = frozenset({"counter", "count", "sum", "first_time"})
FORMATS = ("integer", "duration", "money", "decimal", "percent")
MARTS = ("daily_stats", "hourly_stats", "weekly_stats", "monthly_stats", "user_type_daily_stats")
# the kinds whose rows a breakdown dimension may take as its population (`metric:`)
DIMENSION_METRIC_KINDS = ("counter", "count", "unique_counter", "sum", "first_time")
EVENT_SOURCES = ("events", "page_views")  # the sources the collector sees event by event
EVENT_KINDS = ("counter", "unique_counter")
SLICES = ("own", "user")
USER_TYPES = ("visitor", "user")
# key columns of the marts: a metric may not take one of these names
RESERVED = (
    "stat_date", "stat_hour", "channel", "device_type", "user_type", "period_start", "week_start",
    "month_start", "iso_year", "iso_week", "as_of_date", "days_covered", "created_at", "updated_at",
)  # fmt: skip
NAME = re.compile(r"[a-z][a-z0-9_]*")
NAME_MAX = 64
COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EXTRA_PREFIX = "extra_data."
EXTRA_COLUMN = "extra_data"
DECIMALS_MAX = 8  # a ratio's decimal places: DECIMAL(18, d) keeps 18 - d digits before the point

_METRIC_FIELDS = (
    "name", "label_zh", "label_en", "short_zh", "short_en", "unit", "format", "description", "kind",
    "source", "filter", "time", "amount", "distinct", "numerator", "denominator", "decimals",
    "funnel_step", "published", "warn_above",
)  # fmt: skip
_DIMENSION_FIELDS = (
    "name", "label_zh", "label_en", "metric", "source", "filter", "time", "column", "field", "amount",
)  # fmt: skip
_SOURCE_FIELDS = ("model", "time", "id", "slice", "user_type")
# the fields each kind needs beside the common ones, and the kind-specific fields it takes
_NEEDS = {
    "counter": ("source",),
    "count": ("source",),
    "unique_counter": ("source", "distinct"),
    "sum": ("source", "amount"),
    "first_time": ("source",),
    "ratio": ("numerator", "denominator"),
    "cumulative": ("source", "amount"),
}
_TAKES = {
    "counter": ("source", "filter", "time"),
    "count": ("source", "filter", "time"),
    "unique_counter": ("source", "filter", "time", "distinct"),
    "sum": ("source", "filter", "time", "amount"),
    "first_time": ("source", "filter", "time"),
    "ratio": ("numerator", "denominator", "decimals"),
    "cumulative": ("source", "filter", "time", "amount"),
}
_KIND_FIELDS = ("source", "filter", "time", "amount", "distinct", "numerator", "denominator", "decimals")

FilterValue = str | int | float
Filter = tuple[tuple[str, tuple[FilterValue, ...]], ...]


@dataclass(frozen=True)
class Source:
    """What a metric or a dimension reads (`metric_sources`): a model, its default time
    column, its key, where a row's channel/device_type comes from, how user_type is decided."""

    name: str
    model: str
    time: str
    id: str
    slice: str  # own: the row's channel/device_type; user: the user's acquisition slice
    user_type: str  # visitor or user

    def as_dict(self) -> dict[str, str]:
        return {"model": self.model, "time": self.time, "id": self.id, "slice": self.slice,
                "user_type": self.user_type}  # fmt: skip


@dataclass(frozen=True)
class MetricSpec:
    """One registry metric, every default filled in (`time`: the source's when not given)."""

    name: str
    kind: str
    label_zh: str
    label_en: str
    short_zh: str
    short_en: str
    unit: str
    format: str
    description: str
    source: str | None
    filter: Filter
    time: str | None
    amount: str | None
    distinct: str | None
    numerator: str | None
    denominator: str | None
    decimals: int
    funnel_step: int | None
    published: bool
    # plausibility: a value above this number, or above this other metric of the same row, is
    # implausible though possible: the build warns (dbt test <mart>_metrics_plausible)
    warn_above: float | str | None = None

    @property
    def additive(self) -> bool:
        """Slices add up to `all`, hours to the day, days to weeks and months."""
        return self.kind in ADDITIVE_KINDS

    @property
    def cumulative(self) -> bool:
        return self.kind == "cumulative"

    @property
    def sql_type(self) -> str:
        """The marts' column type: integer for counts (and a sum in whole units, a ratio
        without decimals), else DECIMAL(18,2) for amounts, DECIMAL(18,d) for a ratio."""
        if self.kind == "ratio":
            return "integer" if self.decimals == 0 else f"decimal(18,{self.decimals})"
        if self.kind == "sum" and self.format in ("integer", "duration"):
            return "integer"
        if self.kind in ("sum", "cumulative"):
            return "decimal(18,2)"
        return "integer"


@dataclass(frozen=True)
class DimensionSpec:
    """One breakdown dimension: its population (a metric's rows, or a source with its own
    filter and time) and where its value comes from (a column, or a field of extra_data)."""

    name: str
    label_zh: str
    label_en: str
    metric: str | None
    source: str | None
    filter: Filter
    time: str | None
    column: str | None
    field: str | None
    amount: str | None


@dataclass(frozen=True)
class Registry:
    metrics: tuple[MetricSpec, ...]
    dimensions: tuple[DimensionSpec, ...]
    sources: Mapping[str, Source]

    def published(self) -> tuple[MetricSpec, ...]:
        """The metrics that are mart columns (and in the API, dashboard, report, export)."""
        return tuple(m for m in self.metrics if m.published)

    def metric(self, name: str) -> MetricSpec:
        return _named(self.metrics, name, "metric", "metrics")

    def dimension(self, name: str) -> DimensionSpec:
        return _named(self.dimensions, name, "breakdown dimension", "breakdown_dimensions")

    def mart_metrics(self, mart: str) -> tuple[MetricSpec, ...]:
        """The metric columns of `mart`, in registry order: every published metric; in
        user_type_daily_stats every published one but the cumulative ones."""
        if mart not in MARTS:
            raise BizstatsError(f"unknown mart {mart!r}: one of {', '.join(MARTS)}")
        if mart == "user_type_daily_stats":
            return tuple(m for m in self.published() if not m.cumulative)
        return self.published()

    def event_metrics(self) -> tuple[MetricSpec, ...]:
        """The published counters and unique counters of events and page views (pv, uv, ...):
        the traffic the real-time counters follow and the daily report charts."""
        return tuple(m for m in self.published() if m.kind in EVENT_KINDS and m.source in EVENT_SOURCES)

    def source_of(self, item: MetricSpec | DimensionSpec) -> Source | None:
        """The source a metric or a dimension reads (a dimension's metric's when it has one)."""
        if isinstance(item, DimensionSpec) and item.metric is not None:
            return self.source_of(self.metric(item.metric))
        return self.sources[item.source] if item.source is not None else None

    def fingerprint(self) -> dict[str, str]:
        """Name -> sha256 of what computes it, for every metric and every dimension (one
        namespace: validation keeps their names apart). Labels, description, format (beyond
        the column type it gives), unit and funnel step are left out; the source's spec is in,
        whether the metric is published (a mart column or not), a ratio's parts' computation
        and a dimension's metric's."""
        computed: dict[str, str] = {}  # what computes each metric's values, published or not

        def computation(metric: MetricSpec) -> str:
            if metric.name not in computed:
                part = {p: computation(self.metric(n)) for p in ("numerator", "denominator")
                        if (n := getattr(metric, p)) is not None}  # fmt: skip
                computed[metric.name] = _digest({
                    "kind": metric.kind,
                    "sql_type": metric.sql_type,
                    "source": metric.source,
                    "source_spec": self.sources[metric.source].as_dict() if metric.source else None,
                    "filter": _filter_state(metric.filter),
                    "time": metric.time,
                    "amount": metric.amount,
                    "distinct": metric.distinct,
                    "numerator": part.get("numerator"),
                    "denominator": part.get("denominator"),
                    "decimals": metric.decimals,
                })  # fmt: skip
            return computed[metric.name]

        found = {
            m.name: _digest({"what": "metric", "computed": computation(m), "published": m.published})
            for m in self.metrics
        }
        for dimension in self.dimensions:
            found[dimension.name] = _digest({
                "what": "dimension",
                "metric": computation(self.metric(dimension.metric)) if dimension.metric else None,
                "source": dimension.source,
                "source_spec": self.sources[dimension.source].as_dict() if dimension.source else None,
                "filter": _filter_state(dimension.filter),
                "time": dimension.time,
                "column": dimension.column,
                "field": dimension.field,
                "amount": dimension.amount,
            })  # fmt: skip
        return found


def _filter_state(entries: Filter) -> list[Any]:
    return sorted([key, sorted(values, key=repr)] for key, values in entries)


def _digest(state: dict[str, Any]) -> str:
    text = json.dumps(state, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -------------------------------------------------------------------------------------------
# Reading and validating


Named = TypeVar("Named", MetricSpec, DimensionSpec)


def _named(entries: tuple[Named, ...], name: str, what: str, var: str) -> Named:
    """The entry called `name`, else one line naming the known ones."""
    for entry in entries:
        if entry.name == name:
            return entry
    raise BizstatsError(
        f"unknown {what} {name!r}: the registry (vars.{var} of dbt_project.yml) has "
        f"{', '.join(e.name for e in entries)}"
    )


def _listing(names: Any) -> str:
    return ", ".join(str(n) for n in names) or "none"


class _Entry:
    """One entry being read: its fields, and `fail` for a line naming it."""

    def __init__(self, what: str, number: int, raw: Any) -> None:
        self.raw = raw if isinstance(raw, dict) else {}
        name = self.raw.get("name")
        self.label = f"{what} {name!r}" if isinstance(name, str) and name else f"{what} #{number}"
        self.what = what
        if not isinstance(raw, dict):
            self.fail(f"is not a mapping of fields but {_yaml_type(raw)}: write it as `- name: ...` lines")

    def fail(self, problem: str) -> NoReturn:
        raise BizstatsError(f"{self.label}: {problem}")

    def text(self, key: str, required: bool = True, default: str | None = None) -> str | None:
        value = self.raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"{key} is missing: add `{key}:` to the entry")
            return default
        if not isinstance(value, str):
            self.fail(f"{key} must be text, got {_yaml_type(value)} {value!r}: quote it")
        return value.strip()

    def column(self, key: str, required: bool = False) -> str | None:
        value = self.text(key, required)
        if value is not None and not COLUMN.fullmatch(value):
            self.fail(f"{key} {value!r} is not a column name (letters, digits and _): name a column")
        return value.lower() if value is not None else None

    def known_fields(self, allowed: tuple[str, ...]) -> None:
        unknown = [k for k in self.raw if k not in allowed]
        if unknown:
            extra = " (additive is derived from kind)" if "additive" in unknown else ""
            self.fail(
                f"unknown field {str(unknown[0])!r}{extra} (fields: {_listing(allowed)}): "
                "remove it or fix its spelling"
            )


def _yaml_type(value: Any) -> str:
    return {
        bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "a mapping",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)  # fmt: skip


def _name(entry: _Entry) -> str:
    name = entry.text("name")
    assert name is not None
    if not NAME.fullmatch(name) or len(name) > NAME_MAX:
        entry.fail(
            f"name {name!r} is not snake_case of at most {NAME_MAX} characters ([a-z][a-z0-9_]*): rename it"
        )
    return name


def _filter(entry: _Entry, key: str = "filter") -> Filter:
    raw = entry.raw.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        entry.fail(f"{key} must be a mapping `column: value` or `column: [v1, v2]`, got {_yaml_type(raw)}")
    found: list[tuple[str, tuple[FilterValue, ...]]] = []
    for column, value in raw.items():
        column_text = str(column)
        field = column_text[len(EXTRA_PREFIX) :] if column_text.startswith(EXTRA_PREFIX) else None
        if not isinstance(column, str) or not COLUMN.fullmatch(field if field is not None else column_text):
            entry.fail(
                f"{key} key {column_text!r} is not a column name or extra_data.<field> "
                "(letters, digits and _): fix the key"
            )
        values = value if isinstance(value, list) else [value]
        if not values:
            entry.fail(f"{key} {column_text}: the list of values is empty: give at least one value")
        for item in values:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                entry.fail(
                    f"{key} {column_text}: value {item!r} is {_yaml_type(item)}, not text or a number: "
                    "quote it (e.g. 'true') or use a number"
                )
        name = EXTRA_PREFIX + field if field is not None else column_text.lower()
        found.append((name, tuple(values)))
    return tuple(found)


def _source(sources: Mapping[str, Source], entry: _Entry) -> str | None:
    name = entry.raw.get("source")
    if name is None:
        return None
    if name not in sources:
        entry.fail(f"unknown source {name!r} (sources: {_listing(sources)}): set source to one of them")
    return str(name)


def _read_sources(raw: Any) -> dict[str, Source]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BizstatsError(
            f"vars.metric_sources must be a mapping name -> {{model, time, id, slice, user_type}}, "
            f"got {_yaml_type(raw)}: fix dbt_project.yml"
        )
    sources: dict[str, Source] = {}
    for name, spec in raw.items():
        entry = _Entry("source", 0, spec)
        entry.label = f"source {name!r}"
        entry.known_fields(_SOURCE_FIELDS)
        if not isinstance(name, str) or not NAME.fullmatch(name):
            entry.fail("the name is not snake_case ([a-z][a-z0-9_]*): rename it")
        model = entry.column("model", required=True)
        time, key = entry.column("time", required=True), entry.column("id", required=True)
        slice_, user_type = entry.text("slice"), entry.text("user_type")
        if slice_ not in SLICES:
            entry.fail(f"slice {slice_!r} is not one of {', '.join(SLICES)}: set slice to one of them")
        if user_type not in USER_TYPES:
            entry.fail(
                f"user_type {user_type!r} is not one of {', '.join(USER_TYPES)}: set user_type to one of them"
            )
        assert model and time and key and slice_ and user_type
        sources[name] = Source(name, model, time, key, slice_, user_type)
    return sources


def _read_metric(number: int, raw: Any, sources: Mapping[str, Source]) -> MetricSpec:
    entry = _Entry("metric", number, raw)
    entry.known_fields(_METRIC_FIELDS)
    name = _name(entry)
    if name in RESERVED:
        entry.fail(f"{name!r} is a key column of the marts ({', '.join(RESERVED)}): choose another name")
    kind = entry.text("kind")
    if kind not in KINDS:
        entry.fail(f"unknown kind {kind!r} (kinds: {', '.join(KINDS)}): set kind to one of them")
    assert kind is not None
    label_zh, label_en = entry.text("label_zh"), entry.text("label_en")
    unit, fmt, description = entry.text("unit"), entry.text("format"), entry.text("description")
    if fmt not in FORMATS:
        entry.fail(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)}): set format to one of them")
    for needed in _NEEDS[kind]:
        if entry.raw.get(needed) in (None, ""):
            entry.fail(f"kind {kind} needs {needed}: add `{needed}:` to the entry")
    for other in _KIND_FIELDS:
        if other not in _TAKES[kind] and entry.raw.get(other) is not None:
            entry.fail(
                f"kind {kind} takes no {other} (it takes {', '.join(_TAKES[kind])}): remove `{other}:`"
            )
    source = _source(sources, entry)
    decimals = entry.raw.get("decimals", 0)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= DECIMALS_MAX:
        entry.fail(f"decimals must be a whole number from 0 to {DECIMALS_MAX}, got {decimals!r}")
    funnel = entry.raw.get("funnel_step")
    if funnel is not None and (isinstance(funnel, bool) or not isinstance(funnel, int) or funnel < 1):
        entry.fail(f"funnel_step must be a whole number from 1, got {funnel!r}")
    published = entry.raw.get("published", True)
    if not isinstance(published, bool):
        entry.fail(f"published must be true or false, got {published!r}")
    warn_above = entry.raw.get("warn_above")
    if warn_above is not None and (
        isinstance(warn_above, bool)
        or not isinstance(warn_above, (int, float, str))
        or (isinstance(warn_above, str) and not NAME.fullmatch(warn_above))
    ):
        entry.fail(f"warn_above must be a number or the name of another metric, got {warn_above!r}")
    time = entry.column("time")
    assert label_zh and label_en and unit and fmt and description is not None
    return MetricSpec(
        name=name,
        kind=kind,
        label_zh=label_zh,
        label_en=label_en,
        short_zh=entry.text("short_zh", False, label_zh) or label_zh,
        short_en=entry.text("short_en", False, label_en) or label_en,
        unit=unit,
        format=fmt,
        description=description,
        source=source,
        filter=_filter(entry),
        time=time or (sources[source].time if source else None),
        amount=entry.column("amount"),
        distinct=entry.column("distinct"),
        numerator=entry.text("numerator", False),
        denominator=entry.text("denominator", False),
        decimals=decimals,
        funnel_step=funnel,
        published=published,
        warn_above=warn_above,
    )


def _check_metrics(metrics: list[MetricSpec]) -> None:
    by_name: dict[str, MetricSpec] = {}
    steps: dict[int, str] = {}
    for metric in metrics:
        label = f"metric {metric.name!r}"
        if metric.name in by_name:
            raise BizstatsError(f"{label}: the name is used by two metrics: rename or remove one of them")
        by_name[metric.name] = metric
        if metric.funnel_step is not None:
            if metric.funnel_step in steps:
                raise BizstatsError(
                    f"{label}: funnel_step {metric.funnel_step} is also metric "
                    f"{steps[metric.funnel_step]!r}'s: give each funnel step its own number"
                )
            steps[metric.funnel_step] = metric.name
    for metric in metrics:
        other = metric.warn_above
        if isinstance(other, str) and (
            other not in by_name or not by_name[other].published or not metric.published
        ):
            raise BizstatsError(
                f"metric {metric.name!r}: warn_above {other!r} is not another published metric of the "
                f"registry (metrics: {_listing(by_name)}): give a number or one of them"
            )
        for part in ("numerator", "denominator"):
            name = getattr(metric, part)
            if name is None:
                continue
            if name not in by_name:
                raise BizstatsError(
                    f"metric {metric.name!r}: {part} {name!r} is not a metric of the registry "
                    f"(metrics: {_listing(by_name)}): name one of them"
                )
            if by_name[name].kind in ("ratio", "cumulative"):
                raise BizstatsError(
                    f"metric {metric.name!r}: {part} {name!r} is a {by_name[name].kind}: a ratio's parts "
                    "are counters, counts, unique counters, sums or first_time metrics (published: false "
                    "keeps a part out of the marts)"
                )


def _read_dimension(
    number: int, raw: Any, sources: Mapping[str, Source], metrics: Mapping[str, MetricSpec]
) -> DimensionSpec:
    entry = _Entry("dimension", number, raw)
    entry.known_fields(_DIMENSION_FIELDS)
    name = _name(entry)
    label_zh, label_en = entry.text("label_zh"), entry.text("label_en")
    metric = entry.text("metric", False)
    has_source = entry.raw.get("source") is not None
    if metric is not None and has_source:
        entry.fail("has both metric and source: keep one of them")
    if metric is None and not has_source:
        entry.fail("needs metric (the rows a metric counts) or source (rows of its own): add one of them")
    if metric is not None:
        if metric not in metrics:
            entry.fail(
                f"metric {metric!r} is not a metric of the registry (metrics: {_listing(metrics)}): "
                "name one of them"
            )
        if metrics[metric].kind not in DIMENSION_METRIC_KINDS:
            entry.fail(
                f"metric {metric!r} is a {metrics[metric].kind}, which has no rows of its own: name a "
                f"metric of kind {', '.join(DIMENSION_METRIC_KINDS)}, or give a source"
            )
        for own in ("filter", "time"):
            if entry.raw.get(own) is not None:
                entry.fail(f"{own} comes from metric {metric!r}: remove `{own}:`, or use source, not metric")
    source = _source(sources, entry)
    column, field = entry.column("column"), entry.text("field", False)
    if column is not None and field is not None:
        entry.fail("has both column and field: keep one of them")
    if column is None and field is None:
        entry.fail(
            "needs column (a column of the source) or field (a field of its extra_data): add one of them"
        )
    if field is not None and not COLUMN.fullmatch(field):
        entry.fail(f"field {field!r} is not a field name (letters, digits and _): fix it")
    time = entry.column("time")
    assert label_zh and label_en
    return DimensionSpec(
        name=name,
        label_zh=label_zh,
        label_en=label_en,
        metric=metric,
        source=source,
        filter=_filter(entry),
        time=time or (sources[source].time if source else None),
        column=column,
        field=field,
        amount=entry.column("amount"),
    )


def registry_from_vars(values: Mapping[str, Any]) -> Registry:
    """The registry of a `vars:` mapping, validated (the first problem raised)."""
    sources = _read_sources(values.get("metric_sources"))
    raw_metrics = values.get("metrics")
    if not isinstance(raw_metrics, list) or not raw_metrics:
        raise BizstatsError("vars.metrics of dbt_project.yml must be a list of metric entries: add one")
    metrics = [_read_metric(n, raw, sources) for n, raw in enumerate(raw_metrics, 1)]
    _check_metrics(metrics)
    by_name = {m.name: m for m in metrics}
    raw_dimensions = values.get("breakdown_dimensions") or []
    if not isinstance(raw_dimensions, list):
        raise BizstatsError("vars.breakdown_dimensions of dbt_project.yml must be a list of dimensions")
    dimensions: list[DimensionSpec] = []
    for number, raw in enumerate(raw_dimensions, 1):
        dimension = _read_dimension(number, raw, sources, by_name)
        if any(d.name == dimension.name for d in dimensions):
            raise BizstatsError(
                f"dimension {dimension.name!r}: the name is used by two dimensions: rename or remove one"
            )
        if dimension.name in by_name:
            raise BizstatsError(
                f"dimension {dimension.name!r}: the name is also a metric's: give the dimension another name"
            )
        dimensions.append(dimension)
    return Registry(tuple(metrics), tuple(dimensions), sources)


_cache: dict[Path, tuple[tuple[int, int], Registry]] = {}
_cache_lock = threading.Lock()


def load_registry(project_dir: Path | None = None) -> Registry:
    """The validated registry of the project's dbt_project.yml (default: bizstats.config's
    project dir), read again only when the file changes."""
    path = ((project_dir or _default_dir()) / "dbt_project.yml").resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise BizstatsError(f"cannot read the metric registry: {path}: {exc.strerror}") from exc
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise BizstatsError(f"cannot read the metric registry in {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BizstatsError(f"{path} is not valid YAML{where}: {problem}: fix the file") from exc
    values = document.get("vars") if isinstance(document, dict) else None
    registry = registry_from_vars(values if isinstance(values, dict) else {})
    with _cache_lock:
        _cache[path] = (stamp, registry)
    return registry


def _default_dir() -> Path:
    return project_dir()


# -------------------------------------------------------------------------------------------
# The columns the entries name, against dbt's manifest


def model_columns(manifest: Mapping[str, Any], model: str) -> tuple[str, ...] | None:
    """The documented columns of `model` in a parsed manifest (None: no such model)."""
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") == "model" and node.get("name") == model:
            return tuple(str(c).lower() for c in (node.get("columns") or {}))
    return None


def check_columns(registry: Registry, manifest: Mapping[str, Any] | Path) -> None:
    """Every column an entry names (filter keys, time, amount, distinct, a dimension's column)
    is a documented column of its source's model in dbt's manifest (a parsed manifest.json or
    its path), and `extra_data.<field>` keys and fields have an extra_data column to read.
    The first problem is one BizstatsError line listing the model's columns."""
    if isinstance(manifest, Path):
        try:
            manifest = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BizstatsError(f"cannot read dbt's manifest {manifest}: {exc}") from exc
    assert isinstance(manifest, Mapping)
    columns: dict[str, tuple[str, ...]] = {}
    for source in registry.sources.values():
        found = model_columns(manifest, source.model)
        if found is None:
            raise BizstatsError(
                f"source {source.name!r}: model {source.model!r} is not a model of the dbt project: "
                "set model to one (models/staging or models/intermediate)"
            )
        if not found:
            raise BizstatsError(
                f"source {source.name!r}: model {source.model} documents no columns: list every column "
                "in its yml (models/staging/_staging.yml or models/intermediate/_intermediate.yml)"
            )
        columns[source.name] = found
        for key in ("time", "id"):
            _need(f"source {source.name!r}", key, getattr(source, key), source.model, found)
    for metric in registry.metrics:
        if metric.source is None:
            continue
        found = columns[metric.source]
        label = f"metric {metric.name!r}"
        model = registry.sources[metric.source].model
        for key in ("time", "amount", "distinct"):
            _need(label, key, getattr(metric, key), model, found)
        _need_filter(label, metric.filter, model, found)
    for dimension in registry.dimensions:
        home = registry.source_of(dimension)
        assert home is not None
        found, label = columns[home.name], f"dimension {dimension.name!r}"
        for key in ("time", "column", "amount"):
            _need(label, key, getattr(dimension, key), home.model, found)
        _need_filter(label, dimension.filter, home.model, found)
        if dimension.field is not None and EXTRA_COLUMN not in found:
            raise BizstatsError(
                f"{label}: field {dimension.field!r} reads extra_data, which {home.model} has not "
                f"(columns: {', '.join(found)}): use a column, or a source with extra_data (events)"
            )


def _need(label: str, key: str, column: str | None, model: str, found: tuple[str, ...]) -> None:
    if column is not None and column.lower() not in found:
        raise BizstatsError(
            f"{label}: {key} {column!r} is not a column of {model} (columns: {', '.join(found)}): "
            "name one of them"
        )


def _need_filter(label: str, entries: Filter, model: str, found: tuple[str, ...]) -> None:
    for key, _ in entries:
        if key.startswith(EXTRA_PREFIX):
            if EXTRA_COLUMN not in found:
                raise BizstatsError(
                    f"{label}: filter {key!r} reads extra_data, which {model} has not (columns: "
                    f"{', '.join(found)}): filter on a column, or use a source with extra_data (events)"
                )
        elif key not in found:
            raise BizstatsError(
                f"{label}: filter column {key!r} is not a column of {model} (columns: {', '.join(found)}): "
                "name one of them"
            )
