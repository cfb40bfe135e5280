"""The one settings object (配置项): every environment variable bizstats reads, parsed here.

Rules:

- `settings()` is the settings of the current environment: a `Settings` over a frozen copy of
  `os.environ`, cached by the environment's content (and the working folder, which relative
  paths depend on), so a changed environment is a new object and an unchanged one is parsed
  once. No other module of bizstats or flows reads `os.environ`.
- A `Settings` is immutable (setting an attribute raises). Its sections (`warehouse`,
  `storage`, `mysql`, `load`, `privacy`, `redis`, `realtime`, `collector`, `jobs`, `alerts`,
  `prefect`, `retention`, `internal`) are parsed and validated on first access only, so a
  command validates exactly the sections it reads: a bad collector setting never fails a
  build. `check(*names)` reads
  the named sections up front (the CLI does, before a command starts).
- Each section is a frozen dataclass with a `from_env(env)` classmethod; a bad value is one
  BizstatsError naming the variable, never echoing a secret.
- `scoped_environ(values)` is the one way bizstats writes the environment (for dbt and the
  processes it starts): for a block, then exactly what was there is put back.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

from bizstats.errors import BizstatsError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

Env = Mapping[str, str]


# ---- parsing one variable --------------------------------------------------------------------


def _raw(env: Env, name: str) -> str:
    return env.get(name, "").strip()


def env_int(env: Env, name: str, default: int, low: int, high: int, unit: str = "") -> int:
    """A whole-number setting, `low` to `high`: a bad value is one BizstatsError naming the
    setting (ASCII digits only: '²' or '1e9' are refused)."""
    raw = _raw(env, name) or str(default)
    if not re.fullmatch(r"[0-9]{1,18}", raw) or not low <= int(raw) <= high:
        what = f" {unit}" if unit else ""
        raise BizstatsError(f"{name} must be a whole number{what} from {low} to {high}, got {raw!r}")
    return int(raw)


def env_seconds(env: Env, name: str, default: str, low: float, high: float) -> float:
    """A number of seconds, `low` to `high` (never NaN or infinite: a wait must end)."""
    raw = _raw(env, name) or default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise BizstatsError(f"{name} must be a number of seconds from {low:g} to {high:g}, got {raw!r}")
    return value


def env_decimal(env: Env, name: str, default: str, high: int) -> Decimal:
    """A decimal number from 0 to `high`."""
    raw = _raw(env, name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= high:
        raise BizstatsError(f"{name}={raw!r} must be a number from 0 to {high}")
    return value


def redis_url(env: Env, name: str = "BIZSTATS_REDIS_URL") -> str | None:
    """A Redis URL (unset or empty: None), checked as redis-py parses it: a bad value is one
    line naming the setting, never the URL (it may carry a password)."""
    raw = _raw(env, name)
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


def fernet_key(env: Env, name: str = "BIZSTATS_COLLECT_FERNET_KEY") -> str | None:
    """Fernet keys, a comma-separated list (unset or empty: None): the first encrypts, every
    one decrypts (MultiFernet: a key rotates by putting the new one first, then `bizstats pii
    rotate`). Each is checked (parse_fernet_keys)."""
    raw = _raw(env, name)
    if not raw:
        return None
    parse_fernet_keys(raw, name)
    return raw


def parse_fernet_keys(raw: str | None, name: str = "BIZSTATS_COLLECT_FERNET_KEY") -> list[Fernet]:
    """The Fernet objects of a comma-separated list of keys (blanks around a key ignored;
    unset or empty: none), in order. A bad one is one line naming the setting and the key's
    position, never a key."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in (raw or "").split(",")]
    if keys == [""]:
        return []
    found = []
    for number, key in enumerate(keys, start=1):
        try:
            found.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            which = f" (key {number} of {len(keys)})" if len(keys) > 1 else ""
            raise BizstatsError(
                f"{name} is not a Fernet key{which}: each key of the comma-separated list is 32 "
                "url-safe base64-encoded bytes, e.g. from `python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'`"
            ) from None
    return found


def env_file(env: Env, name: str) -> Path | None:
    """A setting naming a file that must exist: None when unset; a path that is not a file is
    one line naming the setting."""
    raw = _raw(env, name)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise BizstatsError(f"{name}={raw!r}: no such file")
    return path


def file_path(env: Env, name: str) -> Path | None:
    """A setting naming a file bizstats may create: None when unset; a path that exists and is
    not a file (a folder) is one line naming it. The path is kept as given (relative paths
    are resolved where the file is opened)."""
    raw = _raw(env, name)
    if not raw:
        return None
    path = Path(raw)
    if path.exists() and not path.is_file():
        raise BizstatsError(f"{name}={raw!r} is not a file (a folder?): name the file itself")
    return path


def folder_path(env: Env, name: str, default: str) -> Path:
    """A setting naming a folder bizstats may create, absolute; an existing file there is one
    line naming it."""
    path = Path(_raw(env, name) or default).resolve()
    if path.exists() and not path.is_dir():
        raise BizstatsError(f"{name}={str(path)!r} is a file: name a folder")
    return path


def trusted_proxies(env: Env, name: str = "BIZSTATS_COLLECT_TRUSTED_PROXIES") -> tuple[str, ...]:
    """IP addresses, comma-separated (a network such as 10.0.0.0/8 would silently match
    nothing, so it is refused)."""
    found = []
    for number, item in enumerate(env.get(name, "").split(","), 1):
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


def pairs(env: Env, name: str) -> dict[str, str]:
    """`a=x;b=y` into {"a": "x", "b": "y"} (blanks around items ignored). A malformed item
    is named by its position (and name, when it has one), never echoed: the value may be a
    secret (BIZSTATS_COLLECT_SOURCES holds HMAC secrets)."""
    found: dict[str, str] = {}
    for number, item in enumerate(env.get(name, "").split(";"), 1):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            named = f" ({key.strip()!r})" if sep and key.strip() else ""
            raise BizstatsError(
                f"{name}: item {number}{named} is not NAME=VALUE; items are separated by ';' "
                "(the item is not shown: it may hold a secret)"
            )
        found[key.strip()] = value.strip()
    return found


# ---- the sections ------------------------------------------------------------------------------

# A MySQL/MariaDB database name bizstats makes (`<schema>`, `<schema>_raw` and `<schema>_audit`):
# letters, digits, _ $ and -, at most 58 characters (the server's 64 less `_audit`). Anything else (a
# quote, a backtick, a space, a dot) is refused up front rather than quoted in every SQL text.
SCHEMA_NAME = re.compile(r"[A-Za-z0-9_$-]{1,58}")
_MEMORY = re.compile(r"(?i)[0-9]+(\.[0-9]+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|%)")


@dataclass(frozen=True)
class WarehouseSettings:
    """Where the warehouse is: BIZSTATS_PROJECT_DIR (the dbt project; default the repository
    bizstats runs from) and BIZSTATS_DUCKDB_PATH (default bizstats.duckdb). Read alone: no
    other setting can make a target's file or schema unknown."""

    project_dir: Path
    duckdb_path: Path

    @classmethod
    def from_env(cls, env: Env) -> WarehouseSettings:
        given = _raw(env, "BIZSTATS_PROJECT_DIR")
        root = Path(given) if given else Path(__file__).resolve().parents[1]
        if not (root / "dbt_project.yml").is_file():
            raise BizstatsError(
                f"no dbt_project.yml under {root}: install bizstats with `pip install -e .` "
                "from its repository or set BIZSTATS_PROJECT_DIR"
            )
        return cls(root, file_path(env, "BIZSTATS_DUCKDB_PATH") or Path("bizstats.duckdb"))


@dataclass(frozen=True)
class StorageSettings:
    """The warehouse's other files and limits: BIZSTATS_DUCKDB_MEMORY_LIMIT (DuckDB's cap for
    builds, a size or a percentage; profiles.yml defaults to 512MB) and BIZSTATS_SPOOL_PATH
    (the DuckDB collector's spool; default beside the DuckDB file). Read alone: no collector
    setting can fail a build, which ingests the spool."""

    duckdb_memory_limit: str | None = None
    spool_path: Path | None = None

    @classmethod
    def from_env(cls, env: Env) -> StorageSettings:
        memory = _raw(env, "BIZSTATS_DUCKDB_MEMORY_LIMIT")
        if memory and not _MEMORY.fullmatch(memory):
            raise BizstatsError(
                f"BIZSTATS_DUCKDB_MEMORY_LIMIT must be a size such as 512MB or 2GiB, got {memory!r}"
            )
        return cls(memory or None, file_path(env, "BIZSTATS_SPOOL_PATH"))


@dataclass(frozen=True)
class MySQLSettings:
    """The MySQL/MariaDB server (BIZSTATS_MYSQL_HOST, _PORT, _USER, _PASSWORD) and the schema
    (BIZSTATS_MYSQL_SCHEMA: models in `<schema>`, raw tables in `<schema>_raw`, the audit trail
    in `<schema>_audit`)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    schema: str

    @classmethod
    def from_env(cls, env: Env) -> MySQLSettings:
        schema = env.get("BIZSTATS_MYSQL_SCHEMA", "bizstats")
        if not SCHEMA_NAME.fullmatch(schema):
            raise BizstatsError(
                f"BIZSTATS_MYSQL_SCHEMA must be 1 to 58 letters, digits, _, $ or -, got {schema!r}"
            )
        return cls(
            host=env.get("BIZSTATS_MYSQL_HOST", "127.0.0.1"),
            port=env_int(env, "BIZSTATS_MYSQL_PORT", 3306, 1, 65535),
            user=env.get("BIZSTATS_MYSQL_USER", "root"),
            password=env.get("BIZSTATS_MYSQL_PASSWORD", ""),
            schema=schema,
        )


SPARK_AUTHS = ("NONE", "NOSASL", "LDAP", "KERBEROS", "CUSTOM")


@dataclass(frozen=True)
class SparkSettings:
    """The Spark target (Apache Spark through its Thrift server, `--target spark`): the server
    (BIZSTATS_SPARK_HOST, _PORT, _USER, _AUTH, _PASSWORD), the schema of the models
    (BIZSTATS_SPARK_SCHEMA, default the value of BIZSTATS_MYSQL_SCHEMA: raw tables in
    `<schema>_raw`), the control database (BIZSTATS_SPARK_LANDING: a DuckDB file holding the
    bookkeeping and the landed raw rows), the lake (BIZSTATS_SPARK_LAKE_DIR: the raw rows as
    Parquet, one folder per load day, read by Spark at the same path), and, for the local
    server of `bizstats spark up`, its folder (BIZSTATS_SPARK_HOME_DIR) and master
    (BIZSTATS_SPARK_MASTER)."""

    host: str
    port: int
    user: str
    auth: str
    password: str = field(repr=False)
    schema: str
    landing: Path
    lake_dir: Path
    home: Path
    master: str

    @classmethod
    def from_env(cls, env: Env) -> SparkSettings:
        schema = env.get("BIZSTATS_SPARK_SCHEMA") or env.get("BIZSTATS_MYSQL_SCHEMA") or "bizstats"
        if not SCHEMA_NAME.fullmatch(schema):
            raise BizstatsError(
                f"BIZSTATS_SPARK_SCHEMA must be 1 to 58 letters, digits, _, $ or -, got {schema!r}"
            )
        auth = (env.get("BIZSTATS_SPARK_AUTH") or "NONE").upper()
        if auth not in SPARK_AUTHS:
            raise BizstatsError(f"BIZSTATS_SPARK_AUTH must be one of {', '.join(SPARK_AUTHS)}, got {auth!r}")
        return cls(
            host=env.get("BIZSTATS_SPARK_HOST", "127.0.0.1"),
            port=env_int(env, "BIZSTATS_SPARK_PORT", 10000, 1, 65535),
            user=env.get("BIZSTATS_SPARK_USER") or "bizstats",
            auth=auth,
            password=env.get("BIZSTATS_SPARK_PASSWORD", ""),
            schema=schema.lower(),  # Spark's metastore keeps database names in lower case
            landing=(file_path(env, "BIZSTATS_SPARK_LANDING") or Path("bizstats-spark.duckdb")).resolve(),
            lake_dir=folder_path(env, "BIZSTATS_SPARK_LAKE_DIR", "spark-lake"),
            home=folder_path(env, "BIZSTATS_SPARK_HOME_DIR", ".spark"),
            master=env.get("BIZSTATS_SPARK_MASTER") or "local[2]",
        )


MIN_DATETIME_RANGE = (datetime(1900, 1, 1), datetime(3000, 1, 1))


@dataclass(frozen=True)
class DatetimeWindow:
    """The datetimes a load accepts: [earliest, load time + days_ahead] (the raw contract; a
    datetime outside it is quarantined). BIZSTATS_MIN_DATETIME (default 2000-01-01 00:00:00)
    and BIZSTATS_MAX_DAYS_AHEAD (default 1)."""

    earliest: datetime
    days_ahead: int

    @classmethod
    def from_env(cls, env: Env) -> DatetimeWindow:
        earliest = env.get("BIZSTATS_MIN_DATETIME", "2000-01-01 00:00:00").strip()
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
        return cls(start, env_int(env, "BIZSTATS_MAX_DAYS_AHEAD", 1, 0, 3650, "of days"))

    def bounds(self, loaded_at: datetime) -> tuple[str, str]:
        """The window of a load at `loaded_at` (UTC) as `YYYY-MM-DD HH:MM:SS` text, inclusive;
        the end is cut to the second, so it never admits a later datetime."""
        latest = loaded_at + timedelta(days=self.days_ahead)
        return f"{self.earliest:%Y-%m-%d %H:%M:%S}", f"{latest:%Y-%m-%d %H:%M:%S}"


LATE_DATA_DAYS_ENV = "BIZSTATS_LATE_DATA_DAYS"


def late_data_days(env: Env) -> int:
    """The late-data horizon (迟到数据期限), BIZSTATS_LATE_DATA_DAYS (default 30, 1 to 3650)."""
    return env_int(env, LATE_DATA_DAYS_ENV, 30, 1, 3650, "of days")


@dataclass(frozen=True)
class LoadSettings:
    """Loading and building: the datetime window of the raw contract; the late-data horizon
    (迟到数据期限, BIZSTATS_LATE_DATA_DAYS): a browser event older than this when it arrives is
    quarantined, and a build leaves pending days more than this before its requested start
    pending (and alerts); BIZSTATS_LOCK_WAIT, seconds a build or load waits for the warehouse
    lock (0 to 86400; 0: fail at once)."""

    window: DatetimeWindow
    late_data_days: int = 30
    lock_wait: float = 0.0

    @classmethod
    def from_env(cls, env: Env) -> LoadSettings:
        return cls(
            window=DatetimeWindow.from_env(env),
            late_data_days=late_data_days(env),
            lock_wait=env_seconds(env, "BIZSTATS_LOCK_WAIT", "0", 0, 86400),
        )


@dataclass(frozen=True)
class PrivacySettings:
    """The keys of the scrubber (数据脱敏): BIZSTATS_COLLECT_FERNET_KEY (encrypt the phone and id
    numbers found in extra_data instead of masking them) and BIZSTATS_COLLECT_PSEUDONYM_KEY
    (the HMAC key of pseudonyms; unset: a secret the warehouse makes once)."""

    fernet_key: str | None = field(default=None, repr=False)
    pseudonym_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Env) -> PrivacySettings:
        pseudonym = env.get("BIZSTATS_COLLECT_PSEUDONYM_KEY")
        return cls(fernet_key(env), pseudonym.encode() if pseudonym else None)


@dataclass(frozen=True)
class RedisSettings:
    """Redis (BIZSTATS_REDIS_URL; unset: no real-time counters, no query cache) and the query
    cache's key prefix and lifetime (BIZSTATS_CACHE_PREFIX, BIZSTATS_CACHE_TTL: read only
    when the cache is on, with a URL)."""

    url: str | None = field(default=None, repr=False)
    cache_prefix: str = "bizstats:query"
    cache_ttl: int = 86400

    @classmethod
    def from_env(cls, env: Env) -> RedisSettings:
        url = redis_url(env)
        if url is None:
            return cls()
        ttl = env_int(env, "BIZSTATS_CACHE_TTL", 86400, 1, 31_536_000, "of seconds")
        return cls(url, _raw(env, "BIZSTATS_CACHE_PREFIX") or "bizstats:query", ttl)


@dataclass(frozen=True)
class RealtimeSettings:
    """The real-time counters (实时统计): BIZSTATS_REALTIME_UV (`hll`, or `exact`: UV in a set
    instead of a HyperLogLog) and BIZSTATS_REALTIME_PREFIX (their keys' prefix)."""

    uv_exact: bool = False
    prefix: str = "stats:real_time"

    @classmethod
    def from_env(cls, env: Env) -> RealtimeSettings:
        uv = env.get("BIZSTATS_REALTIME_UV", "hll").strip().lower()
        if uv not in ("hll", "exact"):
            raise BizstatsError(f"BIZSTATS_REALTIME_UV must be hll or exact, got {uv!r}")
        return cls(uv == "exact", env.get("BIZSTATS_REALTIME_PREFIX", "stats:real_time"))


def _rate(env: Env, name: str, default: int, low: int = 1) -> int:
    return env_int(env, name, default, low, 1_000_000_000)


@dataclass(frozen=True)
class CollectorSettings:
    """What the collector accepts and from whom.

    - sites: public site key -> allowed browser origins (BIZSTATS_COLLECT_SITES,
      `key=https://a.example,https://b.example;key2=*`);
    - sources: back-end source -> HMAC secret (BIZSTATS_COLLECT_SOURCES, `orders=s3cret;...`);
    - rate limits (requests a second, token buckets of `burst` requests, per process): a
      browser request is counted against its IP address and its client (the IP address and
      the device id of its first event, when it has one) whatever the answer, and only a
      request with events to store against its site key's ceiling; a signed source against
      its own key.
    The late-data horizon, the privacy keys, Redis and the real-time UV come from their own
    sections' variables (read again here: the collector needs them all).
    """

    sites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[str, bytes] = field(default_factory=dict, repr=False)
    max_body_bytes: int = 1_048_576  # BIZSTATS_COLLECT_MAX_BODY: also the limit after gunzip
    max_batch: int = 500  # BIZSTATS_COLLECT_MAX_BATCH: events per batch request
    rate_per_second: int = 1000  # BIZSTATS_COLLECT_RATE: per site key or source (the ceiling)
    rate_burst: int = 2000  # BIZSTATS_COLLECT_BURST
    ip_rate: int = 50  # BIZSTATS_COLLECT_IP_RATE: browser requests per second per IP address
    ip_burst: int = 100  # BIZSTATS_COLLECT_IP_BURST
    client_rate: int = 10  # BIZSTATS_COLLECT_CLIENT_RATE: per IP address and device id
    client_burst: int = 40  # BIZSTATS_COLLECT_CLIENT_BURST
    late_data_days: int = 30  # BIZSTATS_LATE_DATA_DAYS: older browser events are quarantined
    signature_max_age: int = 300  # BIZSTATS_COLLECT_SIGNATURE_AGE: seconds either way
    trusted_proxies: tuple[str, ...] = ()  # BIZSTATS_COLLECT_TRUSTED_PROXIES: X-Forwarded-For
    fernet_key: str | None = field(default=None, repr=False)  # BIZSTATS_COLLECT_FERNET_KEY
    pseudonym_key: bytes | None = field(default=None, repr=False)  # BIZSTATS_COLLECT_PSEUDONYM_KEY
    redis_url: str | None = field(default=None, repr=False)  # BIZSTATS_REDIS_URL (unset: no counters)
    uv_exact: bool = False  # BIZSTATS_REALTIME_UV=exact: a set instead of a HyperLogLog
    max_group: int = 5000  # rows written by one group commit at most

    @classmethod
    def from_env(cls, env: Env) -> CollectorSettings:
        sites = {
            key: tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip())
            for key, origins in pairs(env, "BIZSTATS_COLLECT_SITES").items()
        }
        sources = {name: secret.encode() for name, secret in pairs(env, "BIZSTATS_COLLECT_SOURCES").items()}
        privacy = PrivacySettings.from_env(env)
        return cls(
            sites=sites,
            sources=sources,
            max_body_bytes=_rate(env, "BIZSTATS_COLLECT_MAX_BODY", 1_048_576, 1024),
            max_batch=_rate(env, "BIZSTATS_COLLECT_MAX_BATCH", 500),
            rate_per_second=_rate(env, "BIZSTATS_COLLECT_RATE", 1000),
            rate_burst=_rate(env, "BIZSTATS_COLLECT_BURST", 2000),
            ip_rate=_rate(env, "BIZSTATS_COLLECT_IP_RATE", 50),
            ip_burst=_rate(env, "BIZSTATS_COLLECT_IP_BURST", 100),
            client_rate=_rate(env, "BIZSTATS_COLLECT_CLIENT_RATE", 10),
            client_burst=_rate(env, "BIZSTATS_COLLECT_CLIENT_BURST", 40),
            late_data_days=late_data_days(env),
            signature_max_age=_rate(env, "BIZSTATS_COLLECT_SIGNATURE_AGE", 300),
            trusted_proxies=trusted_proxies(env),
            fernet_key=privacy.fernet_key,
            pseudonym_key=privacy.pseudonym_key,
            redis_url=redis_url(env),
            uv_exact=RealtimeSettings.from_env(env).uv_exact,
        )


# Removed: the schedules run in the statistics time zone (dbt var stats_utc_offset_hours)
REMOVED_TIMEZONE_ENV = "BIZSTATS_TIMEZONE"


@dataclass(frozen=True)
class JobSettings:
    """The scheduled jobs (定时任务) and the daily report: BIZSTATS_JOB_MAX_MINUTES (a run longer
    raises a job_duration alert; default 30), BIZSTATS_RETRY_DELAY_SECONDS (the first wait
    before a step is retried after a transient database error, each next one doubles; default
    30), BIZSTATS_REPORTS_DIR (default ./reports), BIZSTATS_REPORT_CHANNELS (the alert
    config's e-mail channels the report is mailed through, comma-separated; none: not
    mailed), BIZSTATS_MONITORING_CONFIG (the checks' thresholds; default the project's
    monitoring.yml). BIZSTATS_TIMEZONE is refused: one time zone, the statistics offset."""

    max_job_minutes: Decimal = Decimal(30)
    retry_delay_seconds: float = 30.0
    reports_dir: Path = Path("reports")
    report_channels: tuple[str, ...] = ()
    monitoring_config: Path | None = None

    @classmethod
    def from_env(cls, env: Env) -> JobSettings:
        if REMOVED_TIMEZONE_ENV in env:
            raise BizstatsError(
                f"{REMOVED_TIMEZONE_ENV} is no longer read: the jobs run in the statistics time zone, "
                "dbt var stats_utc_offset_hours in dbt_project.yml; unset it"
            )
        return cls(
            max_job_minutes=env_decimal(env, "BIZSTATS_JOB_MAX_MINUTES", "30", 10080),
            retry_delay_seconds=float(env_decimal(env, "BIZSTATS_RETRY_DELAY_SECONDS", "30", 86400)),
            reports_dir=Path(_raw(env, "BIZSTATS_REPORTS_DIR") or "reports"),
            report_channels=tuple(
                n.strip() for n in _raw(env, "BIZSTATS_REPORT_CHANNELS").split(",") if n.strip()
            ),
            monitoring_config=env_file(env, "BIZSTATS_MONITORING_CONFIG"),
        )


@dataclass(frozen=True)
class AlertSettings:
    """The alert channels and routes (告警): BIZSTATS_ALERTS_CONFIG, a file that must exist
    (unset: ./alerts.yml when there is one, else alerts are only stored)."""

    config: Path | None = None

    @classmethod
    def from_env(cls, env: Env) -> AlertSettings:
        return cls(env_file(env, "BIZSTATS_ALERTS_CONFIG"))


@dataclass(frozen=True)
class PrefectSettings:
    """BIZSTATS_PREFECT_STARTUP_SECONDS: how long to wait for the local Prefect server to
    answer (1 to 86400, default 300)."""

    startup_seconds: float = 300.0

    @classmethod
    def from_env(cls, env: Env) -> PrefectSettings:
        return cls(env_seconds(env, "BIZSTATS_PREFECT_STARTUP_SECONDS", "300", 1, 86400))


@dataclass(frozen=True)
class RetentionSettings:
    """Retention and archive (数据归档与保留, bizstats.retention): how long raw rows, statistics
    and real-time counters are kept, and where the archive is.

    - raw_days: raw rows stay in the live tables BIZSTATS_RETENTION_RAW_DAYS local days
      (default 183, six months), then `bizstats retention run` archives them (a build puts
      back the archived days of the weeks and months it rebuilds, so any value is correct; one
      below the lookback window plus a month makes nightly builds put days back often);
    - stats_days: the marts keep BIZSTATS_RETENTION_STATS_DAYS days; unset or `never`
      (default): forever;
    - realtime_ttl_days: a real-time counter key expires BIZSTATS_REALTIME_TTL_DAYS days
      (default 7) after its last write;
    - archive_dir: BIZSTATS_ARCHIVE_DIR (None: beside the DuckDB file, `<file>.archive`, or
      `archive/<schema>` under the project on MySQL/MariaDB);
    - fault: BIZSTATS_RETENTION_FAULT, a test hook: the step after which `bizstats retention
      run` kills itself (after_file, after_manifest, mid_delete)."""

    raw_days: int = 183
    stats_days: int | None = None
    realtime_ttl_days: int = 7
    archive_dir: Path | None = None
    fault: str | None = None

    MIN_RAW_DAYS: ClassVar[int] = 1
    FAULT_POINTS: ClassVar[tuple[str, ...]] = ("after_file", "after_manifest", "mid_delete")

    @classmethod
    def from_env(cls, env: Env) -> RetentionSettings:
        stats = _raw(env, "BIZSTATS_RETENTION_STATS_DAYS").lower()
        folder = _raw(env, "BIZSTATS_ARCHIVE_DIR")
        fault = _raw(env, "BIZSTATS_RETENTION_FAULT") or None
        if fault is not None and fault not in cls.FAULT_POINTS:
            raise BizstatsError(
                f"BIZSTATS_RETENTION_FAULT must be one of {', '.join(cls.FAULT_POINTS)}, got {fault!r}"
            )
        days = "of days"
        return cls(
            raw_days=env_int(env, "BIZSTATS_RETENTION_RAW_DAYS", 183, cls.MIN_RAW_DAYS, 36500, days),
            stats_days=None if stats in ("", "never")
            else env_int(env, "BIZSTATS_RETENTION_STATS_DAYS", 0, 1, 36500, days),
            realtime_ttl_days=env_int(env, "BIZSTATS_REALTIME_TTL_DAYS", 7, 1, 3650, days),
            archive_dir=Path(folder).expanduser() if folder else None,
            fault=fault,
        )

    @property
    def realtime_ttl_seconds(self) -> int:
        return self.realtime_ttl_days * 86400


@dataclass(frozen=True)
class InternalSettings:
    """What bizstats sets for dbt and for its own worker processes, and dbt's and Prometheus'
    variables it reads: DBT_TARGET_PATH (dbt's parse; default `target` under the project),
    DBT_LOG_PATH (dbt's log folder; default `logs` under the project),
    BIZSTATS_SERVE_TARGET and BIZSTATS_SERVE_LOG_FORMAT (a worker of `serve --workers N`),
    PROMETHEUS_MULTIPROC_DIR (the workers' shared metrics)."""

    dbt_target_path: str | None = None
    dbt_log_path: str | None = None
    serve_target: str | None = None
    serve_log_format: str = "text"
    metrics_dir: str | None = None

    @classmethod
    def from_env(cls, env: Env) -> InternalSettings:
        return cls(
            dbt_target_path=env.get("DBT_TARGET_PATH") or None,
            dbt_log_path=env.get("DBT_LOG_PATH") or None,
            serve_target=env.get("BIZSTATS_SERVE_TARGET") or None,
            serve_log_format=env.get("BIZSTATS_SERVE_LOG_FORMAT") or "text",
            metrics_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        )


# ---- the settings object ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Settings:
    """The settings of one environment (a frozen copy): each section parsed on first access."""

    environ: Mapping[str, str]

    @classmethod
    def of(cls, env: Env) -> Settings:
        """The settings of `env` (copied: a later change of `env` does not reach them)."""
        return cls(MappingProxyType(dict(env)))

    SECTIONS = (
        "warehouse", "storage", "mysql", "load", "privacy", "redis", "realtime", "collector", "jobs",
        "alerts", "prefect", "retention", "internal", "spark",
    )

    @functools.cached_property
    def warehouse(self) -> WarehouseSettings:
        return WarehouseSettings.from_env(self.environ)

    @functools.cached_property
    def storage(self) -> StorageSettings:
        return StorageSettings.from_env(self.environ)

    @functools.cached_property
    def mysql(self) -> MySQLSettings:
        return MySQLSettings.from_env(self.environ)

    @functools.cached_property
    def load(self) -> LoadSettings:
        return LoadSettings.from_env(self.environ)

    @functools.cached_property
    def privacy(self) -> PrivacySettings:
        return PrivacySettings.from_env(self.environ)

    @functools.cached_property
    def redis(self) -> RedisSettings:
        return RedisSettings.from_env(self.environ)

    @functools.cached_property
    def realtime(self) -> RealtimeSettings:
        return RealtimeSettings.from_env(self.environ)

    @functools.cached_property
    def collector(self) -> CollectorSettings:
        return CollectorSettings.from_env(self.environ)

    @functools.cached_property
    def jobs(self) -> JobSettings:
        return JobSettings.from_env(self.environ)

    @functools.cached_property
    def alerts(self) -> AlertSettings:
        return AlertSettings.from_env(self.environ)

    @functools.cached_property
    def prefect(self) -> PrefectSettings:
        return PrefectSettings.from_env(self.environ)

    @functools.cached_property
    def retention(self) -> RetentionSettings:
        return RetentionSettings.from_env(self.environ)

    @functools.cached_property
    def spark(self) -> SparkSettings:
        return SparkSettings.from_env(self.environ)

    @functools.cached_property
    def internal(self) -> InternalSettings:
        return InternalSettings.from_env(self.environ)

    def check(self, *sections: str) -> None:
        """Parse the named sections now (a bad value: BizstatsError naming the variable)."""
        for name in sections:
            if name not in self.SECTIONS:
                raise ValueError(f"no settings section {name!r}: one of {', '.join(self.SECTIONS)}")
            getattr(self, name)


_MAX_CACHED = 32
_cache: dict[tuple[frozenset[tuple[str, str]], str], Settings] = {}


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the working folder was removed
        return ""


def settings() -> Settings:
    """The settings of the current environment (and working folder), parsed once for each
    distinct one (so a test's monkeypatch.setenv is seen at the next call)."""
    key = (frozenset(os.environ.items()), _cwd())
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        found = _cache[key] = Settings.of(os.environ)
    return found


@contextlib.contextmanager
def scoped_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set environment variables (None: remove one) for the block, for dbt or the processes it
    starts; then put back exactly what was there, set or not."""
    before = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, old in before.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
