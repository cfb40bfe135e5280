"""The real-time counters: exact values for newly stored events only, the slices, the 7-day
expiry, the lag under a second, ingestion without Redis, and the rebuild from event_logs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis

from bizstats.cli import main
from bizstats.client import uuid7
from bizstats.db import ensure_raw_tables
from bizstats.realtime.keys import key
from bizstats.web.query.keys import create_key
from tests_py.support.collector import COLLECT_ENV, live_app, signed_headers


@pytest.fixture(autouse=True)
def _collector_env(monkeypatch):
    for name, value in COLLECT_ENV.items():
        monkeypatch.setenv(name, value)


NOW = datetime.now(UTC).replace(microsecond=0)
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


LOGINS = """    - name: login_count
      label_zh: 登录次数
      label_en: Logins
      unit: count
      format: integer
      description: Logins (user_login events).
      kind: counter
      source: events
      filter: {event_type: user_login}
    - name: sms_login_users
      label_zh: 短信登录用户数
      label_en: Users who logged in by SMS
      short_en: SMS users
      unit: users
      format: integer
      description: Distinct users among the logins by SMS code.
      kind: unique_counter
      source: events
      filter: {event_type: user_login, extra_data.method: sms}
      distinct: user_id
    - name: app_page_views
      label_zh: App 页面访问量
      label_en: App page views
      unit: count
      format: integer
      description: Page views in the app.
      kind: counter
      source: page_views
      filter: {channel: app}
    - name: long_views
      label_zh: 长访问
      label_en: Long views
      unit: count
      format: integer
      description: Page views whose duration is an outlier (known to builds only).
      kind: count
      source: page_views
      filter: {is_duration_outlier: 1}

  # Breakdown dimensions"""


def _with_logins(root) -> None:
    """A copy of the project's registry and seeds with three event counters more, and one a
    build alone can count (a page view's duration)."""
    from bizstats.config import project_dir

    (root / "seeds").mkdir(parents=True)
    for seed in (project_dir() / "seeds").glob("*.csv"):
        (root / "seeds" / seed.name).write_bytes(seed.read_bytes())
    text = (project_dir() / "dbt_project.yml").read_text(encoding="utf-8")
    (root / "dbt_project.yml").write_text(text.replace("\n  # Breakdown dimensions", "\n" + LOGINS, 1))


def test_every_event_counter_of_the_registry_is_counted(target, redis_url, tmp_path, monkeypatch):
    """Registry edits alone: a counter and a unique counter over events (a column and an
    extra_data field filtered), a counter over page views get real-time counters; a metric
    that needs a build (a duration) gets none. pv, uv and the business counters are as
    before."""
    _with_logins(tmp_path / "project")
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(tmp_path / "project"))
    at = f"{NOW:%Y-%m-%d %H:%M:%S}"
    base = {"timestamp": at, "channel": "app", "device_type": "mobile"}
    logins = [
        {**base, "event_id": uuid7(), "event_type": "user_login", "user_id": "u1", "method": "sms"},
        {**base, "event_id": uuid7(), "event_type": "user_login", "user_id": "u1", "method": "sms"},
        {**base, "event_id": uuid7(), "event_type": "user_login", "user_id": "u2", "method": "password"},
        {**base, "event_id": uuid7(), "event_type": "user_login", "user_id": "u3", "method": "sms",
         "channel": "wechat"},
        {**base, "event_id": uuid7(), "event_type": "user_login", "user_id": " u4 "},  # trimmed
    ]  # fmt: skip
    with live_app(target) as url:
        assert _post(url, _events() + logins).status_code == 200
        began = time.monotonic()
        while _read(url, target).json().get("login_count", 0) < 5:
            assert time.monotonic() - began < 2.0, "counter lag over 2 s"
            time.sleep(0.01)
        stats = _read(url, target).json()
    assert [c["name"] for c in stats["counters"]] == [
        "pv", "uv", "login_count", "sms_login_users", "app_page_views", "new_member", "credit_order",
        "member_deduction",
    ]  # fmt: skip
    assert stats["counters"][3] == {"name": "sms_login_users", "label_zh": "短信登录用户数",
                                    "label_en": "SMS users", "format": "integer", "unique": True}  # fmt: skip
    assert {k: stats[k] for k in EXPECTED} == EXPECTED
    assert (stats["login_count"], stats["sms_login_users"], stats["app_page_views"]) == (5, 2, 1)
    assert "long_views" not in stats
    slices = {
        (s["channel"], s["device_type"]): (s["login_count"], s["sms_login_users"]) for s in stats["slices"]
    }
    assert slices == {("app", "mobile"): (4, 1), ("wechat", "mobile"): (1, 1)}
    # the rebuild from event_logs counts the same
    ensure_raw_tables(target)
    assert main(["realtime", "rebuild", "--target", target.name]) == 0
    with live_app(target) as url:
        again = _read(url, target).json()
    assert {k: again[k] for k in ("login_count", "sms_login_users", "app_page_views", *EXPECTED)} == {
        k: stats[k] for k in ("login_count", "sms_login_users", "app_page_views", *EXPECTED)
    }
