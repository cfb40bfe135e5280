"""Shared fixtures: a fresh DuckDB file or a fresh pair of MariaDB/MySQL databases per test.

Tests that need MariaDB/MySQL or Redis skip when the server is absent, except on CI
(CI=true), where they fail: a missing server there is a broken run, not a pass.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pymysql
import pytest

from bizstats.config import MySQLSettings, Target
from bizstats.db import drop_mysql_warehouse as drop_mysql_schemas  # tests drop what they make

ON_CI = os.environ.get("CI", "").lower() == "true"


def _require(available: bool, what: str) -> None:
    if available:
        return
    if ON_CI:
        pytest.fail(f"{what} is required on CI but is not reachable")
    pytest.skip(f"{what} not reachable")


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; `make browser` installs it with a CJK font


def require_chromium() -> str:
    """The path of Debian's Chromium for Playwright (`executable_path`): the test skips
    without it, except on CI, where it fails."""
    _require(CHROMIUM.is_file(), f"{CHROMIUM} (`make browser` installs it)")
    return str(CHROMIUM)


def _mysql_up() -> bool:
    s = MySQLSettings.from_env()
    try:
        pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password).close()
    except pymysql.err.OperationalError:
        return False
    return True


def _redis_up() -> bool:
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker gets dbt target and log
    folders of its own: two dbt invocations never share a saved parse or a manifest. They sit
    under DBT_TARGET_PATH / DBT_LOG_PATH when those are set (two test runs of one checkout at
    once), else under the project's target/ and logs/."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        root = Path(__file__).resolve().parent.parent
        target = Path(os.environ.get("DBT_TARGET_PATH") or root / "target")
        logs = Path(os.environ.get("DBT_LOG_PATH") or root / "logs")
        os.environ["DBT_TARGET_PATH"] = str(target / f"pytest-{worker}")
        os.environ["DBT_LOG_PATH"] = str(logs / f"pytest-{worker}")


@pytest.fixture
def collector_env(monkeypatch) -> None:
    """The collector's settings of the tests (tests_py/test_collect_support.py: COLLECT_ENV)."""
    from tests_py.test_collect_support import COLLECT_ENV

    for name, value in COLLECT_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def redis_url(monkeypatch) -> Iterator[str]:
    """Redis at 127.0.0.1:6379, db 13, with a key prefix of the test's own (BIZSTATS_REDIS_URL
    and BIZSTATS_REALTIME_PREFIX set); its keys are deleted afterwards."""
    import redis

    _require(_redis_up(), "Redis")
    url = "redis://127.0.0.1:6379/13"
    prefix = f"test:{uuid.uuid4().hex[:10]}:stats:real_time"
    monkeypatch.setenv("BIZSTATS_REDIS_URL", url)
    monkeypatch.setenv("BIZSTATS_REALTIME_PREFIX", prefix)
    yield url
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def duckdb_target(tmp_path, monkeypatch) -> Target:
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path / "bizstats.duckdb"))
    return Target("duckdb")


@pytest.fixture
def mysql_target(monkeypatch) -> Iterator[Target]:
    _require(_mysql_up(), "MariaDB/MySQL")
    base = os.environ.get("BIZSTATS_MYSQL_SCHEMA", "bizstats")
    schema = f"{base}_t{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", schema)
    yield Target("mysql")
    drop_mysql_schemas(schema)


@pytest.fixture(params=["duckdb", "mysql"])
def target(request) -> Target:
    """Each test using this runs once per target."""
    return request.getfixturevalue(f"{request.param}_target")


class Warehouse:
    """A target plus the few verbs the metric tests need: load rows, build, read marts."""

    def __init__(self, target: Target, tmp_path) -> None:
        self.target = target
        self._tmp = tmp_path
        self._loads = 0

    def load(self, **tables: list[dict]) -> None:
        """Write each table's rows to <table>.csv (header = union of keys) and load them."""
        from bizstats.loader import load_dir

        self._loads += 1
        folder = self._tmp / f"load{self._loads}"
        folder.mkdir()
        for name, rows in tables.items():
            columns = list(dict.fromkeys(k for row in rows for k in row))
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                for row in rows:
                    writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
        report = load_dir(self.target, folder)
        assert not report.rejected, report.rejected

    def build(
        self,
        start: str | None = None,
        end: str | None = None,
        day: str | None = None,
        with_tests: bool = False,
    ):
        """Build without dbt's tests unless asked: test_dbt_tests.py runs them."""
        from bizstats.build import build

        as_date = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        return build(
            self.target, day=as_date(day), start=as_date(start), end=as_date(end),
            with_tests=with_tests,
        )

    def query(self, sql: str) -> list[tuple]:
        from bizstats.db import connect, fetch_all

        with connect(self.target) as con:
            return fetch_all(con, sql.replace("{schema}", self.target.models_schema))

    def execute(self, sql: str) -> None:
        from bizstats.db import connect

        with connect(self.target) as con:
            con.cursor().execute(sql.replace("{schema}", self.target.models_schema))
            con.commit()

    def daily(self, day: str, channel: str = "all", device: str = "all") -> dict:
        from bizstats.export import read_daily_stats

        rows = read_daily_stats(self.target, date.fromisoformat(day), date.fromisoformat(day))
        [row] = [r for r in rows if r["channel"] == channel and r["device_type"] == device]
        return row

    def daily_table(self, start: str, end: str) -> list[dict]:
        """All daily_stats rows of the range, without the timestamps."""
        from bizstats.export import read_daily_stats

        rows = read_daily_stats(self.target, date.fromisoformat(start), date.fromisoformat(end))
        return [{k: v for k, v in r.items() if k not in ("created_at", "updated_at")} for r in rows]


@pytest.fixture
def wh(target, tmp_path) -> Warehouse:
    return Warehouse(target, tmp_path)
