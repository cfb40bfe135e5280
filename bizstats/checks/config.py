"""The thresholds of the checks and monitors, read from `monitoring.yml` (section `monitoring:`)
and expanded to one row per (check, metric, slice): the rows of the warehouse table
`monitoring_thresholds` that the dbt models of models/monitoring/ read at run time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from bizstats.config import project_dir
from bizstats.errors import BizstatsError
from bizstats.registry import load_registry

SEVERITIES = ("critical", "general", "minor")  # as bizstats.alerts
METRIC_CHECKS = ("missing", "outlier")
RAW_CHECKS = ("duplicates", "stale")
MONITORS = ("collection_success_rate", "job_duration", "data_error_rate", "data_delay")
RENAMED_MONITORS = {"report_success_rate": "collection_success_rate"}  # old key -> its name now
RAW_METRIC = "event_logs"  # the `metric` of the checks on the raw events


@dataclass(frozen=True)
class Threshold:
    """One row of `monitoring_thresholds`: what a check or monitor judges and its limits."""

    check_name: str
    metric: str
    channel: str
    device_type: str
    severity: str
    threshold_text: str
    lookback_days: int = 0  # days before the judged day the baseline may use
    day_of_week: bool = False  # baseline from the same weekday only
    floor_value: Decimal | None = None  # missing/outlier: least baseline; success rate: least rate
    high_ratio: Decimal | None = None
    low_ratio: Decimal | None = None
    max_value: Decimal | None = None  # duplicates, stale and the monitors: the upper limit
    active_from_hour: int = 0
    active_to_hour: int = 23


def default_path() -> Path:
    """`monitoring.yml` at the project root."""
    return project_dir() / "monitoring.yml"


def load_thresholds(path: Path | None = None) -> list[Threshold]:
    """Every threshold row of the config file (default `monitoring.yml`); a BizstatsError
    naming the file and the entry when something is missing or wrong."""
    path = path or default_path()
    try:
        section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {})["monitoring"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise BizstatsError(f"cannot read section `monitoring:` of {path}: {exc}") from exc
    daily = tuple(m.name for m in load_registry().mart_metrics("daily_stats"))
    try:
        rows = _expand(section, daily)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise BizstatsError(f"{path}: {exc}") from exc
    keys = [(r.check_name, r.metric, r.channel, r.device_type) for r in rows]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise BizstatsError(f"{path}: configured twice (check, metric, channel, device_type): {repeated}")
    return rows


def _expand(section: dict[str, Any], daily: tuple[str, ...]) -> list[Threshold]:
    """The rows of the section; `daily`: the metrics a metric check may judge (the published
    metrics of the registry, the columns of daily_stats)."""
    default_slices = section.get("slices", ["all/all"])
    rows: list[Threshold] = []
    for entry in section.get("checks") or []:
        check = entry["check"]
        if check in METRIC_CHECKS:
            rows += _metric_rows(entry, entry.get("slices", default_slices), daily)
        elif check in RAW_CHECKS:
            rows.append(_raw_row(entry))
        else:
            raise ValueError(f"unknown check {check!r}: one of {', '.join(METRIC_CHECKS + RAW_CHECKS)}")
    for name, entry in (section.get("monitors") or {}).items():
        rows.append(_monitor_row(name, entry))
    return rows


def _severity(entry: dict[str, Any], what: str) -> str:
    severity = entry.get("severity", "general")
    if severity not in SEVERITIES:
        raise ValueError(f"{what}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    return str(severity)


def _number(entry: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(entry[key]))


def _slice(text: str) -> tuple[str, str]:
    channel, _, device = str(text).partition("/")
    if not channel or not device:
        raise ValueError(f"slice {text!r} is not channel/device_type, e.g. all/all or wechat/all")
    return channel, device


def _metric_rows(entry: dict[str, Any], slices: list[str], daily: tuple[str, ...]) -> list[Threshold]:
    check = entry["check"]
    seasonal = bool(entry.get("day_of_week", False))
    weeks, window = int(entry.get("weeks", 4)), int(entry.get("window_days", 7))
    if min(weeks, window) < 1:
        raise ValueError(f"{check}: weeks and window_days must be at least 1")
    baseline = (
        f"the mean of the same weekday of the previous {weeks} weeks"
        if seasonal
        else f"the mean of the previous {window} days"
    )
    floor = _number(entry, "floor")
    if check == "missing":
        limits: dict[str, Any] = {}
        text = f"0 while {baseline} >= {floor}"
    else:
        high, low = _number(entry, "high_ratio"), _number(entry, "low_ratio")
        limits = {"high_ratio": high, "low_ratio": low}
        text = f"> {high}x or < {low}x {baseline} (judged when it is >= {floor})"
    rows = []
    for metric in entry["metrics"]:
        if metric not in daily:
            raise ValueError(
                f"{check}: metric {metric!r} is not a published metric of the registry (the columns of "
                f"daily_stats, vars.metrics of dbt_project.yml: {', '.join(daily)}): name one of them"
            )
        for channel, device in map(_slice, slices):
            rows.append(
                Threshold(
                    check, metric, channel, device, _severity(entry, check), text,
                    lookback_days=7 * weeks if seasonal else window, day_of_week=seasonal,
                    floor_value=floor, **limits,
                )
            )
    return rows


def _raw_row(entry: dict[str, Any]) -> Threshold:
    check = entry["check"]
    if check == "duplicates":
        limit = _number(entry, "max_rate")
        return Threshold(check, RAW_METRIC, "all", "all", _severity(entry, check),
                         f"duplicate rate > {limit}", max_value=limit)
    limit = _number(entry, "max_minutes")
    hours = int(entry.get("active_from_hour", 0)), int(entry.get("active_to_hour", 23))
    if not 0 <= hours[0] <= hours[1] <= 23:
        raise ValueError("stale: need 0 <= active_from_hour <= active_to_hour <= 23")
    return Threshold(
        check, RAW_METRIC, "all", "all", _severity(entry, check),
        f"newest event > {limit} min old (local hours {hours[0]}-{hours[1]})",
        max_value=limit, active_from_hour=hours[0], active_to_hour=hours[1],
    )


def _monitor_row(name: str, entry: dict[str, Any]) -> Threshold:
    if name in RENAMED_MONITORS:
        raise ValueError(f"monitor {name!r} is now called {RENAMED_MONITORS[name]!r}: rename the key")
    if name not in MONITORS:
        raise ValueError(f"unknown monitor {name!r}: one of {', '.join(MONITORS)}")
    severity = _severity(entry, name)
    if name == "collection_success_rate":
        limit = _number(entry, "min_rate")
        return Threshold(name, "", "all", "all", severity, f"< {limit}", floor_value=limit)
    unit, key = (" min", "max_minutes") if name in ("job_duration", "data_delay") else ("", "max_rate")
    limit = _number(entry, key)
    return Threshold(name, "", "all", "all", severity, f"> {limit}{unit}", max_value=limit)
