"""The Spark tests' warehouse: a schema of the test's (or module's) own on the Spark Thrift
server at BIZSTATS_SPARK_HOST:BIZSTATS_SPARK_PORT (`bizstats spark up` starts one; .ci/run
does on CI), with its landing (the control DuckDB file) and lake under a temporary folder.

Without Java or the server the test skips, except on CI (CI=true), where it fails.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bizstats.config import Target
from bizstats.settings import settings
from bizstats.spark.server import thrift_answers
from tests_py.support.services import mysql_schema, require


def spark_schema() -> str:
    """A fresh Spark database name: services.mysql_schema("s") (the checkout's
    BIZSTATS_MYSQL_SCHEMA, `_s` and a random suffix) in lower case with only letters, digits
    and _, as Spark names databases."""
    return re.sub(r"[^a-z0-9_]", "_", mysql_schema("s").lower())


def require_spark() -> None:
    """Java on PATH and the Thrift server answering `select 1` (skip, or fail on CI)."""
    require(shutil.which("java") is not None, "java (OpenJDK 17)")
    s = settings().spark
    require(
        thrift_answers(s.host, s.port, s.user),
        f"the Spark Thrift server at {s.host}:{s.port} (`bizstats spark up`)",
    )


def drop_spark_schemas(schema: str) -> None:
    """Drop `schema` and `schema`_raw (and any other `schema`_...) with their tables."""
    from bizstats.db import spark_connect

    con = spark_connect(settings().spark)
    try:
        cur = con.cursor()
        cur.execute(f"show databases like '{schema}|{schema}_*'")
        for (name,) in cur.fetchall():
            cur.execute(f"drop database if exists `{name}` cascade")
    finally:
        con.close()


@contextlib.contextmanager
def spark_warehouse(mp: pytest.MonkeyPatch, folder: Path) -> Iterator[Target]:
    """Target("spark") on a fresh schema (BIZSTATS_SPARK_SCHEMA), its landing and lake under
    `folder` (BIZSTATS_SPARK_LANDING, BIZSTATS_SPARK_LAKE_DIR); the schema's databases are
    dropped afterwards."""
    require_spark()
    schema = spark_schema()
    mp.setenv("BIZSTATS_SPARK_SCHEMA", schema)
    mp.setenv("BIZSTATS_SPARK_LANDING", str(folder / "landing.duckdb"))
    mp.setenv("BIZSTATS_SPARK_LAKE_DIR", str(folder / "lake"))
    try:
        yield Target("spark")
    finally:
        drop_spark_schemas(schema)
