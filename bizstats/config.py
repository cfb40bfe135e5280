"""Where things are: the dbt project, the targets, their schemas, read from env vars."""

from __future__ import annotations

import os
import re
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


def env_int(name: str, default: int, low: int, high: int, unit: str = "") -> int:
    """A whole-number setting from the environment, `low` to `high`: a bad value is one
    BizstatsError naming the setting (ASCII digits only: '²' or '1e9' are refused)."""
    raw = os.environ.get(name, "").strip() or str(default)
    if not re.fullmatch(r"[0-9]{1,18}", raw) or not low <= int(raw) <= high:
        what = f" {unit}" if unit else ""
        raise BizstatsError(f"{name} must be a whole number{what} from {low} to {high}, got {raw!r}")
    return int(raw)


# A MySQL/MariaDB database name bizstats makes (`<schema>` and `<schema>_raw`): letters,
# digits, _ $ and -, at most 60 characters (the server's 64 less `_raw`). Anything else (a
# quote, a backtick, a space, a dot) is refused up front rather than quoted in every SQL text.
SCHEMA_NAME = re.compile(r"[A-Za-z0-9_$-]{1,60}")


def redis_url(name: str = "BIZSTATS_REDIS_URL") -> str | None:
    """BIZSTATS_REDIS_URL (unset or empty: None), checked as redis-py parses it: a bad value
    is one line naming the setting, never the URL (it may carry a password)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    from redis.connection import parse_url

    try:
        parse_url(raw)
    except (ValueError, TypeError) as exc:
        reason = str(exc).split(":")[0] if "://" not in str(exc) else "not a Redis URL"
        raise BizstatsError(
            f"{name} is not a Redis URL ({reason}): expected redis://[user:password@]host:port/db, "
            "rediss://... or unix://path"
        ) from None
    return raw


def fernet_key(name: str = "BIZSTATS_COLLECT_FERNET_KEY") -> str | None:
    """BIZSTATS_COLLECT_FERNET_KEY (unset or empty: None), checked: a bad key is one line
    naming the setting (never the key)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    from cryptography.fernet import Fernet

    try:
        Fernet(raw)
    except (ValueError, TypeError):
        raise BizstatsError(
            f"{name} is not a Fernet key: it must be 32 url-safe base64-encoded bytes, e.g. from "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
        ) from None
    return raw


def env_file(name: str) -> Path | None:
    """A setting naming a file (BIZSTATS_ALERTS_CONFIG, BIZSTATS_MONITORING_CONFIG): None when
    unset; a path that is not a file is one line naming the setting."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise BizstatsError(f"{name}={raw!r}: no such file")
    return path


def file_path(name: str) -> Path | None:
    """A setting naming a file bizstats may create (BIZSTATS_DUCKDB_PATH, BIZSTATS_SPOOL_PATH):
    None when unset; a path that exists and is not a file (a folder) is one line naming it."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).resolve()
    if path.exists() and not path.is_file():
        raise BizstatsError(f"{name}={raw!r} is not a file (a folder?): name the file itself")
    return path


def trusted_proxies(name: str = "BIZSTATS_COLLECT_TRUSTED_PROXIES") -> tuple[str, ...]:
    """The proxies whose X-Forwarded-For the collector believes: IP addresses, comma-separated
    (a network such as 10.0.0.0/8 would silently match nothing, so it is refused)."""
    import ipaddress

    found = []
    for number, item in enumerate(os.environ.get(name, "").split(","), 1):
        if not item.strip():
            continue
        try:
            found.append(str(ipaddress.ip_address(item.strip())))
        except ValueError:
            raise BizstatsError(
                f"{name}: item {number} is not an IP address (list each proxy's address, "
                "comma-separated; networks are not accepted)"
            ) from None
    return tuple(found)


def duckdb_memory_limit(name: str = "BIZSTATS_DUCKDB_MEMORY_LIMIT") -> str | None:
    """DuckDB's memory cap for builds (profiles.yml; default 512MB), checked: a number with a
    unit (KB, MB, GB, TB, KiB, MiB, GiB, TiB) or a percentage."""
    raw = os.environ.get(name, "").strip()
    if raw and not re.fullmatch(r"(?i)[0-9]+(\.[0-9]+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)", raw):
        raise BizstatsError(f"{name} must be a size such as 512MB or 2GiB, got {raw!r}")
    return raw or None


@dataclass(frozen=True)
class MySQLSettings:
    host: str
    port: int
    user: str
    password: str
    schema: str

    @classmethod
    def from_env(cls) -> MySQLSettings:
        schema = os.environ.get("BIZSTATS_MYSQL_SCHEMA", "bizstats")
        if not SCHEMA_NAME.fullmatch(schema):
            raise BizstatsError(
                f"BIZSTATS_MYSQL_SCHEMA must be 1 to 60 letters, digits, _, $ or -, got {schema!r}"
            )
        return cls(
            host=os.environ.get("BIZSTATS_MYSQL_HOST", "127.0.0.1"),
            port=env_int("BIZSTATS_MYSQL_PORT", 3306, 1, 65535),
            user=os.environ.get("BIZSTATS_MYSQL_USER", "root"),
            password=os.environ.get("BIZSTATS_MYSQL_PASSWORD", ""),
            schema=schema,
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


MIN_DATETIME_RANGE = (datetime(1900, 1, 1), datetime(3000, 1, 1))


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
        try:
            start = datetime.strptime(earliest, "%Y-%m-%d %H:%M:%S" if " " in earliest else "%Y-%m-%d")
        except ValueError:
            start = None
        if start is None or not MIN_DATETIME_RANGE[0] <= start < MIN_DATETIME_RANGE[1]:
            raise BizstatsError(
                "BIZSTATS_MIN_DATETIME must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS from "
                f"{MIN_DATETIME_RANGE[0]:%Y-%m-%d} to before {MIN_DATETIME_RANGE[1]:%Y-%m-%d}, "
                f"got {earliest!r}"
            )
        # at most ten years ahead: every datetime arithmetic on the window stays in range
        return cls(start, env_int("BIZSTATS_MAX_DAYS_AHEAD", 1, 0, 3650, "of days"))

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
    return env_int(LATE_DATA_DAYS_ENV, 30, 1, 3650, "of days")
