"""The retention settings (保留期限): one frozen section read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bizstats.errors import BizstatsError

RAW_DAYS_ENV = "BIZSTATS_RETENTION_RAW_DAYS"
STATS_DAYS_ENV = "BIZSTATS_RETENTION_STATS_DAYS"
REALTIME_TTL_ENV = "BIZSTATS_REALTIME_TTL_DAYS"
ARCHIVE_DIR_ENV = "BIZSTATS_ARCHIVE_DIR"
FAULT_ENV = "BIZSTATS_RETENTION_FAULT"

# The fewest days raw rows stay live: a backfill within the late-data horizon (30 days by
# default) rebuilds whole calendar months and ISO weeks, so every day of the month before it
# must still be in the live tables.
MIN_RAW_DAYS = 62
MAX_DAYS = 36500
NEVER = ("", "never")
# The test suite's crash points of `bizstats retention run` (the process kills itself there).
FAULT_POINTS = ("after_file", "after_manifest", "mid_delete")


def _days(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BizstatsError(f"{name} must be a whole number of days from {low} to {high}, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class RetentionSettings:
    """How long raw rows, statistics and real-time counters are kept, and where the archive is.

    raw_days: raw rows stay in the live tables this many local days (default 183, six months;
      at least 62), then `bizstats retention run` archives them;
    stats_days: the marts keep this many days, None (default, `never`) keeps them forever;
    realtime_ttl_days: a real-time counter key expires this many days after its last write;
    archive_dir: the archive's folder (None: beside the DuckDB file, `<file>.archive`, or
      `archive/<schema>` under the project on MySQL/MariaDB);
    fault: a test hook, the step after which `bizstats retention run` kills itself.
    """

    raw_days: int = 183
    stats_days: int | None = None
    realtime_ttl_days: int = 7
    archive_dir: Path | None = None
    fault: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionSettings:
        """The section from `env` (os.environ); a bad value is one BizstatsError naming it."""
        stats = env.get(STATS_DAYS_ENV, "").strip().lower()
        folder = env.get(ARCHIVE_DIR_ENV, "").strip()
        fault = env.get(FAULT_ENV, "").strip() or None
        if fault is not None and fault not in FAULT_POINTS:
            raise BizstatsError(f"{FAULT_ENV} must be one of {', '.join(FAULT_POINTS)}, got {fault!r}")
        return cls(
            raw_days=_days(env, RAW_DAYS_ENV, 183, MIN_RAW_DAYS, MAX_DAYS),
            stats_days=None if stats in NEVER else _days(env, STATS_DAYS_ENV, 0, 1, MAX_DAYS),
            realtime_ttl_days=_days(env, REALTIME_TTL_ENV, 7, 1, 3650),
            archive_dir=Path(folder).expanduser() if folder else None,
            fault=fault,
        )

    @property
    def realtime_ttl_seconds(self) -> int:
        return self.realtime_ttl_days * 86400
