"""Issue 15, points 5, 7 and 13: no single request fails others, no client uses up a site's
budget, no forged X-Forwarded-For is believed, and the files holding events are private.

- A row the database refuses inside a group commit fails alone (the group is bisected): the
  other requests of its commit are stored once and answered 200 (a fake store, then MariaDB
  with a CHECK constraint under concurrent attackers and innocent clients).
- Rate limits per IP and per client (IP and device id) beside a per-key ceiling that only
  requests with events to store use up (two clients told apart by a trusted proxy's header).
- `bizstats serve` ignores X-Forwarded-For unless BIZSTATS_COLLECT_TRUSTED_PROXIES names the
  peer (uvicorn's own proxy handling is off), and the warehouse, its lock, the key hashes
  and the spool are created 0600 in folders 0700.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import stat
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import httpx
import pymysql
import pytest

from bizstats.db import ensure_raw_tables
from bizstats.load.collected.group_commit import GroupCommitter, Refused, RowRefused
from bizstats.load.collected.spool import open_spool, spool_path, spooled_rows
from bizstats.settings import settings as current_settings
from tests_py.support.collector import (
    ORIGIN,
    SITE_KEY,
    browser_view,
    live_app,
    serve_in_subprocess,
    stored_events,
)

REASON = "the database refused this event: a value breaks a check constraint (error 4025)"
BROWSER = {"origin": ORIGIN, "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
NO_LIMITS = {f"BIZSTATS_COLLECT_{name}": "1000000" for name in
             ("RATE", "BURST", "IP_RATE", "IP_BURST", "CLIENT_RATE", "CLIENT_BURST")}  # fmt: skip


pytestmark = pytest.mark.usefixtures("collector_env")  # conftest.py




# -- point 5: a refused row fails alone -------------------------------------------------------


class _RefusingStore:
    """Refuses every transaction holding a row of page `/evil`; the first write waits for
    `gate`, so the requests sent meanwhile reach the committer as one group."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.stored: list[str] = []
        self.transactions = 0

    def encode(self, row: dict) -> dict:
        return row

    def write(self, rows: list[dict], encoded: list) -> list[bool]:
        self.gate.wait(10)
        self.transactions += 1
        if any(row["page_url"] == "/evil" for row in rows):
            raise RowRefused(REASON)
        self.stored += [row["event_id"] for row in rows]
        return [True] * len(rows)

    def close(self) -> None:
        pass


def test_a_refused_row_fails_only_itself_within_a_group():
    store = _RefusingStore()
    committer = GroupCommitter(store, max_group=5000)
    first = [browser_view()]
    innocent = [[browser_view(), browser_view()] for _ in range(12)]
    mixed = [browser_view(), browser_view(page_url="/evil"), browser_view()]

    async def send() -> list:
        asyncio.get_running_loop().call_later(0.3, store.gate.set)
        requests = [first, *innocent[:6], mixed, *innocent[6:]]
        return await asyncio.gather(*(committer.store(rows) for rows in requests))

    try:
        answers = asyncio.run(send())
    finally:
        committer.close()
    assert answers[0] == [True]
    assert answers[1:7] + answers[8:] == [[True, True]] * 12  # every innocent request stored
    assert answers[7] == [True, Refused(REASON), True]  # the bad row alone, its neighbours stored
    good = [e["event_id"] for e in first + [e for r in innocent for e in r] + [mixed[0], mixed[2]]]
    assert sorted(store.stored) == sorted(good) and len(store.stored) == len(set(store.stored))
    # 1 + the group of 13 + its halves down to the request + the request's halves: a few, not one each
    assert store.transactions <= 12


def test_attackers_rows_refused_by_mariadb_never_fail_innocent_requests(mysql_target, monkeypatch):
    """3 attacker threads send a row MariaDB refuses (here a CHECK constraint on page_url,
    like extra_data's JSON check) beside a good one; 8 innocent threads send good events."""
    for name, value in NO_LIMITS.items():
        monkeypatch.setenv(name, value)
    ensure_raw_tables(mysql_target)
    settings = current_settings().mysql
    con = pymysql.connect(host=settings.host, port=settings.port, user=settings.user,
                          password=settings.password)  # fmt: skip
    with con.cursor() as cur:
        cur.execute(f"alter table `{mysql_target.raw_schema}`.event_logs "
                    "add constraint no_evil check (page_url is null or page_url <> '/evil')")  # fmt: skip
    con.close()
    answers: dict[str, list] = {"innocent": [], "attacker": []}
    sent: list[str] = []

    with live_app(mysql_target) as url:
        def client(kind: str, requests: int) -> None:
            with httpx.Client(base_url=url, headers=BROWSER, timeout=30) as http:
                for _ in range(requests):
                    events = [browser_view()]
                    if kind != "innocent":
                        events.append(browser_view(page_url="/evil"))
                    body = json.dumps({"events": events})
                    response = http.post(f"/api/report/batch?key={SITE_KEY}", content=body)
                    answers[kind].append((response.status_code, response.json(), events))
                    sent.append(events[0]["event_id"])

        threads = [threading.Thread(target=client, args=("attacker", 20)) for _ in range(3)]
        threads += [threading.Thread(target=client, args=("innocent", 25)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert Counter(status for status, _, _ in answers["innocent"]) == {200: 200}
    assert all(body["new"] == [events[0]["event_id"]] for _, body, events in answers["innocent"])
    assert Counter(status for status, _, _ in answers["attacker"]) == {200: 60}
    for _, body, events in answers["attacker"]:
        assert body["new"] == [events[0]["event_id"]]
        [refused] = body["rejected"]
        assert refused["index"] == 1 and refused["reason"].startswith("the database refused this event")
        assert mysql_target.raw_schema not in refused["reason"] and "insert" not in refused["reason"]
    stored = stored_events(mysql_target, "event_id, page_url")
    assert sorted(event_id for event_id, _ in stored) == sorted(sent)  # each once, no /evil
    assert {page for _, page in stored} == {"/home"}


# -- point 7: the rate limit is per client ----------------------------------------------------


def _post(url: str, ip: str, events: list, device: str | None = None) -> int:
    headers = {**BROWSER, "x-forwarded-for": ip}
    body = {"events": [dict(e, device_id=device) for e in events] if device else events}
    answer = httpx.post(f"{url}/api/report/batch?key={SITE_KEY}", content=json.dumps(body), headers=headers)
    return answer.status_code


def test_an_abuser_is_limited_while_another_client_of_the_same_key_is_not(target, monkeypatch):
    monkeypatch.setenv("BIZSTATS_COLLECT_TRUSTED_PROXIES", "127.0.0.1")  # the test's proxy
    for name, value in {"IP_RATE": "1", "IP_BURST": "40", "CLIENT_RATE": "1", "CLIENT_BURST": "40",
                        "RATE": "1", "BURST": "45"}.items():  # fmt: skip
        monkeypatch.setenv(f"BIZSTATS_COLLECT_{name}", value)
    with live_app(target) as url:
        abuser = Counter(_post(url, "198.51.100.7", []) for _ in range(100))  # empty batches: 422
        browser = Counter(_post(url, "203.0.113.5", [browser_view()], device="dev-b") for _ in range(40))
        third = Counter(_post(url, "192.0.2.9", [browser_view()], device="dev-c") for _ in range(20))
    assert abuser[422] < 50 and abuser[429] > 50 and set(abuser) == {422, 429}
    assert browser == {200: 40}  # before: 33 of 40 were 429, the abuser had used up the key
    # the key's ceiling (45 requests with events, 1 more a second) still holds for everyone
    assert third[429] >= 5 and set(third) == {200, 429}


def test_one_device_is_limited_while_another_behind_the_same_address_is_not(duckdb_target, monkeypatch):
    for name, value in {"IP_RATE": "1", "IP_BURST": "100", "CLIENT_RATE": "1", "CLIENT_BURST": "10"}.items():
        monkeypatch.setenv(f"BIZSTATS_COLLECT_{name}", value)
    with live_app(duckdb_target) as url:
        noisy = Counter(_post(url, "ignored", [browser_view()], device="dev-noisy") for _ in range(30))
        quiet = Counter(_post(url, "ignored", [browser_view()], device="dev-quiet") for _ in range(10))
    assert noisy[429] >= 15 and quiet == {200: 10}


# -- point 13: forwarded addresses and file modes ---------------------------------------------


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_serve_believes_x_forwarded_for_only_from_trusted_proxies(target, monkeypatch, trusted):
    monkeypatch.setenv("BIZSTATS_COLLECT_TRUSTED_PROXIES", trusted)
    ensure_raw_tables(target)
    event = browser_view()
    server, url = serve_in_subprocess(target)
    try:
        answer = httpx.post(f"{url}/api/report?key={SITE_KEY}", content=json.dumps(event),
                            headers={**BROWSER, "x-forwarded-for": "203.0.113.9"})  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert answer.status_code == 200, answer.text
    if target.name == "duckdb":
        [row] = spooled_rows(spool_path(target))
        ip = row["ip_address"]
    else:
        [(ip,)] = stored_events(target, "ip_address")
    assert ip == ("203.0.113.9" if trusted else "127.0.0.1")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_holding_the_warehouse_keys_and_spool_are_private(tmp_path, monkeypatch):
    folder = tmp_path / "new" / "place"
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(folder / "wh.duckdb"))
    data = tmp_path / "data"
    data.mkdir()
    with open(data / "event_logs.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["event_id", "event_type", "event_time"],
                                  ["e1", "page_view", "2024-03-10 02:00:00"]])  # fmt: skip
    mask = os.umask(0o022)  # what a shell usually has: files 0644 unless made private
    try:
        for command in (["load", str(data)], ["keys", "create", "--name", "t"]):
            done = subprocess.run([sys.executable, "-m", "bizstats.cli", *command, "--target", "duckdb"],
                                  capture_output=True, text=True, env=os.environ.copy())  # fmt: skip
            assert done.returncode == 0, done.stderr
        spool = open_spool(tmp_path / "spool" / "events.spool")  # by the collector, in this process
        spool.execute("select count(*) from spool").fetchall()
    finally:
        os.umask(mask)
    files = {p.name: _mode(p) for p in folder.iterdir()}
    assert {"wh.duckdb", "wh.duckdb.lock", "wh.duckdb.keys.sqlite"} <= set(files)
    assert set(files.values()) == {0o600}, files
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
    spooled = {p.name: _mode(p) for p in (tmp_path / "spool").iterdir()}
    spool.close()
    assert {"events.spool", "events.spool-wal", "events.spool-shm"} <= set(spooled)
    assert set(spooled.values()) == {0o600}, spooled
    assert _mode(tmp_path / "spool") == 0o700


# -- numbers in headers ----------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["²", "１７００００００００", "1" * 5000, "-5", ""])
def test_a_signed_request_with_a_timestamp_that_is_no_number_is_a_401(duckdb_target, stamp):
    """'²' and full-width digits pass str.isdigit() and then broke int(): a 500."""
    ensure_raw_tables(duckdb_target)
    with live_app(duckdb_target) as url:
        answer = httpx.post(f"{url}/api/report", content=b"{}", headers={
            "x-bizstats-source": "orders", "x-bizstats-signature": "ab",
            # HTTP headers are read as latin-1: b"\xb2" arrives as "²"
            "x-bizstats-timestamp": stamp.encode("latin-1" if stamp.isascii() or stamp == "²" else "utf-8")})
    assert answer.status_code == 401
    assert "X-Bizstats-Timestamp" in answer.text


@pytest.mark.parametrize("length", ["²", "9" * 40])
def test_a_content_length_that_is_no_small_number_never_gives_a_500(duckdb_target, length):
    """A raw request, since HTTP clients write Content-Length themselves."""
    ensure_raw_tables(duckdb_target)

    async def send(url: str) -> bytes:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST /api/report?key={SITE_KEY} HTTP/1.1\r\nHost: x\r\nOrigin: {ORIGIN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        return status

    with live_app(duckdb_target) as url:
        status = asyncio.run(send(url))
    assert status.startswith(b"HTTP/1.1 4"), status
