"""Warehouse rules that live in the dbt project (`vars:` of dbt_project.yml), read by Python.

The dbt project is their one home: the time zone offset and the lookback window are dbt vars,
so the models, the build planner, the report and the demo generator all agree by construction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from bizstats.config import project_dir
from bizstats.contract import TABLES
from bizstats.errors import BizstatsError


@dataclass(frozen=True)
class ProjectVars:
    utc_offset_hours: int  # var stats_utc_offset_hours: the statistics time zone
    lookback_days: int  # var lookback_days: a build for day D rebuilds at least [D - lookback, D]
    max_build_days: int  # var max_build_days: the longest plan without an explicit --start/--end
    amount_max: Decimal  # var amount_max: the raw contract's largest amount (bizstats.validate)
    count_bot_traffic: bool = False  # var count_bot_traffic: bots' page views counted (marts, counters)
    # var fact_time_columns: raw table -> the datetimes that put its rows' numbers on a local
    # day (late data, the first day of data); a table not listed has none
    fact_time_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


@functools.cache
def project_vars() -> ProjectVars:
    """The vars of dbt_project.yml (cached: the file does not change while we run)."""
    path = project_dir() / "dbt_project.yml"
    try:
        values = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("vars") or {}
        return ProjectVars(
            utc_offset_hours=int(values["stats_utc_offset_hours"]),
            lookback_days=int(values["lookback_days"]),
            max_build_days=int(values["max_build_days"]),
            amount_max=Decimal(str(values["amount_max"])),
            count_bot_traffic=_flag(values, "count_bot_traffic"),
            fact_time_columns=_fact_times(values["fact_time_columns"]),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise BizstatsError(
            "cannot read vars stats_utc_offset_hours, lookback_days, max_build_days, amount_max, "
            f"count_bot_traffic and fact_time_columns from {path}: {exc}"
        ) from exc


def _flag(values: dict[str, Any], name: str) -> bool:
    """A true/false var (false when absent)."""
    value = values.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"var {name} must be true or false, got {value!r}")
    return value


def _fact_times(value: object) -> dict[str, tuple[str, ...]]:
    """var fact_time_columns: each raw table of the contract -> datetime columns of it."""
    if not isinstance(value, dict):
        raise ValueError(f"var fact_time_columns must map raw tables to lists of columns, got {value!r}")
    found: dict[str, tuple[str, ...]] = {name: () for name in TABLES}
    for name, columns in value.items():
        table = TABLES.get(name)
        if table is None or not isinstance(columns, list):
            raise ValueError(f"var fact_time_columns: {name!r} is not a raw table with a list of columns")
        kinds = {column.name: column.kind for column in table.columns}
        wrong = [c for c in columns if kinds.get(c) != "datetime"]
        if wrong:
            raise ValueError(f"var fact_time_columns.{name}: {wrong} are not datetime columns of {name}")
        found[name] = tuple(columns)
    return found
