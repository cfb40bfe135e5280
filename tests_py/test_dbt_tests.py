"""dbt's own tests (yml generic tests and tests/*.sql) run on a real build of the fixture,
pass on both targets, and catch a number that no longer adds up. Plausibility checks have
severity `warn` and are reported (DbtOutcome.warnings, "warning:" progress lines) without
failing the build; everything else is `error` (tests_py/test_adversarial.py builds data that
trips every plausibility check)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from tests_py.fixtures import BUSINESS, TRAFFIC_EVENTS

RANGE = {"start_date": "2024-03-09", "end_date": "2024-03-12"}
ROOT = Path(__file__).resolve().parents[1]

# The `warn` tests, each a plausibility check, not a guarantee of the metric contract.
WARN_TESTS = {
    # AV: the 86400 s clamp is per page view; a visitor's views add up (docs/metrics.md)
    *(("value_between", model, "avg_visit_duration") for model in (
        "daily_stats", "hourly_stats", "weekly_stats", "monthly_stats", "user_type_daily_stats")),
    # a refund may exceed its deduction or come before it: net cumulatives can go below 0 and
    # the member part above the total
    *(("not_negative", model, None) for model in (
        "daily_stats", "hourly_stats", "weekly_stats", "monthly_stats", "deduction_cumulative_daily")),
    *(("column_not_greater_than", model, "history_member_deduction") for model in (
        "daily_stats", "hourly_stats", "weekly_stats", "monthly_stats", "deduction_cumulative_daily")),
    # references and raw values from the source systems (missing users, unknown event types)
    ("relationships", "stg_event_logs", "event_type"),
    *(("relationships", model, "user_id") for model in (
        "stg_real_name_auths", "stg_bank_cards", "stg_member_orders", "stg_orders", "stg_deductions")),
    ("relationships", "stg_refunds", "deduction_id"),
}


def _yml_tests():
    """(test type, model, column or None, severity) of every generic test in models/**/_*.yml."""
    for path in sorted((ROOT / "models").rglob("_*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in doc.get("models", []):
            entries = [(None, t) for t in model.get("tests", [])]
            entries += [(c["name"], t) for c in model.get("columns", []) for t in c.get("tests", [])]
            for column, test in entries:
                kind, args = next(iter(test.items())) if isinstance(test, dict) else (test, {})
                severity = ((args or {}).get("config") or {}).get("severity", "error")
                yield kind, model["name"], column, severity.lower()


def test_only_plausibility_checks_warn():
    tests = list(_yml_tests())
    assert len(tests) > 80
    warned = {(kind, model, column) for kind, model, column, severity in tests if severity == "warn"}
    assert warned == WARN_TESTS
    # the singular tests are cross-table guarantees: none lowers its severity, but the one
    # that lists raw amounts above amount_max (set aside by staging: a warning, not a failure)
    for path in (ROOT / "tests").glob("*.sql"):
        lowered = "severity" in path.read_text(encoding="utf-8").split("-#}")[-1]
        assert lowered == (path.name == "raw_amounts_within_bound.sql"), path.name


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

    # a warning (u9 is missing from `users`) is reported with dbt's message, not failed
    lines: list[str] = []
    outcome = run_dbt(
        wh.target, ["test", "--select", "stg_orders,test_name:relationships"], RANGE,
        progress=lines.append,
    )
    assert not outcome.failures
    [warning] = outcome.warnings
    assert warning.startswith("relationships_stg_orders_user_id") and ": Got 1 result" in warning
    assert f"warning: {warning}" in lines

    # one slice's pv no longer sums to the `all` row
    wh.execute(
        "update {schema}.daily_stats set pv = pv + 1 "
        "where stat_date = '2024-03-10' and channel = 'wechat' and device_type = 'mobile'"
    )
    with pytest.raises(BizstatsError, match="daily_stats_slices_add_up"):
        run_dbt(wh.target, ["test", "--select", "daily_stats_slices_add_up"], RANGE)
