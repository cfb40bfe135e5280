"""Client times at the edges of the calendar (issue 15, point 15, the collector's part): a
`sent_at` or `timestamp` whose UTC value or clock correction leaves years 1 .. 9999 is
refused with a reason (the event in `rejected`, or a 400 for the batch's `sent_at`), never a
500, and nothing of a good event in the same batch is lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizstats.client import uuid7
from bizstats.web.collect.events import Rejected, clock_corrected, parse_time
from tests_py.support.collector import live_app, signed_headers, stored_events

pytestmark = pytest.mark.usefixtures("collector_env")  # conftest.py


def _post(url: str, batch: dict) -> httpx.Response:
    body = json.dumps(batch).encode()
    return httpx.post(f"{url}/api/report/batch", content=body, headers=signed_headers(body))


OUT_OF_RANGE = "out of range (years 1 .. 9999 in UTC)"


def _event(timestamp: str) -> dict:
    return {"event_id": uuid7(), "event_type": "page_view", "timestamp": timestamp}


def test_times_beyond_the_calendar_refuse_their_event_only(target):
    good = _event(f"{datetime.now(UTC) - timedelta(hours=1):%Y-%m-%d %H:%M:%S}")
    late, early = _event("9999-12-31T23:59:59-14:00"), _event("0001-01-01T00:00:00+14:00")
    with live_app(target) as url:
        answer = _post(url, {"events": [late, good, early]})
        future = _post(url, {"sent_at": "9999-12-31 00:00:00", "events": [_event("2024-03-10 02:00:00")]})
        past = _post(url, {"sent_at": "0001-01-01T00:00:00+14:00", "events": [_event("2024-03-10 02:00:00")]})

    assert answer.status_code == 200
    assert answer.json()["new"] == [good["event_id"]]
    assert answer.json()["rejected"] == [
        {"index": 0, "reason": f"timestamp {OUT_OF_RANGE}: '9999-12-31T23:59:59-14:00'"},
        {"index": 2, "reason": f"timestamp {OUT_OF_RANGE}: '0001-01-01T00:00:00+14:00'"},
    ]
    # sent_at 9999: the clock correction moves the event before year 1
    assert future.status_code == 422
    assert future.json()["rejected"] == [
        {
            "index": 0,
            "reason": "timestamp 2024-03-10 02:00:00 corrected by the client's clock (receive time - "
            "sent_at) is out of range",
        }
    ]
    assert past.status_code == 400
    assert past.json()["error"] == f"sent_at {OUT_OF_RANGE}: '0001-01-01T00:00:00+14:00'"
    assert stored_events(target) == [(good["event_id"],)]


_OFFSETS = st.integers(-14 * 60, 14 * 60).map(
    lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
)
_TIMES = st.one_of(
    st.datetimes().map(str),
    st.builds(lambda d, o: d.isoformat() + o, st.datetimes(), _OFFSETS),
    st.builds(lambda d, o: d.isoformat() + o, st.sampled_from([datetime.min, datetime.max]), _OFFSETS),
    st.integers(),
    st.floats(),
    st.text(max_size=45),
    st.booleans(),
    st.none(),
)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(value=_TIMES, sent_at=_TIMES)
def test_parse_time_and_clock_correction_never_overflow(value, sent_at) -> None:
    """Any value, as timestamp and as sent_at: a naive datetime or Rejected, never another
    exception, and the correction by any representable skew the same."""
    now = datetime(2026, 1, 1)
    try:
        at = parse_time(value, "timestamp")
        skew = now - parse_time(sent_at, "sent_at")
    except Rejected:
        return
    assert at.tzinfo is None
    try:
        corrected = clock_corrected(at, skew)
    except Rejected:
        return
    assert corrected == at + skew
