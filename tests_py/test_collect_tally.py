"""The collector's tally of what became of the events it received (数据上报成功率's input,
bizstats.load.collected.tally): every event in exactly one outcome, per local day, stored in
<raw>.collect_daily_tally on both targets (DuckDB through the spool and its ingest)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bizstats.db import connect, fetch_all, qualified
from tests_py.support.collector import ORIGIN, SITE_KEY, browser_view, live_app, signed_headers

pytestmark = pytest.mark.usefixtures("collector_env")  # conftest.py

BROWSER = {"origin": ORIGIN, "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}


def _tally(target) -> dict[str, tuple[int, int]]:
    """The tally of the test's warehouse: outcome -> (delivered, events), on today's local
    (UTC+8) day or, when the test crossed local midnight, that day and the next."""
    if target.name == "duckdb":
        from bizstats.load.collected.ingest import ingest_spool

        ingest_spool(target)
    table = qualified(target, target.raw_schema, "collect_daily_tally")
    with connect(target) as con:
        rows = fetch_all(con, f"select outcome, delivered, sum(events), max(stat_date) from {table} "
                              "group by outcome, delivered")  # fmt: skip
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    assert {str(day) for *_, day in rows} <= {str(today), str(today - timedelta(days=1))}
    return {outcome: (int(delivered), int(events)) for outcome, delivered, events, _ in rows}


def test_every_event_received_is_tallied_once_by_outcome(target):
    """3 new events, the same 3 again (duplicates: delivered), a batch of one invalid and one
    good event, a body that is no JSON, a request with an unknown key: 10 received, 7
    delivered. An ingest repeated on DuckDB replaces the day, never adds it twice."""
    signed = json.dumps({"events": [browser_view() for _ in range(3)]}).encode()
    mixed = json.dumps({"events": [browser_view(event_type="nope"), browser_view()]})
    with live_app(target) as url:
        batch = f"{url}/api/report/batch"
        answers = [
            httpx.post(batch, content=signed, headers=signed_headers(signed)),
            httpx.post(batch, content=signed, headers=signed_headers(signed)),
            httpx.post(f"{batch}?key={SITE_KEY}", content=mixed, headers=BROWSER),
            httpx.post(f"{batch}?key={SITE_KEY}", content="{not json", headers=BROWSER),
            httpx.post(f"{batch}?key=nope", content=mixed, headers=BROWSER),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 400, 401]
    expected = {"stored": (1, 4), "duplicate": (1, 3),
                "invalid_event": (0, 1), "bad_body": (0, 1), "unauthorized": (0, 1)}  # fmt: skip
    assert _tally(target) == expected
    assert _tally(target) == expected
