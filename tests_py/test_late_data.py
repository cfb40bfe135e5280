"""Issue 15, point 4: one old event never stops or stretches the nightly.

Browser events older than the late-data horizon are quarantined, not built (sent through the
real app with the public site key); an operator lists, admits or drops them; pending days far
back (a trusted source's old event, an admitted one, a raw row inserted by hand) are left
pending by the nightly, which builds its own range and alerts with the backfill to run; a
one-day backfill stays one day. Both targets."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from bizstats.alerts import list_alerts
from bizstats.build import plan_build, yesterday_local
from bizstats.changes import local_date
from bizstats.cli import main
from bizstats.client import uuid7
from bizstats.load.quarantine import Selection, list_quarantined
from tests_py.support.collector import COLLECT_ENV, ORIGIN, SITE_KEY, live_app, signed_headers

HORIZON_DAYS = 5
BROWSER = {"origin": ORIGIN, "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for name, value in COLLECT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BIZSTATS_LATE_DATA_DAYS", str(HORIZON_DAYS))
    monkeypatch.delenv("BIZSTATS_ALERTS_CONFIG", raising=False)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _text(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S}"


def _view(at: datetime | str, **fields) -> dict:
    stamp = at if isinstance(at, str) else _text(at)
    return {"event_id": uuid7(), "event_type": "page_view", "timestamp": stamp, "device_id": "dev-1",
            "session_id": f"s-{uuid7()}", "page_url": "/home", **fields}  # fmt: skip


def _signed_post(url: str, body: dict) -> httpx.Response:
    raw = json.dumps(body).encode()
    return httpx.post(f"{url}/api/report/batch", content=raw, headers=signed_headers(raw))


def _cli(*args: str) -> None:
    """`bizstats ...` in this process (main sets the umask of the files it creates: put back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    try:
        assert main(list(args)) == 0
    finally:
        os.umask(mask)


def _alerts(target, check: str) -> list:
    return [a for a in list_alerts(target, None) if a.alert.check == check]


def _pending(wh) -> list[date]:
    rows = wh.query("select stat_date from {schema}.bizstats_pending_days order by stat_date")
    return [d if isinstance(d, date) else d.date() for (d,) in rows]


def test_old_events_are_quarantined_and_far_pending_days_never_stretch_the_nightly(wh, capsys):
    target, now = wh.target, _now()
    offset = 8
    yesterday = yesterday_local()
    recent = datetime.combine(yesterday, datetime.min.time()) + timedelta(hours=12 - offset)  # Y 12:00 local
    # 12:00 local twelve days ago (never near a local midnight, whatever the time of the run)
    twelve_days = recent - timedelta(days=11)
    old_day = local_date(twelve_days, offset)
    fresh, ancient, late = _view(recent), _view("2001-01-01 12:00:00"), _view(twelve_days)
    # a client clock "ahead" by 26 years: the skew correction moves its event to 2000-12-06
    skewed_at = now + (now - datetime(2000, 12, 6, 12, 0, 0))
    skewed = _view(now)

    with live_app(target) as url:
        batch = httpx.post(f"{url}/api/report/batch?key={SITE_KEY}", headers=BROWSER,
                           content=json.dumps({"events": [fresh, ancient, late]}))  # fmt: skip
        clock = httpx.post(f"{url}/api/report/batch?key={SITE_KEY}", headers=BROWSER,
                           content=json.dumps({"sent_at": _text(skewed_at), "events": [skewed]}))  # fmt: skip
    assert batch.status_code == 200, batch.text
    assert batch.json() == {"stored": 1, "new": [fresh["event_id"]], "duplicates": [], "rejected": [],
                            "quarantined": [ancient["event_id"], late["event_id"]]}  # fmt: skip
    assert clock.status_code == 200 and clock.json()["quarantined"] == [skewed["event_id"]]

    # the nightly (the first build: the days of the stored data) builds, nothing from 2000/2001
    first = wh.build()
    assert (first.start, first.end) == (yesterday - timedelta(days=3), yesterday)
    held = list_quarantined(target)
    assert [e.event_id for e in held] == [skewed["event_id"], ancient["event_id"], late["event_id"]]
    assert [e.event_time.date() for e in held] == [date(2000, 12, 6), date(2001, 1, 1), twelve_days.date()]
    assert all("BIZSTATS_LATE_DATA_DAYS" in e.reason for e in held)
    assert wh.query("select count(*) from {schema}_raw.event_logs") == [(1,)]
    [alert] = _alerts(target, "quarantined_events")  # one alert for the batch, not one per event
    assert alert.alert.actual == 3 and "bizstats quarantine list" in alert.alert.advice
    wh.build()  # nothing new quarantined: not raised again
    [again] = _alerts(target, "quarantined_events")
    assert again.times_raised == 1

    # a trusted source's old event is stored (never quarantined), a row inserted by hand too
    signed_day_event = _view(twelve_days + timedelta(hours=1))
    with live_app(target) as url:
        trusted = _signed_post(url, {"events": [signed_day_event]})
    assert trusted.json()["new"] == [signed_day_event["event_id"]] and "quarantined" not in trusted.json()
    for event_id, at in (("by-hand-1900", "1900-01-01 00:00:00"), ("by-hand-2001", "2001-06-01 00:00:00")):
        wh.execute(
            "insert into {schema}_raw.event_logs (event_id, event_type, session_id, event_time, created_at) "
            f"values ('{event_id}', 'page_view', 's-{event_id}', '{at}', '{at}')"
        )
    # the nightly builds its own range and leaves the far days pending, with an alert
    nightly = wh.build()
    assert (nightly.start, nightly.end) == (yesterday - timedelta(days=3), yesterday)
    assert _pending(wh) == [date(2001, 6, 1), old_day]  # never 1900-01-01: outside the window
    [deferred] = _alerts(target, "late_data_deferred")
    backfill = f"bizstats build --start 2001-06-01 --end {old_day} --target {target.name}"
    assert backfill in deferred.alert.advice and deferred.alert.actual == 2
    # a one-day backfill stays one day (the plan used to reach back to 2001: 9,000+ days)
    one_day = wh.build(start=str(yesterday), end=str(yesterday))
    assert (one_day.start, one_day.end) == (yesterday, yesterday)
    plan = plan_build(target, start=yesterday, end=yesterday)
    assert plan.deferred == (date(2001, 6, 1), old_day) and "stay pending" in plan.describe()

    # the operator: list, admit the late one (its backfill printed), drop the absurd ones
    capsys.readouterr()
    _cli("quarantine", "list", "--target", target.name)
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 4 and listed[-1] == f"3 quarantined events on {target.name}"
    assert f" {ancient['event_id']} " in listed[1] and listed[1].startswith("#")
    late_id = held[2].quarantine_id
    _cli("quarantine", "admit", "--id", str(late_id), "--target", target.name)
    admitted = capsys.readouterr().out
    assert admitted.startswith(f"admitted 1 quarantined events into event_logs on {target.name}")
    assert f"`bizstats build --start {old_day} --end {old_day} --target {target.name}`" in admitted
    with pytest.raises(SystemExit):
        _cli("quarantine", "drop", "--target", target.name, "--id", "x")
    assert main(["quarantine", "drop", "--target", target.name]) == 1  # says which: refused
    assert "--id ID (repeatable), --before YYYY-MM-DD or --all" in capsys.readouterr().err
    _cli("quarantine", "drop", "--before", "2002-01-01", "--target", target.name)
    assert capsys.readouterr().out == f"dropped 2 quarantined events on {target.name}\n"
    assert list_quarantined(target, Selection(every=True)) == []

    # the nightly still builds its range; the printed backfill builds the admitted day
    nightly = wh.build()
    assert (nightly.start, nightly.end) == (yesterday - timedelta(days=3), yesterday)
    backfilled = wh.build(start=str(old_day), end=str(old_day))
    assert (backfilled.start, backfilled.end) == (old_day, yesterday)  # the days after: carried forward
    assert wh.daily(str(old_day))["pv"] == 2  # the trusted event and the admitted one
    assert wh.daily(str(yesterday))["pv"] == 1
    assert _pending(wh) == [date(2001, 6, 1)]
    old_rows = "select count(*) from {schema}_raw.event_logs where event_time < '2001-01-01 00:00:00'"
    assert wh.query(old_rows) == [(1,)]  # the row of 1900 inserted by hand: stored, never built
