"""Acknowledged means stored: a collector killed with SIGKILL under load loses no event it
acknowledged, and a database that goes away gets 503s (nothing half-stored) until it
returns, when the collector recovers by itself."""

from __future__ import annotations

import json
import signal
import threading
import time

import httpx
import pytest

from bizstats.client import uuid7
from bizstats.settings import settings as current_settings
from tests_py.support.collector import (
    live_app,
    prometheus_values,
    serve_in_subprocess,
    signed_headers,
    stored_events,
)
from tests_py.support.network import Relay

pytestmark = pytest.mark.usefixtures("collector_env")  # conftest.py


def _batch(n: int) -> tuple[list[str], bytes, dict[str, str]]:
    ids = [uuid7() for _ in range(n)]
    events = [{"event_id": i, "event_type": "page_view", "timestamp": "2024-03-10 02:00:00"} for i in ids]
    body = json.dumps({"events": events}).encode()
    return ids, body, signed_headers(body)


def test_kill_9_loses_no_acknowledged_event(target):
    server, base = serve_in_subprocess(target)
    url = f"{base}/api/report/batch"
    acked: list[str] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                ids, body, headers = _batch(20)
                try:
                    answer = client.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    continue
                if answer.status_code == 200:
                    acked.extend(answer.json()["new"])

    senders = [threading.Thread(target=send) for _ in range(4)]
    try:
        for thread in senders:
            thread.start()
        while len(acked) < 400:
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait()
        killed_with = len(acked)
    finally:
        stop.set()
        for thread in senders:
            thread.join()
        if server.poll() is None:
            server.kill()
    assert killed_with >= 400
    stored = {row[0] for row in stored_events(target)}
    assert set(acked) <= stored
    assert len(acked) == len(set(acked))


def test_database_down_is_503_and_the_collector_recovers(mysql_target, monkeypatch):
    settings = current_settings().mysql
    relay = Relay((settings.host, settings.port))
    relay.start()
    monkeypatch.setenv("BIZSTATS_MYSQL_PORT", str(relay.port))
    with live_app(mysql_target) as url:
        first_ids, body, headers = _batch(3)
        assert httpx.post(f"{url}/api/report/batch", content=body, headers=headers).status_code == 200
        relay.stop()
        down_ids, body, headers = _batch(3)
        down = httpx.post(f"{url}/api/report/batch", content=body, headers=headers)
        relay.start()
        again = httpx.post(f"{url}/api/report/batch", content=body, headers=headers)
    assert down.status_code == 503 and down.headers["retry-after"] == "5"
    # a generic reason and a request id: nothing of the server (host, port, schema) or of the SQL
    reason = down.json()["error"]
    assert reason.startswith("events not stored: the database is unavailable; retry later (request id ")
    assert reason.endswith(f"{down.headers['x-request-id']})")
    assert not [word for word in (settings.host, str(relay.port), mysql_target.models_schema, "insert")
                if word in down.text]
    assert again.status_code == 200 and again.json()["new"] == down_ids
    monkeypatch.setenv("BIZSTATS_MYSQL_PORT", str(settings.port))
    assert sorted(r[0] for r in stored_events(mysql_target)) == sorted(first_ids + down_ids)


def test_several_workers_store_each_event_once_and_add_up_their_metrics(mysql_target):
    """`bizstats serve --workers 2`: batches sent on many connections, then all sent again,
    are stored once each, every commit with a stamp of its own (the commit lock is shared),
    GET /metrics, whichever worker answers, counts every request of both, and so does the
    collection tally."""
    from bizstats.db import connect, fetch_all

    server, url = serve_in_subprocess(mysql_target, "--workers", "2")
    batches = [_batch(10) for _ in range(24)]
    answers: list[dict] = []

    def send(mine: list) -> None:
        for _, body, headers in mine:
            with httpx.Client(timeout=10) as client:  # a new connection: any worker may take it
                answers.append(client.post(f"{url}/api/report/batch", content=body, headers=headers).json())

    try:
        for _ in range(2):  # the second round: every event again
            senders = [threading.Thread(target=send, args=(batches[i::4],)) for i in range(4)]
            for thread in senders:
                thread.start()
            for thread in senders:
                thread.join()
        metrics = httpx.get(f"{url}/metrics").text
    finally:
        server.terminate()
        server.wait(timeout=30)
    ids = [i for batch_ids, _, _ in batches for i in batch_ids]
    assert sorted(i for a in answers for i in a["new"]) == sorted(ids)
    assert sorted(i for a in answers for i in a["duplicates"]) == sorted(ids)
    raw = mysql_target.raw_schema
    with connect(mysql_target) as con:
        stored = fetch_all(con, f"select event_id from `{raw}`.event_logs")
        ledger = fetch_all(con, f"select _loaded_at, rows_loaded from `{raw}`._load_ledger")
    assert sorted(r[0] for r in stored) == sorted(ids)
    assert len({stamp for stamp, _ in ledger}) == len(ledger)  # one stamp per commit, never shared
    assert sum(n for _, n in ledger) == 480
    # the collection tally: both workers' counts added up (each flushed when it stopped)
    with connect(mysql_target) as con:
        tally = fetch_all(con, f"select outcome, sum(events) from `{raw}`.collect_daily_tally "
                               "group by outcome")  # fmt: skip
    assert {outcome: int(n) for outcome, n in tally} == {"stored": 240, "duplicate": 240}
    values = prometheus_values(metrics)
    assert values["bizstats_collect_events_received_total"] == 480
    assert values["bizstats_collect_events_stored_total"] == 240
    assert values["bizstats_collect_events_duplicate_total"] == 240
    assert values['bizstats_collect_request_seconds_count{endpoint="batch"}'] == 48
