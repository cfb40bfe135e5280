"""Where things are: the dbt project, the targets, their schemas, read from env vars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bizstats.errors import BizstatsError

TARGETS = ("duckdb", "mysql")
DEFAULT_TARGET = "duckdb"


def project_dir() -> Path:
    """The dbt project root (the repository root for an editable install)."""
    env = os.environ.get("BIZSTATS_PROJECT_DIR")
    root = Path(env) if env else Path(__file__).resolve().parents[1]
    if not (root / "dbt_project.yml").is_file():
        raise BizstatsError(
            f"no dbt_project.yml under {root}: install bizstats with `pip install -e .` "
            "from its repository or set BIZSTATS_PROJECT_DIR"
        )
    return root


@dataclass(frozen=True)
class MySQLSettings:
    host: str
    port: int
    user: str
    password: str
    schema: str

    @classmethod
    def from_env(cls) -> MySQLSettings:
        port = os.environ.get("BIZSTATS_MYSQL_PORT", "3306")
        if not port.isdigit():
            raise BizstatsError(f"BIZSTATS_MYSQL_PORT must be a number, got {port!r}")
        return cls(
            host=os.environ.get("BIZSTATS_MYSQL_HOST", "127.0.0.1"),
            port=int(port),
            user=os.environ.get("BIZSTATS_MYSQL_USER", "root"),
            password=os.environ.get("BIZSTATS_MYSQL_PASSWORD", ""),
            schema=os.environ.get("BIZSTATS_MYSQL_SCHEMA", "bizstats"),
        )


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
        return MySQLSettings.from_env().schema if self.name == "mysql" else "main"

    @property
    def raw_schema(self) -> str:
        """Schema holding the raw contract tables (`<models schema>_raw`)."""
        return f"{self.models_schema}_raw"

    @property
    def duckdb_path(self) -> Path:
        return Path(os.environ.get("BIZSTATS_DUCKDB_PATH", "bizstats.duckdb")).resolve()
