"""daily_stats numbers against hand-computed fixtures (tests_py/support/sample_data.py), on both
targets. Each rule of the metric contract (models/docs/metrics.md) and the traps: UTC+8 day
boundaries, duplicate events, unknown enum values, outliers, refunds, users missing from
`users`, empty days."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests_py.support.sample_data import BUSINESS, BUSINESS_EXPECTED, TRAFFIC_EVENTS, TRAFFIC_EXPECTED, view


@pytest.fixture
def built(wh):
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    result = wh.build(start="2024-03-09", end="2024-03-12")
    assert (str(result.start), str(result.end)) == ("2024-03-09", "2024-03-12")
    return wh


def test_traffic_metrics(built):
    for (day, channel, device), (pv, uv, avg) in TRAFFIC_EXPECTED.items():
        row = built.daily(day, channel, device)
        got = (row["pv"], row["uv"], row["avg_visit_duration"])
        assert got == (pv, uv, avg), (day, channel, device)


def test_business_metrics(built):
    for key, expected in BUSINESS_EXPECTED.items():
        row = built.daily(*key)
        got = (
            row["real_name_count"],
            row["bind_card_count"],
            row["new_member_count"],
            row["credit_order_count"],
            row["daily_member_deduction"],
            row["history_member_deduction"],
            row["total_deduction"],
        )
        assert got == (*expected[:4], *(Decimal(x) for x in expected[4:])), key


def test_dense_grid_of_30_rows_a_day(built):
    rows = built.daily_table("2024-03-09", "2024-03-12")
    assert len(rows) == 4 * 30
    slices = {(r["channel"], r["device_type"]) for r in rows}
    channels = {"official", "wechat", "app", "h5", "other", "all"}
    devices = {"pc", "mobile", "tablet", "other", "all"}
    assert slices == {(c, d) for c in channels for d in devices}
    empty_day = [r for r in rows if str(r["stat_date"]) == "2024-03-09"]
    assert all(r["pv"] == 0 and r["total_deduction"] == 0 for r in empty_day)


def test_rerun_changes_nothing(built):
    before = built.query(
        "select * from {schema}.daily_stats order by stat_date, channel, device_type"
    )
    built.build(start="2024-03-09", end="2024-03-12")
    after = built.query(
        "select * from {schema}.daily_stats order by stat_date, channel, device_type"
    )
    assert after == before  # timestamps included: unchanged rows keep created_at/updated_at


def test_other_grains_add_up(built):
    q = built.query
    # hourly pv sums to the day; local hour 0 of 03-10 holds v1, v2, v3
    assert q(
        "select sum(pv) from {schema}.hourly_stats where stat_date = '2024-03-10' "
        "and channel = 'all' and device_type = 'all'"
    ) == [(7,)]
    assert q(
        "select pv, uv from {schema}.hourly_stats where stat_date = '2024-03-10' "
        "and stat_hour = 0 and channel = 'all' and device_type = 'all'"
    ) == [(3, 1)]
    # cumulative at the end of local hour 12 of 03-11: 42.34 + 20 (d4, hour 0) + 5.55
    # (d5, hour 9) - 10 (r1, hour 13 -> not yet)
    assert q(
        "select total_deduction from {schema}.hourly_stats where stat_date = '2024-03-11' "
        "and stat_hour = 12 and channel = 'all' and device_type = 'all'"
    ) == [(Decimal("67.89"),)]
    # ISO week of 2024-03-04 (Mon) .. 03-10 (Sun); 03-11 starts the next week
    assert q(
        "select pv, uv, real_name_count, total_deduction, days_covered from {schema}.weekly_stats "
        "where week_start = '2024-03-04' and channel = 'all' and device_type = 'all'"
    ) == [(7, 5, 1, Decimal("42.34"), 7)]
    assert q(
        "select pv, real_name_count, new_member_count, history_member_deduction "
        "from {schema}.monthly_stats where month_start = '2024-03-01' "
        "and channel = 'all' and device_type = 'all'"
    ) == [(8, 2, 2, Decimal("20.00"))]


def test_breakdowns_and_user_types(built):
    q = built.query
    rows = q(
        "select dimension, dimension_value, item_count, amount from {schema}.daily_breakdowns "
        "where stat_date = '2024-03-10' and channel = 'all' and device_type = 'all' "
        "and item_count > 0 order by dimension, dimension_value"
    )
    assert rows == [
        ("auth_method", "face", 1, Decimal("0.00")),
        ("card_type", "credit", 1, Decimal("0.00")),
        ("credit_order_status", "cancelled", 1, Decimal("9.99")),
        ("credit_order_status", "failed", 1, Decimal("50.00")),
        ("credit_order_status", "success", 1, Decimal("100.00")),
        ("member_deduction_mode", "auto", 2, Decimal("60.00")),
        ("member_deduction_status", "failed", 1, Decimal("30.00")),
        ("member_deduction_status", "success", 1, Decimal("30.00")),
        ("member_payment_method", "alipay", 1, Decimal("80.00")),
        ("member_type", "quarterly", 1, Decimal("80.00")),
    ]
    # u1 registered on local 03-10 (new); u2 earlier (old). All of 03-10's visitors are new:
    # each one's first-ever page view is that day.
    assert q(
        "select user_type, pv, uv, real_name_count, new_member_count, credit_order_count "
        "from {schema}.user_type_daily_stats where stat_date = '2024-03-10' order by user_type"
    ) == [("new", 7, 5, 1, 0, 2), ("old", 0, 0, 0, 1, 1)]


def test_ids_are_case_and_space_exact_on_every_target(wh):
    # 'U1' and 'u1' are two visitors (MySQL's default collation would merge them);
    # ' u2 ' is trimmed to 'u2' in staging, the same visitor as 'u2'
    wh.load(event_logs=[
        view("c1", "2024-03-10 01:00:00", user="U1", channel="app", dtype="pc"),
        view("c2", "2024-03-10 01:00:01", user="u1", channel="app", dtype="pc"),
        view("c3", "2024-03-10 01:00:02", user=" u2 ", channel="app", dtype="pc"),
        view("c4", "2024-03-10 01:00:03", user="u2", channel="app", dtype="pc"),
    ])
    wh.build(start="2024-03-10", end="2024-03-10")
    row = wh.daily("2024-03-10", "app", "pc")
    assert (row["pv"], row["uv"]) == (4, 3)
