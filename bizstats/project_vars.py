"""Warehouse rules that live in the dbt project (`vars:` of dbt_project.yml), read by Python.

The dbt project is their one home: the time zone offset and the lookback window are dbt vars,
so the models, the build planner, the report and the demo generator all agree by construction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml

from bizstats.config import project_dir
from bizstats.errors import BizstatsError


@dataclass(frozen=True)
class ProjectVars:
    utc_offset_hours: int  # var stats_utc_offset_hours: the statistics time zone
    lookback_days: int  # var lookback_days: a build for day D rebuilds at least [D - lookback, D]
    max_build_days: int  # var max_build_days: the longest plan without an explicit --start/--end
    amount_max: Decimal  # var amount_max: the raw contract's largest amount (bizstats.validate)
    count_bot_traffic: bool = False  # var count_bot_traffic: bots' page views counted (marts, counters)


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
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise BizstatsError(
            "cannot read vars stats_utc_offset_hours, lookback_days, max_build_days, amount_max and "
            f"count_bot_traffic from {path}: {exc}"
        ) from exc


def _flag(values: dict, name: str) -> bool:
    """A true/false var (false when absent)."""
    value = values.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"var {name} must be true or false, got {value!r}")
    return value
