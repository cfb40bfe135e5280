"""Small hand-computed fixtures. Times are UTC; local (UTC+8) day D is
[D-1 16:00:00, D 16:00:00) UTC. Expected values are worked out in the comments."""

from __future__ import annotations

import json


def view(eid, at, user=None, device=None, session=None, channel=None, dtype=None, created=None):
    return {
        "event_id": eid, "event_type": "page_view", "user_id": user, "device_id": device,
        "session_id": session, "channel": channel, "device_type": dtype, "event_time": at,
        "created_at": created or at, "page_url": "/p",
    }


def leave(eid, view_id, at, session=None):
    return {
        "event_id": eid, "event_type": "page_leave", "session_id": session, "event_time": at,
        "created_at": at, "extra_data": json.dumps({"page_view_id": view_id, "duration_ms": 0}),
    }


# Local day 2024-03-10 unless said otherwise.
TRAFFIC_EVENTS = [
    # u1, session s1, official/pc: 20 s (first leave wins over the second), 5 s (gap to the
    # next view), 1 s (no leave, no next view; ' Official '/'PC' normalise to official/pc)
    view("v1", "2024-03-09 16:00:00", user="u1", session="s1", channel="official", dtype="pc"),
    leave("l1", "v1", "2024-03-09 16:00:20", session="s1"),
    leave("l1b", "v1", "2024-03-09 16:00:50", session="s1"),
    view("v2", "2024-03-09 16:01:00", user="u1", session="s1", channel="official", dtype="pc"),
    view("v3", "2024-03-09 16:01:05", user="u1", session="s1", channel=" Official ", dtype="PC"),
    # anonymous visitor d:dv1, wechat/mobile, 23:59:59 local; its leave falls on the next day
    view("v4", "2024-03-10 15:59:59", device="dv1", session="s2", channel="wechat",
         dtype="mobile", created="2024-03-10 16:00:00"),
    leave("l4", "v4", "2024-03-10 16:00:09", session="s2"),
    # a later re-delivery of v4 with another channel: the earliest created_at (wechat) wins
    view("v4", "2024-03-10 15:59:59", device="dv1", session="s2", channel="h5",
         dtype="mobile", created="2024-03-10 16:05:00"),
    # u2, APP/tablet -> app/tablet; leave two days later: 172800 s clamps to 86400, which is
    # above the day's p99.9 and so left out of total duration (still in pv and uv)
    view("v6", "2024-03-10 02:00:00", user="u2", device="dv2", session="s6", channel="APP",
         dtype="tablet"),
    leave("l6", "v6", "2024-03-12 02:00:00", session="s6"),
    # user id 'dv1' is a different visitor from device dv1 ('d:dv1'); official/mobile, 3 s
    view("v8", "2024-03-10 03:00:00", user="dv1", session="s8", channel="official",
         dtype="mobile"),
    leave("l8", "v8", "2024-03-10 03:00:03", session="s8"),
    # two deliveries of v9: the second has the earlier created_at, so h5 (not app) wins; 7 s
    view("v9", "2024-03-10 04:00:00", user="u3", session="s9", channel="app", dtype="mobile",
         created="2024-03-10 05:00:00"),
    view("v9", "2024-03-10 04:00:00", user="u3", session="s9", channel="h5", dtype="mobile",
         created="2024-03-10 04:30:00"),
    leave("l9", "v9", "2024-03-10 04:00:07", session="s9"),
    # local 2024-03-11 00:00:00: no visitor key (pv only), unknown channel, NULL device
    view("v5", "2024-03-10 16:00:00", session="s5", channel="tiktok"),
]
# 2024-03-10 durations: v1 20, v2 5, v3 1, v4 10, v6 86400, v8 3, v9 7 (n = 7).
# quantile_cont(0.999): position 6 * 0.999 = 5.994 between sorted[5] = 20 and sorted[6] =
# 86400 -> 85881.72; v6 is above it. total = 20+5+1+10+3+7 = 46; uv = {u1, d:dv1, u2, dv1,
# u3} = 5; avg = round(46 / 5) = 9.
TRAFFIC_EXPECTED = {
    # (day, channel, device): (pv, uv, avg_visit_duration)
    ("2024-03-09", "all", "all"): (0, 0, 0),
    ("2024-03-10", "all", "all"): (7, 5, 9),
    ("2024-03-10", "official", "pc"): (3, 1, 26),
    ("2024-03-10", "official", "mobile"): (1, 1, 3),
    ("2024-03-10", "official", "all"): (4, 2, 15),  # 29 / 2 = 14.5 rounds half up
    ("2024-03-10", "wechat", "mobile"): (1, 1, 10),
    ("2024-03-10", "h5", "mobile"): (1, 1, 7),
    ("2024-03-10", "app", "mobile"): (0, 0, 0),
    ("2024-03-10", "app", "tablet"): (1, 1, 0),  # only the outlier: 0 / 1
    ("2024-03-10", "all", "mobile"): (3, 3, 7),  # 20 / 3 = 6.67
    ("2024-03-10", "all", "pc"): (3, 1, 26),
    ("2024-03-11", "all", "all"): (1, 0, 0),
    ("2024-03-11", "other", "other"): (1, 0, 0),
}

USERS = [
    {"user_id": "u1", "registered_at": "2024-03-09 17:00:00", "channel": "app",
     "device_type": "mobile"},
    {"user_id": "u2", "registered_at": "2024-03-01 00:00:00", "channel": " WeChat ",
     "device_type": "PC"},
    {"user_id": "u3", "registered_at": "2024-03-01 00:00:00", "channel": "weird",
     "device_type": None},
    # u9 is missing from users: its business metrics go to other/other
]
REAL_NAME_AUTHS = [
    {"auth_id": "a1", "user_id": "u1", "auth_method": "id_card", "status": "rejected",
     "submitted_at": "2024-03-09 10:00:00", "approved_at": None},
    {"auth_id": "a2", "user_id": "u1", "auth_method": "face", "status": "approved",
     "submitted_at": "2024-03-10 10:00:00", "approved_at": "2024-03-10 15:59:59"},
    {"auth_id": "a3", "user_id": "u1", "auth_method": "bank_card", "status": "approved",
     "submitted_at": "2024-03-11 00:00:00", "approved_at": "2024-03-11 01:00:00"},
    {"auth_id": "a4", "user_id": "u9", "auth_method": "id_card", "status": "APPROVED",
     "submitted_at": "2024-03-10 15:00:00", "approved_at": "2024-03-10 16:00:00"},
    {"auth_id": "a5", "user_id": "u2", "auth_method": "face", "status": "pending",
     "submitted_at": "2024-03-10 15:00:00", "approved_at": None},
]
BANK_CARDS = [
    {"bind_id": "b1", "user_id": "u1", "card_type": "credit", "bind_status": "failed",
     "bound_at": "2024-03-10 01:00:00"},
    {"bind_id": "b2", "user_id": "u1", "card_type": "credit", "bind_status": "success",
     "bound_at": "2024-03-10 02:00:00"},
    {"bind_id": "b3", "user_id": "u1", "card_type": "debit", "bind_status": "success",
     "bound_at": "2024-03-10 03:00:00"},
    {"bind_id": "b4", "user_id": "u2", "card_type": "debit", "bind_status": "success",
     "bound_at": "2024-03-11 02:00:00"},
]
MEMBER_ORDERS = [
    # u1 pays on 03-10 but the service starts 03-11 (local 08:00): counted on 03-11
    {"member_order_id": "m1", "user_id": "u1", "member_type": "monthly",
     "payment_method": "wechat", "amount": "30.00", "status": "paid",
     "created_at": "2024-03-10 00:59:00", "paid_at": "2024-03-10 01:00:00",
     "effective_at": "2024-03-11 00:00:00"},
    {"member_order_id": "m2", "user_id": "u1", "member_type": "monthly",
     "payment_method": "wechat", "amount": "30.00", "status": "paid",
     "created_at": "2024-03-12 01:00:00", "paid_at": "2024-03-12 01:00:00",
     "effective_at": None},
    {"member_order_id": "m3", "user_id": "u2", "member_type": "yearly",
     "payment_method": "alipay", "amount": "298.00", "status": "failed",
     "created_at": "2024-03-09 10:00:00", "paid_at": None, "effective_at": None},
    # effective_at NULL means paid_at
    {"member_order_id": "m4", "user_id": "u2", "member_type": "quarterly",
     "payment_method": "alipay", "amount": "80.00", "status": "paid",
     "created_at": "2024-03-10 10:00:00", "paid_at": "2024-03-10 10:00:00",
     "effective_at": None},
    {"member_order_id": "m5", "user_id": "u3", "member_type": "monthly",
     "payment_method": "bank_card", "amount": "30.00", "status": "cancelled",
     "created_at": "2024-03-10 10:00:00", "paid_at": None, "effective_at": None},
]
ORDERS = [
    {"order_id": "o1", "user_id": "u1", "pay_method": "credit", "status": "success",
     "amount": "100.00", "created_at": "2024-03-10 01:00:00"},
    {"order_id": "o2", "user_id": "u1", "pay_method": "credit", "status": "failed",
     "amount": "50.00", "created_at": "2024-03-10 02:00:00"},
    {"order_id": "o3", "user_id": "u2", "pay_method": "wechat", "status": "success",
     "amount": "20.00", "created_at": "2024-03-10 03:00:00"},
    {"order_id": "o4", "user_id": "u9", "pay_method": " CREDIT ", "status": "cancelled",
     "amount": "9.99", "created_at": "2024-03-10 04:00:00"},
]
DEDUCTIONS = [
    {"deduction_id": "d1", "user_id": "u1", "service_type": "member", "amount": "30.00",
     "mode": "auto", "status": "success", "deducted_at": "2024-03-10 01:00:00"},
    {"deduction_id": "d2", "user_id": "u1", "service_type": "member", "amount": "30.00",
     "mode": "auto", "status": "failed", "deducted_at": "2024-03-10 02:00:00"},
    {"deduction_id": "d3", "user_id": "u2", "service_type": "goods", "amount": "12.34",
     "mode": "manual", "status": "success", "deducted_at": "2024-03-10 03:00:00"},
    {"deduction_id": "d4", "user_id": "u9", "service_type": "member", "amount": "20.00",
     "mode": "auto", "status": "success", "deducted_at": "2024-03-10 16:00:00"},
    {"deduction_id": "d5", "user_id": "u2", "service_type": "other", "amount": "5.55",
     "mode": "auto", "status": "success", "deducted_at": "2024-03-11 01:00:00"},
    {"deduction_id": "d6", "user_id": "u1", "service_type": "member", "amount": "30.00",
     "mode": "auto", "status": "retrying", "deducted_at": "2024-03-11 02:00:00"},
]
REFUNDS = [
    {"refund_id": "r1", "deduction_id": "d1", "amount": "10.00", "status": "success",
     "refunded_at": "2024-03-11 05:00:00"},
    # refund of a failed deduction, and a failed refund: both ignored
    {"refund_id": "r2", "deduction_id": "d2", "amount": "30.00", "status": "success",
     "refunded_at": "2024-03-11 06:00:00"},
    {"refund_id": "r3", "deduction_id": "d3", "amount": "12.34", "status": "failed",
     "refunded_at": "2024-03-11 07:00:00"},
    {"refund_id": "r4", "deduction_id": "d4", "amount": "20.00", "status": "success",
     "refunded_at": "2024-03-12 01:00:00"},
]
BUSINESS = {
    "users": USERS, "real_name_auths": REAL_NAME_AUTHS, "bank_cards": BANK_CARDS,
    "member_orders": MEMBER_ORDERS, "orders": ORDERS, "deductions": DEDUCTIONS,
    "refunds": REFUNDS,
}
BUSINESS_EXPECTED = {
    # (day, channel, device): (real_name, bind_card, new_member, credit_order,
    #                          daily_member_deduction, history_member_deduction, total_deduction)
    ("2024-03-09", "all", "all"): (0, 0, 0, 0, "0.00", "0.00", "0.00"),
    ("2024-03-10", "all", "all"): (1, 1, 1, 3, "30.00", "30.00", "42.34"),
    ("2024-03-10", "app", "mobile"): (1, 1, 0, 2, "30.00", "30.00", "30.00"),
    ("2024-03-10", "wechat", "pc"): (0, 0, 1, 0, "0.00", "0.00", "12.34"),
    ("2024-03-10", "other", "other"): (0, 0, 0, 1, "0.00", "0.00", "0.00"),
    # 03-11: +20 (d4, u9 -> other/other) +5.55 (d5) -10 (r1); r2, r3 ignored
    ("2024-03-11", "all", "all"): (1, 1, 1, 0, "20.00", "40.00", "57.89"),
    ("2024-03-11", "other", "other"): (1, 0, 0, 0, "20.00", "20.00", "20.00"),
    ("2024-03-11", "app", "mobile"): (0, 0, 1, 0, "0.00", "20.00", "20.00"),
    ("2024-03-11", "wechat", "pc"): (0, 1, 0, 0, "0.00", "0.00", "17.89"),
    ("2024-03-11", "app", "all"): (0, 0, 1, 0, "0.00", "20.00", "20.00"),
    # 03-12: -20 (r4); the renewal m2 is not a new member
    ("2024-03-12", "all", "all"): (0, 0, 0, 0, "0.00", "20.00", "37.89"),
    ("2024-03-12", "other", "other"): (0, 0, 0, 0, "0.00", "0.00", "0.00"),
}
