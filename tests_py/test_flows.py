"""The Prefect nightly flow runs a real build (Prefect's temporary local server)."""

from __future__ import annotations

from datetime import date

from prefect.testing.utilities import prefect_test_harness

from flows.nightly import NIGHTLY_CRON, nightly
from tests_py.conftest import Warehouse
from tests_py.fixtures import BUSINESS, TRAFFIC_EVENTS


def test_nightly_flow_builds_the_day_and_lookback(duckdb_target, tmp_path):
    w = Warehouse(duckdb_target, tmp_path)
    w.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    w.build(start="2024-03-01", end="2024-03-11")
    # a temporary Prefect server for this test only, stopped before pytest closes its output
    with prefect_test_harness():
        result = nightly(target="duckdb", day=date(2024, 3, 12))
    assert result == {"start": "2024-03-09", "end": "2024-03-12"}
    assert str(w.daily("2024-03-12")["total_deduction"]) == "37.89"
    assert (NIGHTLY_CRON.cron, NIGHTLY_CRON.timezone) == ("0 2 * * *", "Asia/Shanghai")
