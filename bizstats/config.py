"""Where things are: the dbt project and the targets, with their schemas and files (from the
settings object, bizstats.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bizstats.errors import BizstatsError
from bizstats.settings import MIN_DATETIME_RANGE, SCHEMA_NAME, DatetimeWindow, MySQLSettings, settings

__all__ = [
    "DEFAULT_TARGET", "MIN_DATETIME_RANGE", "SCHEMA_NAME", "TARGETS", "DatetimeWindow", "MySQLSettings",
    "Target", "project_dir",
]

TARGETS = ("duckdb", "mysql")
DEFAULT_TARGET = "duckdb"


def project_dir() -> Path:
    """The dbt project root (BIZSTATS_PROJECT_DIR; the repository root for an editable install)."""
    return settings().warehouse.project_dir


@dataclass(frozen=True)
class Target:
    """A warehouse target: `duckdb` (embedded file) or `mysql` (MySQL 8 / MariaDB)."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in TARGETS:
            raise BizstatsError(f"unknown target {self.name!r}: choose one of {', '.join(TARGETS)}")

    @property
    def models_schema(self) -> str:
        """Schema (a database on MySQL) that dbt builds the models into."""
        return settings().mysql.schema if self.name == "mysql" else "main"

    @property
    def raw_schema(self) -> str:
        """Schema holding the raw contract tables (`<models schema>_raw`)."""
        return f"{self.models_schema}_raw"

    @property
    def audit_schema(self) -> str:
        """MySQL/MariaDB: the database of the audit trail (`<models schema>_audit`), apart from
        the warehouse it audits (a restore of the warehouse does not roll the trail back)."""
        return f"{self.models_schema}_audit"

    @property
    def duckdb_path(self) -> Path:
        """The DuckDB file (BIZSTATS_DUCKDB_PATH, default bizstats.duckdb), absolute."""
        return settings().warehouse.duckdb_path.resolve()
