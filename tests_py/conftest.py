"""pytest's hooks and the fixtures many test files use: a fresh DuckDB file or a fresh pair of
MariaDB/MySQL databases per test, a Redis database and prefix of the test's own, the
collector's settings. Helpers are in tests_py/support/ (the services and the names used in
them: support/services.py); no test module imports this one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bizstats.config import Target
from tests_py.support.services import (
    REALTIME_REDIS_URL,
    drop_mysql_schemas,
    drop_prefix,
    fresh_realtime_prefix,
    mysql_schema,
    mysql_up,
    redis_up,
    require,
)
from tests_py.support.warehouse import Warehouse

pytest_plugins = ["tests_py.support.receivers"]  # its `smtp` and `http` fixtures, for every file


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
    """The collector's settings of the tests (support/collector.py: COLLECT_ENV)."""
    from tests_py.support.collector import COLLECT_ENV  # uvicorn and httpx: only when used

    for name, value in COLLECT_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def redis_url(monkeypatch) -> Iterator[str]:
    """Redis's real-time database (support/services.py: REALTIME_REDIS_URL) with a key prefix
    of the test's own (BIZSTATS_REDIS_URL and BIZSTATS_REALTIME_PREFIX set); its keys are
    deleted afterwards."""
    require(redis_up(), "Redis")
    prefix = fresh_realtime_prefix()
    monkeypatch.setenv("BIZSTATS_REDIS_URL", REALTIME_REDIS_URL)
    monkeypatch.setenv("BIZSTATS_REALTIME_PREFIX", prefix)
    yield REALTIME_REDIS_URL
    drop_prefix(f"{prefix}:", REALTIME_REDIS_URL)


@pytest.fixture
def duckdb_target(tmp_path, monkeypatch) -> Target:
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path / "bizstats.duckdb"))
    return Target("duckdb")


@pytest.fixture
def mysql_target(monkeypatch) -> Iterator[Target]:
    require(mysql_up(), "MariaDB/MySQL")
    schema = mysql_schema("t")
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", schema)
    yield Target("mysql")
    drop_mysql_schemas(schema)


@pytest.fixture
def spark_target(tmp_path) -> Iterator[Target]:
    """Target("spark") on a fresh schema of the Thrift server at BIZSTATS_SPARK_HOST:PORT, its
    landing and lake under tmp_path (support/spark.py; skips without Java or the server,
    fails on CI); its databases are dropped afterwards."""
    from tests_py.support.spark import spark_warehouse

    with pytest.MonkeyPatch.context() as mp, spark_warehouse(mp, tmp_path) as target:
        yield target


@pytest.fixture(scope="module")
def spark_module_target(tmp_path_factory) -> Iterator[Target]:
    """spark_target shared by a test module (one build per module)."""
    from tests_py.support.spark import spark_warehouse

    with pytest.MonkeyPatch.context() as mp, spark_warehouse(mp, tmp_path_factory.mktemp("spark")) as target:
        yield target


@pytest.fixture(params=["duckdb", "mysql"])
def target(request) -> Target:
    """Each test using this runs once per target."""
    return request.getfixturevalue(f"{request.param}_target")


@pytest.fixture
def wh(target, tmp_path) -> Warehouse:
    return Warehouse(target, tmp_path)
