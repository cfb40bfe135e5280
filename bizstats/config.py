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

TARGETS = ("duckdb", "mysql", "spark")
DEFAULT_TARGET = "duckdb"


def project_dir() -> Path:
    """The dbt project root (BIZSTATS_PROJECT_DIR; the repository root for an editable install)."""
    return settings().warehouse.project_dir


@dataclass(frozen=True)
class Target:
    """A warehouse target: `duckdb` (embedded file), `mysql` (MySQL 8 / MariaDB) or `spark`
    (Apache Spark through its Thrift server; its bookkeeping and landed raw rows live in a
    DuckDB file of its own, `control`). `file` names the DuckDB file of a duckdb target when
    it is not BIZSTATS_DUCKDB_PATH (the spark target's control database)."""

    name: str
    file: Path | None = None

    def __post_init__(self) -> None:
        if self.name not in TARGETS:
            raise BizstatsError(f"unknown target {self.name!r}: choose one of {', '.join(TARGETS)}")

    @property
    def models_schema(self) -> str:
        """Schema (a database on MySQL) that dbt builds the models into."""
        if self.name == "mysql":
            return settings().mysql.schema
        return settings().spark.schema if self.name == "spark" else "main"

    @property
    def control(self) -> Target:
        """Where the bookkeeping (ledgers, pending days, builds, keys, alerts, runs, audit) and
        the raw rows' landing live: the target itself, except for spark, whose control database
        is the DuckDB file BIZSTATS_SPARK_LANDING (bizstats.spark)."""
        if self.name != "spark":
            return self
        return Target("duckdb", settings().spark.landing)

    @property
    def is_spark(self) -> bool:
        return self.name == "spark"

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
        """The DuckDB file (`file`, else BIZSTATS_DUCKDB_PATH, default bizstats.duckdb), absolute."""
        return (self.file or settings().warehouse.duckdb_path).resolve()
