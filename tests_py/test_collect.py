"""The collector against the real app (uvicorn on loopback) and real databases: what it
stores, exactly once, and every refusal."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from cryptography.fernet import Fernet

from bizstats.client import uuid7
from tests_py.support.collector import (
    ORIGIN,
    SITE_KEY,
    browser_view,
    live_app,
    prometheus_values,
    signed_headers,
    stored_events,
)

UA_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
BROWSER = {"origin": ORIGIN, "user-agent": UA_IPHONE}


pytestmark = pytest.mark.usefixtures("collector_env")  # conftest.py




def test_an_event_is_stored_once_with_its_enrichment(target):
    """A browser's page view, then the same event again (a retry): stored once, the retry
    answered as a duplicate; clock skew corrected, IP and device type added."""
    event = browser_view(sent_at="2024-03-10 02:00:30", channel="wechat", session_id="s1")
    with live_app(target) as url:
        first = httpx.post(f"{url}/api/report?key={SITE_KEY}", content=json.dumps(event), headers=BROWSER)
        again = httpx.post(f"{url}/api/report?key={SITE_KEY}", content=json.dumps(event), headers=BROWSER)
    assert first.status_code == 200 and again.status_code == 200
    assert first.json() == {"stored": 1, "new": [event["event_id"]], "duplicates": [], "rejected": []}
    assert again.json() == {"stored": 0, "new": [], "duplicates": [event["event_id"]], "rejected": []}
    assert first.headers["access-control-allow-origin"] == ORIGIN
    columns = (
        "event_id, event_type, device_id, session_id, channel, page_url, "
        "device_type, ip_address, user_agent, extra_data, event_time, created_at"
    )
    rows = stored_events(target, columns)
    # DuckDB keeps every delivery (staging de-duplicates); MySQL keeps one row per event_id
    assert len(rows) == (2 if target.name == "duckdb" else 1)
    assert {r[0] for r in rows} == {event["event_id"]}
    row = rows[0]
    assert row[1:10] == (
        "page_view",
        "dev-1",
        "s1",
        "wechat",
        "/home",
        "mobile",
        "127.0.0.1",
        UA_IPHONE,
        None,
    )
    # the client's clock was 30 s ahead of... the event happened 30 s before the client sent it
    assert abs((row[11] - row[10]) - timedelta(seconds=30)) <= timedelta(seconds=1)


def test_a_bad_event_in_a_batch_is_refused_with_its_index_and_reason(target):
    order = {"event_id": uuid7(), "event_type": "order_create", "timestamp": "2024-03-10 02:00:00",
             "user_id": "10001", "order_id": "OD001", "amount": 299, "pay_method": "credit"}  # fmt: skip
    good = [browser_view(), order]
    bad = [
        {"event_type": "page_view", "timestamp": "2024-03-10 02:00:00"},
        browser_view(event_type="page_click"),
        browser_view(page_url="/" + "x" * 255),
        browser_view(timestamp="1999-12-31 23:59:59"),
        {**browser_view(event_type="page_leave"), "page_view_id": "v1"},
        browser_view(amount=1.234),
    ]
    body = json.dumps({"events": [good[0], *bad, good[1]]}).encode()
    sent = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with live_app(target) as url:
        answer = httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
    answered = datetime.now(UTC).replace(tzinfo=None)
    # the window ends a day after the collector's clock when it checked: between the two
    latest = answer.json()["rejected"][3]["reason"][-20:-1]
    assert sent + timedelta(days=1) <= datetime.fromisoformat(latest) <= answered + timedelta(days=1)
    assert answer.status_code == 200
    assert answer.json()["new"] == [good[0]["event_id"], good[1]["event_id"]]
    assert answer.json()["rejected"] == [
        {"index": 1, "reason": "event_id is required"},
        {
            "index": 2,
            "reason": "event_type must be one of bind_card, deduction_success, member_purchase, "
            "order_create, page_leave, page_view, payment_success, real_name_auth, "
            "user_login, user_register",
        },  # fmt: skip
        {"index": 3, "reason": "page_url longer than 255 characters: 256"},
        {
            "index": 4,
            "reason": "timestamp 1999-12-31 23:59:59 (clock-corrected, UTC) outside "
            f"[2000-01-01 00:00:00, {latest}]",
        },  # fmt: skip
        {"index": 5, "reason": "page_leave needs duration_ms, a whole number >= 0"},
        {"index": 6, "reason": "amount not a decimal number with at most 2 decimal places: '1.234'"},
    ]
    rows = stored_events(target, "event_id, amount, extra_data, device_type")
    assert sorted(rows) == sorted([
        (good[0]["event_id"], None, None, "other"),
        (good[1]["event_id"], Decimal("299.00"), '{"pay_method":"credit"}', "other"),
    ])  # fmt: skip


def test_wrong_or_missing_credentials_are_401_and_store_nothing(target):
    body = json.dumps({"events": [browser_view()]}).encode()
    business = json.dumps({"events": [browser_view(event_type="deduction_success")]}).encode()
    with live_app(target) as url:
        batch = f"{url}/api/report/batch"
        answers = [
            httpx.post(batch, content=body, headers=BROWSER),  # no key
            httpx.post(f"{batch}?key=nope", content=body, headers=BROWSER),
            httpx.post(f"{batch}?key={SITE_KEY}", content=body, headers={"origin": "http://evil.test"}),
            httpx.post(batch, content=body, headers=signed_headers(body, secret="wrong")),
            httpx.post(batch, content=body, headers=signed_headers(body, age=301)),  # a replay, later
            httpx.post(batch, content=body + b" ", headers=signed_headers(body)),  # body changed
        ]
        browser_business = httpx.post(f"{batch}?key={SITE_KEY}", content=business, headers=BROWSER)
    assert [a.status_code for a in answers] == [401] * 6
    assert [a.json()["error"] for a in answers] == [
        "missing credentials: a site key (?key=) or a signed source",
        "unknown site key",
        "origin http://evil.test is not allowed for this site key",
        "bad signature",
        "the request's timestamp is too old or too far ahead (replay?)",
        "bad signature",
    ]
    assert browser_business.status_code == 422
    assert browser_business.json()["rejected"] == [
        {"index": 0, "reason": "deduction_success must come from a signed back-end source, not a browser key"}
    ]
    assert stored_events(target) == []


def test_limits_are_clear_4xx(duckdb_target, monkeypatch):
    monkeypatch.setenv("BIZSTATS_COLLECT_MAX_BODY", "2048")
    monkeypatch.setenv("BIZSTATS_COLLECT_MAX_BATCH", "3")
    monkeypatch.setenv("BIZSTATS_COLLECT_IP_RATE", "1")  # every request counts against its IP
    monkeypatch.setenv("BIZSTATS_COLLECT_IP_BURST", "3")
    with live_app(duckdb_target) as url:
        batch = f"{url}/api/report/batch?key={SITE_KEY}"
        big = httpx.post(batch, content=b"x" * 2049, headers=BROWSER)
        bomb = gzip.compress(json.dumps({"events": [browser_view(page_title="a" * 200)] * 3}).encode() * 4)
        inflated = httpx.post(batch, content=bomb, headers={**BROWSER, "content-encoding": "gzip"})
        four = json.dumps({"events": [browser_view() for _ in range(4)]})
        many = httpx.post(batch, content=four, headers=BROWSER)
        limited = httpx.post(batch, content=json.dumps({"events": [browser_view()]}), headers=BROWSER)
    assert (big.status_code, big.json()) == (413, {"error": "body larger than 2048 bytes", "status": 413})
    assert (inflated.status_code, inflated.json()) == (
        413,
        {"error": "body larger than 2048 bytes once decompressed", "status": 413},
    )
    assert (many.status_code, many.json()) == (
        413, {"error": "4 events in one batch: at most 3", "status": 413}
    )
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json() == {"error": "rate limit exceeded", "status": 429}
    assert stored_events(duckdb_target) == []


def test_gzip_batches_and_metrics(mysql_target):
    events = [browser_view(event_id=uuid7()) for _ in range(3)]
    body = gzip.compress(json.dumps({"events": events}).encode())
    headers = {**signed_headers(body), "content-encoding": "gzip"}
    with live_app(mysql_target) as url:
        assert httpx.post(f"{url}/api/report/batch", content=body, headers=headers).json()["stored"] == 3
        assert (
            httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body)).json()["stored"]
            == 0
        )
        httpx.post(f"{url}/api/report?key={SITE_KEY}", content=b'{"event_type": 1}', headers=BROWSER)
        metrics = httpx.get(f"{url}/metrics").text
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    lines = prometheus_values(metrics)
    assert lines["bizstats_collect_events_received_total"] == 7
    assert lines["bizstats_collect_events_stored_total"] == 3
    assert lines["bizstats_collect_events_duplicate_total"] == 3
    assert lines['bizstats_collect_events_rejected_total{reason="event_id"}'] == 1
    assert lines['bizstats_collect_batch_events_bucket{le="5.0"}'] == 3
    assert lines['bizstats_collect_request_seconds_count{endpoint="batch"}'] == 2


def test_phone_and_id_numbers_are_masked_or_encrypted_and_user_ids_pseudonymised(mysql_target, monkeypatch):
    key = Fernet.generate_key()
    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", key.decode())
    monkeypatch.setenv("BIZSTATS_COLLECT_PSEUDONYM_KEY", "pepper")
    events = [
        browser_view(page_url="/u?phone=13800138000", page_title="ID 110101199003071234", user_id="10001"),
        browser_view(user_id="10001", extra_data={"contact": "call +86 13912345678", "n": 5}),
    ]
    body = json.dumps({"events": events}).encode()
    with live_app(mysql_target) as url:
        assert (
            httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body)).json()["stored"]
            == 2
        )
    rows = {
        r[0]: r[1:]
        for r in stored_events(mysql_target, "event_id, page_url, page_title, user_id, extra_data")
    }
    first, second = rows[events[0]["event_id"]], rows[events[1]["event_id"]]
    assert first[:2] == ("/u?phone=138****8000", "ID 110***********1234")
    assert first[2] == second[2] == "u_" + hmac.new(b"pepper", b"10001", hashlib.sha256).hexdigest()[:30]
    extra = json.loads(second[3])
    assert extra["n"] == 5 and extra["contact"].startswith("call +86 enc:")
    token = extra["contact"].removeprefix("call +86 enc:")
    assert Fernet(key).decrypt(token.encode()) == b"13912345678"


def test_the_spool_ingests_exactly_once(duckdb_target):
    from bizstats.load.collected.ingest import ingest_spool

    events = [browser_view() for _ in range(4)]
    body = json.dumps({"events": events}).encode()
    with live_app(duckdb_target) as url:
        httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
        httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
    assert ingest_spool(duckdb_target) == 8
    assert ingest_spool(duckdb_target) == 0
    ids = [r[0] for r in stored_events(duckdb_target)]
    assert sorted(ids) == sorted(e["event_id"] for e in events for _ in range(2))
    from bizstats.db import connect, fetch_all

    with connect(duckdb_target) as con:
        ledger = fetch_all(con, "select rows_loaded, duplicates, outcome from main_raw._load_ledger")
    assert ledger == [(8, 4, "committed")]


def test_a_build_ingests_what_the_collector_spooled(duckdb_target):
    """On DuckDB the collector writes to its spool, never the warehouse file; `bizstats build`
    ingests the spool first, so collected events are in the next build's numbers, once."""
    from bizstats.build import build
    from bizstats.export import read_daily_stats

    events = [browser_view(device_id=f"dev-{n}") for n in range(3)]  # local 2024-03-10, 3 visitors
    body = json.dumps({"events": events}).encode()
    with live_app(duckdb_target) as url:
        for _ in range(2):  # a retry of the whole batch: duplicates, counted once
            answer = httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
            assert answer.status_code == 200
    build(duckdb_target, start=date(2024, 3, 10), end=date(2024, 3, 10), with_tests=False)
    [row] = [r for r in read_daily_stats(duckdb_target, date(2024, 3, 10), date(2024, 3, 10))
             if r["channel"] == "all" and r["device_type"] == "all"]
    assert (row["pv"], row["uv"]) == (3, 3)


def test_the_build_sees_collected_rows_through_loaded_at(mysql_target):
    """Each commit has a `_loaded_at` above every stored one, and a ledger row with it."""
    from bizstats.db import connect, fetch_all

    with live_app(mysql_target) as url:
        for _ in range(3):
            body = json.dumps({"events": [browser_view(), browser_view()]}).encode()
            httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
    with connect(mysql_target) as con:
        raw = mysql_target.raw_schema
        stamps = fetch_all(con, f"select _loaded_at, count(*) from `{raw}`.event_logs group by 1 order by 1")
        ledger = fetch_all(
            con, f"select _loaded_at, rows_loaded, duplicates from `{raw}`._load_ledger order by 1"
        )
    assert [n for _, n in stamps] == [2, 2, 2]
    assert [s for s, _ in stamps] == sorted(s for s, _ in stamps)
    assert ledger == [(s, 2, 0) for s, _ in stamps]


def test_mysql_groups_mixing_new_stored_and_repeated_ids(mysql_target, monkeypatch):
    """The MySQL store inserts a group whole and, when an id is already there, falls back per
    statement: an id stored before, an id repeated in a later statement of the same group,
    and new ids get exact answers, each id is stored once, the ledger counts the repeats."""
    from bizstats.db import connect, fetch_all
    from bizstats.load.collected import store_mysql
    from bizstats.privacy import Scrubber
    from bizstats.web.collect.events import Received, to_row

    monkeypatch.setattr(store_mysql, "_CHUNK", 2)  # statements of 2 rows: [b, a] [c, b] [d]
    now = datetime(2024, 3, 10, 3, 0, 0)
    received = Received(now, timedelta(0), None, None, False, datetime(2024, 1, 1), datetime(2024, 12, 31))
    ids = {name: uuid7() for name in "abcd"}

    def rows(names: str) -> list[dict]:
        return [to_row(browser_view(event_id=ids[n]), received, Scrubber(None, None)) for n in names]

    store = store_mysql.MySQLStore(mysql_target)

    def write(names: str) -> list[bool]:
        group = rows(names)
        return store.write(group, [store.encode(row) for row in group])

    try:
        assert write("a") == [True]
        assert write("bacbd") == [True, False, True, False, True]
    finally:
        store.close()
    raw = mysql_target.raw_schema
    with connect(mysql_target) as con:
        stored = fetch_all(con, f"select event_id, count(*) from `{raw}`.event_logs group by 1")
        ledger = fetch_all(
            con, f"select rows_loaded, duplicates from `{raw}`._load_ledger order by _loaded_at"
        )
    assert sorted(stored) == sorted((i, 1) for i in ids.values())
    assert ledger == [(1, 0), (5, 2)]


def test_text_is_stored_byte_for_byte(target):
    """Quotes, backslashes, control characters, `%` and non-ASCII text, in the columns and in
    extra_data, come back from the raw table exactly as sent (the MySQL store writes its own
    SQL literals)."""
    tricky = "it's \\ \"q\" \\n\\' 100% %s\t\r\n\x1a 中文 😀 \\\\"
    event = browser_view(page_title=tricky, page_url="/a'b\\c%d", session_id="s\\1", note=tricky)
    body = json.dumps({"events": [event]}).encode()
    with live_app(target) as url:
        answer = httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
    assert answer.json()["stored"] == 1
    (row,) = stored_events(target, "page_title, page_url, session_id, extra_data")
    assert row[:3] == (tricky, "/a'b\\c%d", "s\\1")
    assert json.loads(row[3]) == {"note": tricky}


def test_mysql_text_survives_a_server_without_backslash_escapes(mysql_target, monkeypatch):
    """A server whose sql_mode has NO_BACKSLASH_ESCAPES (a backslash is then a plain
    character): the store's session turns it off, so the rows' text, escaped with
    backslashes, is still stored byte for byte."""
    from bizstats import db
    from bizstats.load.collected import store_mysql

    def connect_like_such_a_server(*args, **kwargs):
        con = db.mysql_connect(*args, **kwargs)
        con.cursor().execute("set session sql_mode = concat(@@sql_mode, ',NO_BACKSLASH_ESCAPES')")
        return con

    monkeypatch.setattr(store_mysql, "mysql_connect", connect_like_such_a_server)
    tricky = "it's \\ \\' \"q\" 中文 \\\\"
    body = json.dumps({"events": [browser_view(page_title=tricky)]}).encode()
    with live_app(mysql_target) as url:
        answer = httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))
    assert answer.json()["stored"] == 1, answer.text
    assert stored_events(mysql_target, "page_title") == [(tricky,)]
