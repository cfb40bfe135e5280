"""A property-based fuzzer of every documented endpoint (issue 15, point 15): schemathesis
generates requests from the app's own OpenAPI spec — the query API with a valid read key, the
collector's endpoints with the site key and its origin, the public ones as they are — and runs
them in-process against the ASGI app over the hand-computed warehouse, on DuckDB and MariaDB. No answer may be
a 500; every 4xx and 5xx is the app's one error body; a 5xx never names the warehouse's path,
SQL or a traceback; every answer carries the hardening headers. Bounded: MAX_EXAMPLES requests
per operation (under a minute in all)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from bizstats.web.app import create_app
from bizstats.web.query.keys import create_key
from tests_py.support.collector import COLLECT_ENV, ORIGIN, SITE_KEY
from tests_py.support.served import leaks
from tests_py.support.services import (
    CACHE_REDIS_URL,
    drop_mysql_schemas,
    drop_prefix,
    fresh_cache_prefix,
    redis_up,
)
from tests_py.support.warehouse import built_warehouse

MAX_EXAMPLES = 30


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def fuzzed(request, tmp_path_factory):
    """(schema of the app, the read key's headers, the warehouse's target); the app started
    (its lifespan: the collector's store and group commit) as `bizstats serve` starts it."""
    with pytest.MonkeyPatch.context() as env:
        w = built_warehouse(request.param, tmp_path_factory, env)
        for name, value in COLLECT_ENV.items():
            env.setenv(name, value)
        prefix = fresh_cache_prefix()
        if redis_up():
            env.setenv("BIZSTATS_REDIS_URL", CACHE_REDIS_URL)
            env.setenv("BIZSTATS_CACHE_PREFIX", prefix)
            env.setenv("BIZSTATS_REALTIME_PREFIX", f"{prefix}:rt")
        _, token = create_key(w.target, "fuzzer")
        app = create_app(w.target)
        with TestClient(app):
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            yield schema, {"Authorization": f"Bearer {token}"}, w.target
        drop_prefix(prefix)
        if request.param == "mysql":
            drop_mysql_schemas(w.target.models_schema)


def test_no_documented_endpoint_answers_500(fuzzed):
    schema, auth, target = fuzzed
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/stats/daily", "/api/stats/realtime", "/api/report/batch"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def answers_without_500(case) -> None:
            if case.path.startswith("/api/report"):
                case.query = {**(case.query or {}), "key": SITE_KEY}
                case.headers = {**(case.headers or {}), "Origin": ORIGIN}
            elif case.path.startswith("/api/"):
                case.headers = {**(case.headers or {}), **auth}
            response = case.call()
            assert response.status_code != 500, (case.as_curl_command(), response.text)
            if response.status_code >= 400:  # the app's one error body (bizstats.web.failures)
                body = response.json()
                assert isinstance(body.get("error"), str) and body["error"], response.text
                assert body["status"] == response.status_code, response.text
            if response.status_code >= 500:
                assert leaks(response.text, target) == [], response.text
            assert "nosniff" in str(response.headers.get("x-content-type-options")), case.path

        answers_without_500()
