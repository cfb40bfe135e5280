"""dbt's own tests (yml generic tests and tests/*.sql) run on a real build of the fixture,
pass on both targets, and catch a number that no longer adds up. Plausibility checks have
severity `warn` and are reported (DbtOutcome.warnings, "warning:" progress lines) without
failing the build; everything else is `error` (tests_py/test_adversarial.py builds data that
trips every plausibility check)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from bizstats.registry import load_registry
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS

RANGE = {"start_date": "2024-03-09", "end_date": "2024-03-12"}
ROOT = Path(__file__).resolve().parents[1]

# The `warn` tests, each a plausibility check, not a guarantee of the metric contract.
WARN_TESTS = {
    # a reversal (refund) may exceed what it reverses or come before it: running totals net of
    # reversals (the cumulative metrics) can go below 0
    *(
        ("not_negative", model, None)
        for model in ("daily_stats", "hourly_stats", "weekly_stats", "monthly_stats", "cumulative_daily")
    ),
    # the registry's warn_above: implausible, not impossible (a tab left open for days, refunds
    # of other services above them)
    ("metrics_plausible", "daily_stats", None),
    ("metrics_plausible", "hourly_stats", None),
    # references and raw values from the source systems (missing users, unknown event types)
    ("relationships", "stg_event_logs", "event_type"),
    *(
        ("relationships", model, "user_id")
        for model in (
            "stg_real_name_auths",
            "stg_bank_cards",
            "stg_member_orders",
            "stg_orders",
            "stg_deductions",
        )
    ),
    ("relationships", "stg_refunds", "deduction_id"),
}
# Where the tests of the marts live: they read the metric registry, never a list of names.
TEST_SOURCES = [
    *sorted((ROOT / "tests").glob("*.sql")),
    *sorted((ROOT / "macros" / "generic_tests").glob("*.sql")),
    *sorted((ROOT / "models" / "monitoring").glob("*.sql")),
    ROOT / "models" / "marts" / "_marts.yml",
]


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
    assert len(tests) > 70
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
        "daily_stats_match_hourly_stats",
        "weekly_stats_match_daily_stats",
        "monthly_stats_match_daily_stats",
        "user_type_daily_stats_match_daily_stats",
        "daily_breakdowns_match_daily_stats",
        "cumulative_daily_is_running_sum",
        "daily_stats_all_row_matches_contract",
        *(
            f"{mart}_metric_definitions_hold"
            for mart in (
                "daily_stats",
                "hourly_stats",
                "weekly_stats",
                "monthly_stats",
                "user_type_daily_stats",
            )
        ),
    ):
        assert tests.get(name) == "pass", name

    # a warning (u9 is missing from `users`) is reported with dbt's message, not failed
    lines: list[str] = []
    outcome = run_dbt(
        wh.target,
        ["test", "--select", "stg_orders,test_name:relationships"],
        RANGE,
        progress=lines.append,
    )
    assert not outcome.failures
    [warning] = outcome.warnings
    assert warning.startswith("relationships_stg_orders_user_id") and ": Got 1 result" in warning
    assert f"warning: {warning}" in lines

    # one slice's pv no longer sums to the `all` row, nor its hours to the day
    wh.execute(
        "update {schema}.daily_stats set pv = pv + 1 "
        "where stat_date = '2024-03-10' and channel = 'wechat' and device_type = 'mobile'"
    )
    # (the slice's channel row and device row each miss the view)
    for test, failing in (("daily_stats_slices_add_up", 2), ("daily_stats_match_hourly_stats", 1)):
        with pytest.raises(BizstatsError, match=rf"{test}: Got {failing} result"):
            run_dbt(wh.target, ["test", "--select", test], RANGE)
    # a day's uv above its pv (a distinct count above the rows it counts), and the cumulative
    # amount of a day no longer the day before plus its movement
    wh.execute(
        "update {schema}.daily_stats set uv = pv + 1 "
        "where stat_date = '2024-03-11' and channel = 'all' and device_type = 'all'"
    )
    with pytest.raises(BizstatsError, match=r"daily_stats_metric_definitions_hold: Got 1 result"):
        run_dbt(wh.target, ["test", "--select", "daily_stats_metric_definitions_hold"], RANGE)
    wh.execute(
        "update {schema}.cumulative_daily set total_deduction_movement = total_deduction_movement + 1 "
        "where stat_date = '2024-03-12' and channel = 'all' and device_type = 'all'"
    )
    with pytest.raises(BizstatsError, match=r"cumulative_daily_is_running_sum: Got 1 result"):
        run_dbt(wh.target, ["test", "--select", "cumulative_daily_is_running_sum"], RANGE)


def _code(path: Path) -> str:
    """A test source without its comments (Jinja {# #}, SQL --, YAML #) nor yml descriptions."""
    text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
    if path.suffix == ".yml":
        doc = yaml.safe_load(text)
        for model in doc["models"]:
            model.pop("description", None)
            for column in model.get("columns", []):
                column.pop("description", None)
        return yaml.safe_dump(doc)
    return re.sub(r"--[^\n]*", "", text)


def test_no_test_names_a_metric():
    # every metric of the registry is tested by what it is (its kind, source, filter), so the
    # tests of a metric added to dbt_project.yml come with it: no test lists metric names
    names = {m.name for m in load_registry(ROOT).metrics}
    assert "pv" in names and len(names) == 11
    for path in TEST_SOURCES:
        words = set(re.findall(r"[a-z_][a-z0-9_]*", _code(path)))
        assert not words & names, (path.name, sorted(words & names))
