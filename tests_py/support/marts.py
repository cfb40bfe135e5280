"""The marts' rows as the query API should give them, and which of their columns are metrics
and money (from the metric registry)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bizstats.config import Target
from bizstats.db import connect, fetch_all, qualified
from bizstats.registry import load_registry

# the columns of daily_stats as the metric registry makes them (vars.metrics of dbt_project.yml)
METRICS = tuple(m.name for m in load_registry().mart_metrics("daily_stats"))
MONEY = {m.name for m in load_registry().mart_metrics("daily_stats") if m.format == "money"} | {"amount"}


def mart_rows(target: Target, table: str, columns: list[str], where: str) -> list[dict]:
    """The mart's rows as the API should give them: dates ISO, money 2-decimal strings."""
    with connect(target) as con:
        rows = fetch_all(
            con,
            f"select {', '.join(columns)} from "
            f"{qualified(target, target.models_schema, table)} where {where} "
            f"order by {', '.join(c for c in columns if c not in METRICS and c not in MONEY)}",
        )
    out = []
    for row in rows:
        record = {}
        for col, value in zip(columns, row, strict=True):
            if isinstance(value, date):
                value = value.isoformat()
            elif col in MONEY:
                value = f"{Decimal(value):.2f}"
            elif col in METRICS or col in ("item_count", "stat_hour", "iso_year", "iso_week", "days_covered"):
                value = int(value)
            record[col] = value
        out.append(record)
    return out
