"""Shared fixtures: a fresh DuckDB file or a fresh pair of MariaDB/MySQL databases per test.

Tests that need MariaDB/MySQL or Redis skip when the server is absent, except on CI
(CI=true), where they fail: a missing server there is a broken run, not a pass.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pymysql
import pytest

from bizstats.config import MySQLSettings, Target

ON_CI = os.environ.get("CI", "").lower() == "true"


def _require(available: bool, what: str) -> None:
    if available:
        return
    if ON_CI:
        pytest.fail(f"{what} is required on CI but is not reachable")
    pytest.skip(f"{what} not reachable")


def _mysql_up() -> bool:
    s = MySQLSettings.from_env()
    try:
        pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password).close()
    except pymysql.err.OperationalError:
        return False
    return True


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
    s = MySQLSettings.from_env()
    con = pymysql.connect(host=s.host, port=s.port, user=s.user, password=s.password)
    try:
        with con.cursor() as cur:
            for db in (schema, f"{schema}_raw"):
                cur.execute(f"drop database if exists `{db}`")
    finally:
        con.close()


@pytest.fixture(params=["duckdb", "mysql"])
def target(request) -> Target:
    """Each test using this runs once per target."""
    return request.getfixturevalue(f"{request.param}_target")
