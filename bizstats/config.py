"""Where things are: the dbt project, the targets, their schemas, read from env vars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
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


@dataclass(frozen=True)
class DatetimeWindow:
    """The datetimes `bizstats load` accepts: [earliest, load time + days_ahead] (the raw
    contract; a datetime outside it is quarantined). BIZSTATS_MIN_DATETIME (default
    2000-01-01 00:00:00) and BIZSTATS_MAX_DAYS_AHEAD (default 1), read at each load."""

    earliest: datetime
    days_ahead: int

    @classmethod
    def from_env(cls) -> DatetimeWindow:
        earliest = os.environ.get("BIZSTATS_MIN_DATETIME", "2000-01-01 00:00:00").strip()
        days = os.environ.get("BIZSTATS_MAX_DAYS_AHEAD", "1").strip()
        try:
            start = datetime.strptime(earliest, "%Y-%m-%d %H:%M:%S" if " " in earliest else "%Y-%m-%d")
        except ValueError:
            raise BizstatsError(
                f"BIZSTATS_MIN_DATETIME must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got {earliest!r}"
            ) from None
        if not days.isdigit():
            raise BizstatsError(f"BIZSTATS_MAX_DAYS_AHEAD must be a whole number of days, got {days!r}")
        return cls(start, int(days))

    def bounds(self, loaded_at: datetime) -> tuple[str, str]:
        """The window of a load at `loaded_at` (UTC) as `YYYY-MM-DD HH:MM:SS` text, inclusive;
        the end is cut to the second, so it never admits a later datetime."""
        latest = loaded_at + timedelta(days=self.days_ahead)
        return f"{self.earliest:%Y-%m-%d %H:%M:%S}", f"{latest:%Y-%m-%d %H:%M:%S}"


LATE_DATA_DAYS_ENV = "BIZSTATS_LATE_DATA_DAYS"


def late_data_days() -> int:
    """The late-data horizon (迟到数据期限), BIZSTATS_LATE_DATA_DAYS (default 30 days, 1 to
    3650): a browser event older than this when it arrives is quarantined, not stored in
    event_logs; a build leaves the pending days more than this before its requested start
    pending (and alerts), so one far-past day never turns a nightly into years."""
    raw = os.environ.get(LATE_DATA_DAYS_ENV, "30").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 3650:
        raise BizstatsError(
            f"{LATE_DATA_DAYS_ENV} must be a whole number of days from 1 to 3650, got {raw!r}"
        )
    return int(raw)
