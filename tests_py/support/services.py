"""The services the tests use and every name they use in them, in one place: the Redis
databases, the key prefixes, the MariaDB/MySQL schemas. Each test gets a prefix or a schema of
its own (a random suffix), so two test files, two pytest workers or two checkouts never share
a key or a schema; a schema starts with BIZSTATS_MYSQL_SCHEMA (a checkout's own base).

Tests that need MariaDB/MySQL, Redis or Chromium skip when it is absent, except on CI
(CI=true), where they fail: a missing server there is a broken run, not a pass.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pymysql
import pytest
import redis

from bizstats.db import drop_mysql_warehouse
from bizstats.settings import settings

drop_mysql_schemas = drop_mysql_warehouse  # tests drop the schemas they make

ON_CI = os.environ.get("CI", "").lower() == "true"

REDIS = "redis://127.0.0.1:6379"
# one database per use, none of them 0 (where a developer's own keys would be)
REALTIME_REDIS_URL = f"{REDIS}/13"  # the real-time counters (collector, realtime, dashboard)
CACHE_REDIS_URL = f"{REDIS}/15"  # the query API's cache (and its real-time counters beside it)

# a schema's suffix letter says which kind of test made it (one left behind is recognisable)
SCHEMA_KINDS = {
    "t": "a test's own warehouse (conftest.py's mysql_target, test_incremental)",
    "q": "the built warehouse shared by a module (warehouse.built_warehouse)",
    "c": "test_checks' warehouse",
    "m": "test_adding_a_metric's warehouse",
    "s": "a Spark test's databases (support/spark.py: spark_target)",
}

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; `make browser` installs it with a CJK font


def require(available: bool, what: str) -> None:
    """Skip the test when `what` is not available, except on CI, where the test fails."""
    if available:
        return
    if ON_CI:
        pytest.fail(f"{what} is required on CI but is not reachable")
    pytest.skip(f"{what} not reachable")


def require_chromium() -> str:
    """The path of Debian's Chromium for Playwright (`executable_path`): the test skips
    without it, except on CI, where it fails."""
    require(CHROMIUM.is_file(), f"{CHROMIUM} (`make browser` installs it)")
    return str(CHROMIUM)


def mysql_up() -> bool:
    s = settings().mysql
    try:
        pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password).close()
    except pymysql.err.OperationalError:
        return False
    return True


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def mysql_schema(kind: str) -> str:
    """A fresh schema name: the checkout's BIZSTATS_MYSQL_SCHEMA, `_`, the kind's letter
    (SCHEMA_KINDS) and a random suffix."""
    assert kind in SCHEMA_KINDS, kind
    base = os.environ.get("BIZSTATS_MYSQL_SCHEMA", "bizstats")
    return f"{base}_{kind}{uuid.uuid4().hex[:10]}"


def fresh_realtime_prefix() -> str:
    """A fresh BIZSTATS_REALTIME_PREFIX (its keys under REALTIME_REDIS_URL)."""
    return f"test:{uuid.uuid4().hex[:10]}:stats:real_time"


def fresh_cache_prefix() -> str:
    """A fresh BIZSTATS_CACHE_PREFIX (its keys under CACHE_REDIS_URL)."""
    return f"bizstats-test:{uuid.uuid4().hex[:8]}"


def drop_prefix(prefix: str, url: str = CACHE_REDIS_URL) -> None:
    """Delete the keys under `prefix` in the database of `url`."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()
