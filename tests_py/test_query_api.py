"""The query API (issue 10) on a small hand-computed warehouse (tests_py/support/sample_data.py, built
2024-03-01 .. 03-12), on DuckDB and MariaDB: every grain's rows equal the mart's, money as
exact strings, paging, the 4xx reasons, read keys, the catalogue and the quality board's
empty state; and the Redis cache: warm answers, exact-day invalidation after a build, Redis
down. Redis: db 15 under a prefix of its own, deleted afterwards."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from bizstats.metrics_catalog import docs_blocks, manifest_path, read_catalog
from bizstats.publish import invalidate_days
from bizstats.registry import load_registry
from bizstats.warehouse_id import ensure_warehouse_id
from bizstats.web.app import create_app
from bizstats.web.query.cache import QueryCache
from bizstats.web.query.keys import create_key, revoke_key
from tests_py.support.marts import METRICS, mart_rows
from tests_py.support.sample_data import view
from tests_py.support.services import (
    CACHE_REDIS_URL,
    drop_mysql_schemas,
    drop_prefix,
    fresh_cache_prefix,
    redis_up,
    require,
)
from tests_py.support.warehouse import built_warehouse


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def api(request, tmp_path_factory):
    """(warehouse, client, read key headers) with the cache under a prefix of its own."""
    with pytest.MonkeyPatch.context() as env:
        w = built_warehouse(request.param, tmp_path_factory, env)
        require(redis_up(), "Redis")
        prefix = fresh_cache_prefix()
        env.setenv("BIZSTATS_REDIS_URL", CACHE_REDIS_URL)
        env.setenv("BIZSTATS_CACHE_PREFIX", prefix)
        _, token = create_key(w.target, "tests")
        with TestClient(create_app(w.target)) as client:
            yield w, client, {"Authorization": f"Bearer {token}"}
        drop_prefix(prefix)
        if request.param == "mysql":
            drop_mysql_schemas(w.target.models_schema)


def test_daily_equals_the_mart_money_as_strings(api):
    w, client, auth = api
    r = client.get(
        "/api/stats/daily",
        params={"start": "2024-03-10", "end": "2024-03-11", "channel": "*", "device_type": "*"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    expected = mart_rows(
        w.target,
        "daily_stats",
        ["stat_date", "channel", "device_type", *METRICS],
        "stat_date between '2024-03-10' and '2024-03-11'",
    )
    assert body["rows"] == expected and body["total"] == 60 and body["timezone"] == "UTC+8"
    # the hand-computed numbers (support/sample_data.py): 03-10 all/all pv 7, uv 5, av 9; money exact
    [day] = [
        x
        for x in body["rows"]
        if (x["stat_date"], x["channel"], x["device_type"]) == ("2024-03-11", "all", "all")
    ]
    assert (day["pv"], day["total_deduction"], day["history_member_deduction"]) == (1, "57.89", "40.00")


def test_default_slice_is_all_and_metrics_select_columns(api):
    _, client, auth = api
    r = client.get(
        "/api/stats/daily",
        params={"start": "2024-03-10", "end": "2024-03-10", "metrics": "pv,uv,total_deduction"},
        headers=auth,
    )
    assert r.json()["rows"] == [
        {
            "stat_date": "2024-03-10",
            "channel": "all",
            "device_type": "all",
            "pv": 7,
            "uv": 5,
            "total_deduction": "42.34",
        }
    ]


@pytest.mark.parametrize(
    ("grain", "table", "keys", "where"),
    [
        (
            "hourly",
            "hourly_stats",
            ["stat_date", "stat_hour", "channel", "device_type"],
            "stat_date between '2024-03-10' and '2024-03-11' and channel = 'all' and device_type = 'all'",
        ),
        (
            "weekly",
            "weekly_stats",
            ["week_start", "iso_year", "iso_week", "as_of_date", "days_covered", "channel", "device_type"],
            "week_start between '2024-03-04' and '2024-03-11' and channel = 'all' and device_type = 'all'",
        ),
        (
            "monthly",
            "monthly_stats",
            ["month_start", "as_of_date", "days_covered", "channel", "device_type"],
            "month_start = '2024-03-01' and channel = 'all' and device_type = 'all'",
        ),
    ],
)
def test_other_grains_equal_their_marts(api, grain, table, keys, where):
    w, client, auth = api
    r = client.get(f"/api/stats/{grain}", params={"start": "2024-03-10", "end": "2024-03-11"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == mart_rows(w.target, table, [*keys, *METRICS], where)


def test_user_types_and_breakdowns_equal_their_marts(api):
    w, client, auth = api
    users = client.get(
        "/api/stats/user-types", params={"start": "2024-03-10", "end": "2024-03-11"}, headers=auth
    ).json()
    assert users["rows"] == mart_rows(
        w.target,
        "user_type_daily_stats",
        ["stat_date", "user_type", *(m.name for m in load_registry().mart_metrics("user_type_daily_stats"))],
        "stat_date between '2024-03-10' and '2024-03-11'",
    )
    parts = client.get(
        "/api/stats/breakdowns",
        params={"start": "2024-03-11", "end": "2024-03-11", "dimension": "member_deduction_status"},
        headers=auth,
    ).json()
    assert parts["rows"] == mart_rows(
        w.target,
        "daily_breakdowns",
        ["stat_date", "channel", "device_type", "dimension", "dimension_value", "item_count", "amount"],
        "stat_date = '2024-03-11' and channel = 'all' and device_type = 'all' "
        "and dimension = 'member_deduction_status'",
    )


def test_pages_cover_the_rows_once(api):
    _, client, auth = api
    params = {"start": "2024-03-10", "end": "2024-03-11", "channel": "*", "device_type": "*", "size": 25}
    pages, page = [], 1
    while page:
        body = client.get("/api/stats/daily", params={**params, "page": page}, headers=auth).json()
        pages.append(body)
        page = body["next_page"]
    assert [len(p["rows"]) for p in pages] == [25, 25, 10]
    whole = client.get("/api/stats/daily", params={**params, "size": 60}, headers=auth).json()
    assert [r for p in pages for r in p["rows"]] == whole["rows"]
    past = client.get("/api/stats/daily", params={**params, "page": 9}, headers=auth).json()
    assert (past["rows"], past["total"], past["next_page"]) == ([], 60, None)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"start": "2024-02-30"}, "start: not a date (YYYY-MM-DD, local day UTC+8): '2024-02-30'"),
        ({"start": "2024-03-12", "end": "2024-03-10"}, "start 2024-03-12 is after end 2024-03-10"),
        (
            {"start": "2024-03-10", "end": "2024-03-10", "metrics": "pv,clicks"},
            "metrics: unknown value 'clicks'; known: " + ", ".join(METRICS) + " (or * for all of them)",
        ),
        (
            {"start": "2024-03-10", "end": "2024-03-10", "channel": "tiktok"},
            "channel: unknown value 'tiktok'; known: all, official, wechat, app, h5, other "
            "(or * for all of them)",
        ),
        (
            {"start": "2023-01-01", "end": "2024-03-10"},
            "range too large: 2023-01-01 .. 2024-03-10 is 435 days, a daily request covers at most 366; "
            "split it into several requests",
        ),
        (
            {"start": "2024-03-10", "end": "2024-03-10", "size": 1001},
            "size must be 1 to 1000 rows per page, got 1001",
        ),
    ],
)
def test_bad_requests_say_why(api, params, reason):
    _, client, auth = api
    r = client.get("/api/stats/daily", params=params, headers=auth)
    assert (r.status_code, r.json()) == (400, {"error": reason, "status": 400})


def test_reads_need_a_live_read_key(api):
    w, client, _ = api
    params = {"start": "2024-03-10", "end": "2024-03-10"}
    assert client.get("/api/stats/daily", params=params).status_code == 401
    _, write = create_key(w.target, "collector", scope="write")
    r = client.get("/api/stats/daily", params=params, headers={"X-API-Key": write})
    assert (r.status_code, r.json()["error"]) == (
        403,
        "this key's scope is 'write': only read keys read the stats",
    )
    key, token = create_key(w.target, "leaver")
    revoke_key(w.target, key.key_id)
    assert client.get("/api/stats/daily", params=params, headers={"X-API-Key": token}).status_code == 401
    assert (
        client.get("/api/stats/daily", params=params, headers={"X-API-Key": token[:-1] + "x"}).status_code
        == 401
    )


def test_catalogue_is_the_registry_with_the_docs_sites_definitions(api):
    """Labels, units, formats, kinds come from the registry (vars.metrics of dbt_project.yml);
    the definition is the docs block metric_<name>, the text the dbt docs site shows (on the
    metric pages too); the breakdown dimensions and their values' names from the registry and
    the seed."""
    _, client, auth = api
    body = client.get("/api/metrics", headers=auth).json()
    daily = body["grains"]["daily"]["metrics"]
    assert [m["name"] for m in daily] == list(METRICS)
    pv, uv = daily[0], daily[1]
    assert pv == {
        "name": "pv", "label_zh": "页面访问量", "label_en": "Page views", "short_zh": "PV", "short_en": "PV",
        "unit": "count", "format": "integer", "description": pv["description"], "cumulative": False,
        "funnel_step": None, "kind": "counter", "additive": True,
    }  # fmt: skip
    assert (uv["kind"], uv["additive"], uv["funnel_step"]) == ("unique_counter", False, 1)
    assert [m["format"] for m in daily if m["unit"] == "yuan"] == ["money"] * 3
    assert [m["name"] for m in body["grains"]["user-types"]["metrics"]] == [
        m.name for m in load_registry().mart_metrics("user_type_daily_stats")
    ]
    import json

    manifest = json.loads(manifest_path().read_text())
    docs = docs_blocks(manifest)
    assert all(m["description"] == docs[f"metric_{m['name']}"] for m in daily)
    assert pv["description"].startswith("**PV 页面访问量 — page views** (`pv`, integer)")
    assert {k: v["description"] for k, v in manifest["metrics"].items()} == {
        f"metric.bizstats.{m['name']}": m["description"] for m in daily
    }
    assert read_catalog(manifest_path()).metrics("daily_stats")[0].description == pv["description"]
    assert list(body["breakdowns"]) == [d.name for d in load_registry().dimensions]
    assert body["breakdowns"]["auth_method"] == {
        "zh": "认证方式", "en": "Verification method",
        "values": {"id_card": {"zh": "身份证", "en": "ID card"}, "face": {"zh": "人脸", "en": "Face"},
                   "bank_card": {"zh": "银行卡", "en": "Bank card"}, "other": {"zh": "其他", "en": "Other"}},
        "amount": False,  # the registry's auth_method has no `amount`
    }  # fmt: skip
    assert body["breakdowns"]["member_type"]["amount"] is True


def test_quality_board_names_what_does_not_exist_yet(api):
    w, client, auth = api
    body = client.get("/api/quality", headers=auth).json()
    assert body["last_built_day"] == "2024-03-12"
    assert (
        body["last_build"]["outcome"],
        body["last_build"]["start_date"],
        body["last_build"]["end_date"],
    ) == ("success", "2024-03-01", "2024-03-12")
    assert (body["monitors"], body["cross_checks"], body["alerts_24h"]) == ([], None, [])
    assert body["missing"] == ["bizstats_alerts", "cross_check_results", "monitor_results"]


def test_cache_answers_again_and_a_build_drops_exactly_its_days(api):
    """A and B are cached; late rows for 03-11 and a nightly for it (03-08 .. 03-12 with the
    lookback): B is answered from the database with the new numbers, A still from Redis."""
    w, client, auth = api
    a = {"start": "2024-03-01", "end": "2024-03-02"}
    b = {"start": "2024-03-10", "end": "2024-03-11"}
    first = [client.get("/api/stats/daily", params=p, headers=auth) for p in (a, b)]
    again = [client.get("/api/stats/daily", params=p, headers=auth) for p in (a, b)]
    assert [r.headers["X-Cache"] for r in again] == ["hit", "hit"]
    assert [r.content for r in again] == [r.content for r in first]
    w.load(
        event_logs=[view("late1", "2024-03-11 01:00:00", user="u9", session="s99", channel="app", dtype="pc")]
    )
    result = w.build(day="2024-03-11")
    assert (result.start, result.end) == (date(2024, 3, 8), date(2024, 3, 12))
    # the build itself dropped the cached answers of its days (bizstats.build calls
    # invalidate_days after a successful build), and said nothing about the cache
    assert not [message for message in result.warnings if "cache" in message]
    after_a = client.get("/api/stats/daily", params=a, headers=auth)
    after_b = client.get("/api/stats/daily", params=b, headers=auth)
    assert (after_a.headers["X-Cache"], after_a.content) == ("hit", first[0].content)
    assert after_b.headers["X-Cache"] == "miss"
    pv = [r["pv"] for r in after_b.json()["rows"]]
    assert pv == [r["pv"] for r in first[1].json()["rows"]][:1] + [first[1].json()["rows"][1]["pv"] + 1]
    assert after_b.json()["rows"] == mart_rows(
        w.target,
        "daily_stats",
        ["stat_date", "channel", "device_type", *METRICS],
        "stat_date between '2024-03-10' and '2024-03-11' and channel = 'all' and device_type = 'all'",
    )


def test_an_answer_read_before_an_invalidation_is_not_stored(api):
    w, _, _ = api
    cache = QueryCache.from_env()
    warehouse = ensure_warehouse_id(w.target)
    key = cache.answer_key(warehouse, "race")
    _, epoch = cache.lookup(warehouse, key)
    invalidate_days(w.target, date(2024, 3, 1), date(2024, 3, 1))
    assert cache.store(warehouse, key, b"old numbers", (date(2024, 3, 1), date(2024, 3, 1)), epoch) is False
    _, epoch = cache.lookup(warehouse, key)
    assert cache.store(warehouse, key, b"new numbers", (date(2024, 3, 1), date(2024, 3, 1)), epoch) is True
    assert cache.lookup(warehouse, key)[0] == b"new numbers"


def test_redis_down_the_api_answers_from_the_database(api, monkeypatch):
    w, _, auth = api
    monkeypatch.setenv("BIZSTATS_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    with TestClient(create_app(w.target)) as client:
        rs = [
            client.get("/api/stats/daily", params={"start": "2024-03-10", "end": "2024-03-10"}, headers=auth)
            for _ in range(2)
        ]
    assert [(r.status_code, r.headers["X-Cache"]) for r in rs] == [(200, "miss"), (200, "miss")]
    assert rs[0].json()["rows"][0]["pv"] == 7
    warning = invalidate_days(w.target, date(2024, 3, 10), date(2024, 3, 10)).warning
    assert warning is not None and warning.startswith("the query cache (") and "may stay stale" in warning
