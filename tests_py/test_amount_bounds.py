"""Amounts whose sums overflow never fail a build (issue 15, point 6): the contract takes
amounts up to the dbt var amount_max (9,999,999,999.99), whose sums fit DECIMAL(18,2), and a
larger raw amount inserted by hand is set aside by staging and flagged by a warn test, on
both targets."""

from __future__ import annotations

from decimal import Decimal

from bizstats.validate import AMOUNT_MAX
from tests_py.support.raw_files import raw_table

DAY = "2024-03-10"  # local; 02:00 UTC is 10:00 local
MAX = "9999999999.99"


def _deduction(key: str, amount: str) -> dict:
    return {"deduction_id": key, "user_id": "u1", "service_type": "member", "amount": amount,
            "mode": "auto", "status": "success", "deducted_at": f"{DAY} 02:00:00"}  # fmt: skip


def _credit_order(key: str, amount: str) -> dict:
    return {"order_id": key, "user_id": "u1", "pay_method": "credit", "status": "success",
            "amount": amount, "created_at": f"{DAY} 03:00:00"}  # fmt: skip


def test_sums_of_the_largest_amounts_build(wh) -> None:
    assert Decimal(MAX) == AMOUNT_MAX
    wh.load(
        users=[{"user_id": "u1", "registered_at": "2024-03-01 00:00:00", "channel": "app"}],
        deductions=[_deduction("d1", MAX), _deduction("d2", MAX), _deduction("d3", "5.00")],
        orders=[_credit_order("o1", MAX), _credit_order("o2", MAX)],
    )

    wh.build(start=DAY, end=DAY, with_tests=True)

    row = wh.daily(DAY)
    assert (row["credit_order_count"], row["daily_member_deduction"], row["total_deduction"]) == (
        2, Decimal("20000000004.98"), Decimal("20000000004.98")
    )  # fmt: skip


def test_a_huge_raw_amount_inserted_by_hand_is_set_aside_not_a_failed_build(wh) -> None:
    """The issue's case: a deduction of 9999999999999999.99 (the raw column's largest value)
    plus one of 5.00 made every later build fail casting 10000000000000004.99."""
    wh.load(deductions=[_deduction("d1", "5.00")])
    wh.build(start=DAY, end=DAY)
    raw = raw_table(wh.target, "deductions")
    columns = "deduction_id, user_id, service_type, amount, mode, status, deducted_at, _loaded_at"
    wh.execute(
        f"insert into {raw} ({columns}) values ('huge', 'u1', 'member', 9999999999999999.99, 'auto', "
        f"'success', '{DAY} 04:00:00', '2024-03-11 00:00:00')"
    )

    result = wh.build(start=DAY, end=DAY, with_tests=True)

    row = wh.daily(DAY)
    assert (row["daily_member_deduction"], row["total_deduction"]) == (Decimal("5.00"), Decimal("5.00"))
    flagged = [w for w in result.warnings if w.startswith("raw_amounts_within_bound")]
    assert len(flagged) == 1, result.warnings
    assert "Got 1 result" in flagged[0]
