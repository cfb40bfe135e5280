"""The real-time counters: exact values for newly stored events only, the slices, the 7-day
expiry, the lag under a second, ingestion without Redis, and the rebuild from event_logs."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import redis

from bizstats.cli import main
from bizstats.client import uuid7
from bizstats.db import ensure_raw_tables
from bizstats.realtime.keys import key
from bizstats.web.keys import create_key
from tests_py.test_collect_support import COLLECT_ENV, live_app, signed_headers


@pytest.fixture(autouse=True)
def _collector_env(monkeypatch):
    for name, value in COLLECT_ENV.items():
        monkeypatch.setenv(name, value)


NOW = datetime.now(timezone.utc).replace(microsecond=0)
TODAY = (NOW + timedelta(hours=8)).date()


def _events() -> list[dict]:
    at = f"{NOW:%Y-%m-%d %H:%M:%S}"
    base = {"timestamp": at, "channel": "wechat", "device_type": "mobile"}
    return [
        {**base, "event_id": uuid7(), "event_type": "page_view", "device_id": "d1"},
        {**base, "event_id": uuid7(), "event_type": "page_view", "device_id": "d1"},
        {**base, "event_id": uuid7(), "event_type": "page_view", "user_id": "u1", "channel": "app"},
        {**base, "event_id": uuid7(), "event_type": "member_purchase", "user_id": "u1", "amount": "30"},
        {**base, "event_id": uuid7(), "event_type": "order_create", "amount": "5", "pay_method": "credit"},
        {**base, "event_id": uuid7(), "event_type": "order_create", "amount": "5", "pay_method": "wechat"},
        {
            **base,
            "event_id": uuid7(),
            "event_type": "deduction_success",
            "amount": "12.34",
            "service_type": "member",
        },
        {
            **base,
            "event_id": uuid7(),
            "event_type": "deduction_success",
            "amount": "0.66",
            "service_type": "member",
        },
        {
            **base,
            "event_id": uuid7(),
            "event_type": "deduction_success",
            "amount": "9",
            "service_type": "goods",
        },
    ]


_TOKENS: dict[str, str] = {}


def _read(url: str, target, query: str = "") -> httpx.Response:
    """GET /api/stats/realtime with a read key (it is a read like any other)."""
    if url not in _TOKENS:
        _TOKENS[url] = create_key(target, "realtime-test")[1]
    return httpx.get(f"{url}/api/stats/realtime{query}", headers={"Authorization": f"Bearer {_TOKENS[url]}"})


def _post(url: str, events: list[dict]) -> httpx.Response:
    body = json.dumps({"events": events}).encode()
    return httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))


EXPECTED = {"pv": 3, "uv": 2, "new_member": 1, "credit_order": 1, "member_deduction_cents": 1300,
            "member_deduction": "13.00"}  # fmt: skip


def test_counters_count_new_events_once_within_a_second(target, redis_url):
    events = _events()
    with live_app(target) as url:
        began = time.monotonic()
        assert _post(url, events).status_code == 200
        while _read(url, target).json()["pv"] < 3:
            assert time.monotonic() - began < 1.0, "counter lag over 1 s"
            time.sleep(0.01)
        _post(url, events)  # a retry: duplicates move nothing
        time.sleep(0.3)
        stats = _read(url, target, f"?date={TODAY}").json()
    assert {k: stats[k] for k in EXPECTED} == EXPECTED
    slices = {(s["channel"], s["device_type"]): (s["pv"], s["uv"]) for s in stats["slices"]}
    assert slices == {("wechat", "mobile"): (2, 1), ("app", "mobile"): (1, 1)}
    ttl = redis.Redis.from_url(redis_url).ttl(key("pv", TODAY))
    assert 7 * 86400 - 5 <= ttl <= 7 * 86400


def test_ingestion_works_without_redis_and_rebuild_restores_the_counters(target, redis_url, monkeypatch):
    ensure_raw_tables(target)  # a warehouse to rebuild from (only load and demo create one)
    monkeypatch.setenv("BIZSTATS_REDIS_URL", "redis://127.0.0.1:1/13")  # nothing listens there
    with live_app(target) as url:
        answer = _post(url, _events())
        assert answer.status_code == 200 and answer.json()["stored"] == 9
        assert _read(url, target).status_code == 503
    monkeypatch.setenv("BIZSTATS_REDIS_URL", redis_url)
    assert main(["realtime", "rebuild", "--target", target.name]) == 0
    with live_app(target) as url:
        stats = _read(url, target).json()
    assert {k: stats[k] for k in EXPECTED} == EXPECTED
