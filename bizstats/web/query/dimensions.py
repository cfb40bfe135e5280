"""The values a request may filter on, from the seeds (a new channel is a CSV edit there):
channels and device types with their Chinese and English names, and the breakdown
dimensions. `all` is the rollup row of every mart."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bizstats.config import project_dir

ALL = "all"


@dataclass(frozen=True)
class Dimensions:
    channels: dict[str, dict[str, str]]  # value -> {"zh": ..., "en": ...}, `all` first
    device_types: dict[str, dict[str, str]]
    breakdowns: dict[str, list[str]]  # dimension -> its values


def _named(path: Path, key: str, all_zh: str, all_en: str) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    named = {r[key]: {"zh": r["name_zh"], "en": r["name_en"]} for r in rows}
    return {ALL: {"zh": all_zh, "en": all_en}} | named


def load_dimensions(root: Path | None = None) -> Dimensions:
    seeds = (root or project_dir()) / "seeds"
    breakdowns: dict[str, list[str]] = {}
    with (seeds / "breakdown_values.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            breakdowns.setdefault(row["dimension"], []).append(row["dimension_value"])
    return Dimensions(
        channels=_named(seeds / "channels.csv", "channel", "全部渠道", "All channels"),
        device_types=_named(seeds / "device_types.csv", "device_type", "全部设备", "All devices"),
        breakdowns=breakdowns,
    )
