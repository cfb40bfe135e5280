"""Bots (机器人流量): page views the collector flagged as bots (extra_data.bot) count in no
page-view metric — pv, uv, visit duration — nor in the real-time counters, unless the one
setting, dbt var count_bot_traffic, is true. Local day 2024-03-10: visitor u1 views a page for
20 s (its leave), a crawler views one for 100 s."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from bizstats.realtime import facts as facts_module
from bizstats.realtime.counters import read_day
from bizstats.realtime.rebuild import rebuild_day
from tests_py.support.project_copy import edit_text, use_project_copy
from tests_py.support.sample_data import leave, view

DAY = date(2024, 3, 10)
EVENTS = [
    view("human", "2024-03-10 02:00:00", user="u1", session="s1", channel="official", dtype="pc"),
    leave("human-leave", "human", "2024-03-10 02:00:20", session="s1"),
    {**view("crawler", "2024-03-10 03:00:00", device="bot-1", session="s2", channel="official", dtype="pc"),
     "extra_data": json.dumps({"bot": True})},
    leave("crawler-leave", "crawler", "2024-03-10 03:01:40", session="s2"),
]  # fmt: skip


def _numbers(wh) -> tuple[int, int, int]:
    row = wh.daily(str(DAY))
    return row["pv"], row["uv"], row["avg_visit_duration"]


def _realtime(wh, redis_url) -> tuple[int, int]:
    import redis

    rebuild_day(wh.target, redis_url, DAY, 8, uv_exact=True)
    client = redis.Redis.from_url(redis_url)
    try:
        day = read_day(client, DAY, uv_exact=True)
    finally:
        client.close()
    return day["pv"], day["uv"]


def test_bots_are_left_out_of_page_view_metrics_unless_counted(wh, redis_url, tmp_path, monkeypatch):
    wh.load(event_logs=EVENTS)
    wh.build(start=str(DAY), end=str(DAY))
    assert _numbers(wh) == (1, 1, 20)
    assert _realtime(wh, redis_url) == (1, 1)

    # count_bot_traffic: true, in a copy of the project: the same day rebuilt counts the crawler
    project = use_project_copy(tmp_path, monkeypatch)
    edit_text(project / "dbt_project.yml", "count_bot_traffic: false", "count_bot_traffic: true")
    wh.build(start=str(DAY), end=str(DAY))
    # the crawler's 100 s is above the day's 99.9th percentile (20 + 0.999 x 80 = 99.92 s): an
    # outlier of the duration rule, so the average is 20 s / 2 visitors
    assert _numbers(wh) == (2, 2, 10)
    counted = dataclasses.replace(facts_module.project_vars(), count_bot_traffic=True)
    monkeypatch.setattr(facts_module, "project_vars", lambda: counted)
    assert _realtime(wh, redis_url) == (2, 2)
