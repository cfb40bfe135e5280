"""dbt's own tests (yml generic tests and tests/*.sql) run on a real build of the fixture,
pass on both targets, and catch a number that no longer adds up."""

from __future__ import annotations

import pytest

from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from tests_py.fixtures import BUSINESS, TRAFFIC_EVENTS

RANGE = {"start_date": "2024-03-09", "end_date": "2024-03-12"}


def test_dbt_tests_pass_and_catch_a_broken_slice(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    result = wh.build(start="2024-03-09", end="2024-03-12", with_tests=True)
    tests = {name: status for name, status in result.statuses.items() if status in ("pass", "warn")}
    assert len(tests) > 50  # dbt build ran the yml and singular tests, all passing or warning
    for name in (
        "daily_stats_slices_add_up",
        "weekly_stats_match_daily_stats",
        "monthly_stats_match_daily_stats",
        "daily_stats_all_row_matches_contract",
    ):
        assert tests.get(name) == "pass", name

    # one slice's pv no longer sums to the `all` row
    wh.execute(
        "update {schema}.daily_stats set pv = pv + 1 "
        "where stat_date = '2024-03-10' and channel = 'wechat' and device_type = 'mobile'"
    )
    with pytest.raises(BizstatsError, match="daily_stats_slices_add_up"):
        run_dbt(wh.target, ["test", "--select", "daily_stats_slices_add_up"], RANGE)
