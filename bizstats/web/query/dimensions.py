"""The values a request may filter on: channels and device types with their Chinese and
English names (the seeds: a new channel is a CSV edit there), and the breakdown dimensions
(the registry's `breakdown_dimensions`, with their labels and whether they have an amount;
their values' names from the seed breakdown_values.csv). `all` is the rollup row of every mart."""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizstats.config import project_dir
from bizstats.registry import load_registry

ALL = "all"


@dataclass(frozen=True)
class Breakdown:
    """A breakdown dimension: its labels, its listed values with their names (empty: the
    dimension keeps its values as they come), and whether its rows carry an amount (the
    registry's `amount`; without one, daily_breakdowns' amount is always 0)."""

    name: str
    zh: str
    en: str
    values: dict[str, dict[str, str]]  # value -> {"zh": ..., "en": ...}
    has_amount: bool

    def as_json(self) -> dict[str, Any]:
        return {"zh": self.zh, "en": self.en, "values": self.values, "amount": self.has_amount}


@dataclass(frozen=True)
class Dimensions:
    channels: dict[str, dict[str, str]]  # value -> {"zh": ..., "en": ...}, `all` first
    device_types: dict[str, dict[str, str]]
    breakdowns: dict[str, Breakdown]  # dimension -> its labels and values, in registry order


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _names(row: dict[str, str], value: str) -> dict[str, str]:
    return {"zh": row.get("name_zh") or value, "en": row.get("name_en") or value}


def _named(path: Path, key: str, all_zh: str, all_en: str) -> dict[str, dict[str, str]]:
    named = {r[key]: _names(r, r[key]) for r in _rows(path)}
    return {ALL: {"zh": all_zh, "en": all_en}} | named


def load_dimensions(root: Path | None = None) -> Dimensions:
    root = root or project_dir()
    seeds = root / "seeds"
    values: dict[str, dict[str, dict[str, str]]] = {}
    for row in _rows(seeds / "breakdown_values.csv"):
        values.setdefault(row["dimension"], {})[row["dimension_value"]] = _names(row, row["dimension_value"])
    breakdowns = {
        d.name: Breakdown(d.name, d.label_zh, d.label_en, values.get(d.name, {}), d.amount is not None)
        for d in load_registry(root).dimensions
    }
    return Dimensions(
        channels=_named(seeds / "channels.csv", "channel", "全部渠道", "All channels"),
        device_types=_named(seeds / "device_types.csv", "device_type", "全部设备", "All devices"),
        breakdowns=breakdowns,
    )


class DimensionSource:
    """The current dimensions: read again when dbt_project.yml or a seed they come from changes."""

    FILES = ("dbt_project.yml", "seeds/breakdown_values.csv", "seeds/channels.csv", "seeds/device_types.csv")

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._known: tuple[tuple[Any, ...], Dimensions] | None = None

    def get(self) -> Dimensions:
        root = self._root or project_dir()
        stamp = tuple((f, (root / f).stat().st_mtime_ns, (root / f).stat().st_size) for f in self.FILES)
        with self._lock:
            if self._known is None or self._known[0] != (str(root), *stamp):
                self._known = ((str(root), *stamp), load_dimensions(root))
            return self._known[1]
