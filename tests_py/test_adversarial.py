"""Adversarial generated data on both targets: the build WITH dbt's tests succeeds (plausibility
checks only warn) and every cell of daily_stats equals an independent reference
implementation of the metric contract (models/docs/metrics.md), written here in plain Python.

The data (seeded, deterministic; about 2,000 raw rows, local days 2024-04-28 .. 2024-05-03):
  - random visitors, sessions and page views on four days, with leaves (some before their view,
    some doubled), session gaps, equal view times, dirty channel / device spellings;
  - one visitor viewing in three tabs (sessions) at once; a session across local midnight;
  - views at the 86,400 s cap: a leave 26 h after its view, a session gap of exactly 86,400 s,
    a view whose leave is exactly 86,400 s later, a lone capped view (above the day's p99.9,
    left out of the total) and a visitor with forty capped views on one day (not outliers:
    the day's p99.9 is 86,400 itself), so avg_visit_duration is far above 86,400 that day;
  - one visitor whose five views add up to 87,043 s (AV 87,043 in its slice);
  - an empty local day (no raw row at all) and a day with business rows only;
  - duplicate deliveries (the earliest created_at wins: earlier, later, NULL, a re-delivery that
    moves the event to another day, a second load), unknown event types, business rows
    re-delivered with a new status in a second load;
  - UTC+8 edges (15:59:59 / 16:00:00 UTC) for views and business rows;
  - refunds larger than their deduction and before it, so a cumulative amount goes negative and
    history_member_deduction > total_deduction in one slice: plausible bounds, only warned.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from bizstats.dbt_runner import run_dbt

FIRST_DAY, LAST_DAY = date(2024, 4, 28), date(2024, 5, 3)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
D0, D1, EMPTY_DAY, BUSINESS_ONLY_DAY, D4, D5 = DAYS
TRAFFIC_DAYS = [D0, D1, D4, D5]
BUSINESS_DAYS = [D0, D1, BUSINESS_ONLY_DAY, D4, D5]
UTC_OFFSET = timedelta(hours=8)
FMT = "%Y-%m-%d %H:%M:%S"

# ----------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------

DIRTY_CHANNELS = ["official", " Official ", "wechat", "WeChat", "app", "APP ", "h5", " H5", "other",
                  "tiktok", "", None]
# no tablet: the crafted visitors and users own the tablet slices
DIRTY_DEVICES = ["pc", "PC", " pc ", "mobile", " Mobile", "MOBILE", "other", "phone", None]
VISITORS = (
    [(f"u{i:02d}", None) for i in range(1, 31)]
    + [(None, f"dev{i:02d}") for i in range(1, 13)]
    + [("u07", "dev01"), ("dev02", None), (" u05 ", "dev09"), ("  ", "dev-blank-user"), (None, None)]
)


def at_local(day: date, hms: str, plus_seconds: int = 0) -> str:
    """The UTC text of local time `hms` on `day` (+ seconds)."""
    local = datetime.combine(day, time.fromisoformat(hms)) + timedelta(seconds=plus_seconds)
    return (local - UTC_OFFSET).strftime(FMT)


def shift(text: str, seconds: int) -> str:
    return (datetime.strptime(text, FMT) + timedelta(seconds=seconds)).strftime(FMT)


def money(rng: random.Random) -> str:
    return f"{Decimal(rng.randint(1, 50_000)) / 100:.2f}"


class Generator:
    """Two loads of raw rows: `first` and `second` map table -> rows (CSV values)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.first: dict[str, list[dict]] = defaultdict(list)
        self.second: dict[str, list[dict]] = defaultdict(list)
        self._ids = 0

    def new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:05d}"

    # -- events ---------------------------------------------------------------------------
    def view(self, at: str, visitor=(None, None), session=None, channel=None, device=None,
             event_id=None, created: str | None = "auto", load=None) -> str:
        event_id = event_id or self.new_id("pv")
        (load if load is not None else self.first)["event_logs"].append({
            "event_id": event_id, "event_type": "page_view", "user_id": visitor[0],
            "device_id": visitor[1], "session_id": session, "channel": channel,
            "device_type": device, "event_time": at, "page_url": "/p",
            "created_at": shift(at, 2) if created == "auto" else created,
        })
        return event_id

    def leave(self, view_id: str | None, at: str, session=None, event_id=None,
              created: str | None = "auto", extra="auto", load=None) -> None:
        if extra == "auto":
            extra = json.dumps({"page_view_id": view_id, "duration_ms": 1234})
        (load if load is not None else self.first)["event_logs"].append({
            "event_id": event_id or self.new_id("pl"), "event_type": "page_leave",
            "session_id": session, "event_time": at, "extra_data": extra,
            "created_at": shift(at, 1) if created == "auto" else created,
        })

    def random_traffic(self) -> None:
        rng = self.rng
        for day in TRAFFIC_DAYS:
            for visitor in rng.sample(VISITORS, 24):
                for s in range(rng.randint(1, 3)):
                    session = f"s{day:%m%d}-{visitor[0] or visitor[1]}-{s}"
                    second = rng.randint(60, 86_400 - 4_000)  # leaves stay on the day
                    channel, device = rng.choice(DIRTY_CHANNELS), rng.choice(DIRTY_DEVICES)
                    for _ in range(rng.randint(1, 5)):
                        at = at_local(day, "00:00:00", second)
                        view_id = self.view(at, visitor, session, channel, device)
                        luck = rng.random()
                        if luck < 0.5:
                            self.leave(view_id, shift(at, rng.randint(1, 600)), session)
                        elif luck < 0.55:  # a leave before its view: duration 1
                            self.leave(view_id, shift(at, -rng.randint(1, 30)), session)
                        elif luck < 0.62:  # two leaves: the first one counts
                            self.leave(view_id, shift(at, rng.randint(300, 600)), session)
                            self.leave(view_id, shift(at, rng.randint(1, 299)), session)
                        second += rng.choice([0, rng.randint(1, 300)])  # 0: equal view times
                        if rng.random() < 0.1:  # the channel changes within the session
                            channel = rng.choice(DIRTY_CHANNELS)

    def duplicate_deliveries(self) -> None:
        rng = self.rng
        views = [e for e in self.first["event_logs"] if e["event_type"] == "page_view"]
        for original in rng.sample(views, 36):
            copy = dict(original, channel=rng.choice(DIRTY_CHANNELS),
                        device_type=rng.choice(DIRTY_DEVICES))
            kind = rng.randrange(3)
            if kind == 0:  # delivered later: ignored
                copy["created_at"] = shift(original["created_at"], 3_600)
            elif kind == 1:  # delivered earlier (stored after the original): wins
                copy["created_at"] = shift(original["created_at"], -60)
            else:  # no created_at: NULL sorts last, ignored
                copy["created_at"] = None
            self.first["event_logs"].append(copy)
        for original in rng.sample(views, 12):  # re-sent in the second load, later: ignored
            self.second["event_logs"].append(
                dict(original, channel="wechat", created_at=shift(original["created_at"], 86_400))
            )

    def crafted_traffic(self) -> None:
        # a leave 26 h after the view (clamped to 86,400) and a session gap of exactly 86,400 s:
        # two views at the cap on D0, so the day's p99.9 is 86,400 and neither is left out
        long_view = self.view(at_local(D0, "10:00:00"), ("u-long", None), "long", "wechat", "pc")
        self.leave(long_view, at_local(D1, "12:00:00"), "long")
        self.view(at_local(D0, "12:00:00"), ("u-gap", None), "gap-day", "official", "mobile")
        self.view(at_local(D1, "12:00:00"), ("u-gap", None), "gap-day", "official", "mobile")
        # a session across local midnight: 20 s for the D0 view
        self.view(at_local(D0, "23:59:50"), ("u-night", None), "night", "app", "mobile")
        self.view(at_local(D1, "00:00:10"), ("u-night", None), "night", "app", "mobile")
        # UTC+8 edges: 16:00:00 UTC opens a local day, 15:59:59 UTC closes it
        for text in ("2024-04-27 16:00:00", "2024-04-28 15:59:59", "2024-04-28 16:00:00",
                     "2024-05-02 15:59:59", "2024-05-02 16:00:00", "2024-05-03 15:59:59"):
            self.view(text, (None, "dev-edge"), None, " WECHAT", "Mobile ")
        # one visitor in three tabs at once (D1): views of the sessions interleave
        tabs = ("u-tabs", "dev-tabs")
        plan = [("tab-1", 0), ("tab-2", 30), ("tab-1", 60), ("tab-3", 70), (" tab-2 ", 120),
                ("tab-1", 125), ("tab-3", 125), ("tab-3", 125), ("tab-1", 400), ("tab-2", 401)]
        for n, (session, second) in enumerate(plan):
            channel, device = [("official", "pc"), ("wechat", "pc"), ("h5", "mobile")][n % 3]
            view_id = self.view(at_local(D1, "09:00:00", second), tabs, session, channel, device)
            if n in (3, 8):
                self.leave(view_id, at_local(D1, "09:00:00", second + 1_000), session.strip())
        # a lone capped view (gap of 3 days in its session): above D1's p99.9, left out
        self.view(at_local(D1, "08:00:00"), ("u-lone", None), "lone", "app", "tablet")
        self.view(at_local(D4, "08:00:00"), ("u-lone", None), "lone", "app", "tablet")
        # forty capped views of one visitor on D4, one session each (tabs left open);
        # the first leave is exactly 86,400 s after its view
        for k in range(40):
            at = at_local(D4, "00:30:00", 60 * k)
            view_id = self.view(at, ("u-heavy", None), f"heavy-{k}", "APP", " PC ")
            self.leave(view_id, shift(at, 86_400 + 37 * k), f"heavy-{k}")
        # five views adding up to 86,400 + 200 + 150 + 180 + 113 = 87,043 s, alone in h5/tablet
        five = ("u-five", None)
        v1 = self.view(at_local(D4, "02:00:00"), five, "five-a", " H5 ", "TABLET")
        self.leave(v1, at_local(D4, "02:00:00", 90_000), "five-a")
        v2 = self.view(at_local(D4, "03:00:00"), five, "five-b", "h5", "tablet")
        self.leave(v2, at_local(D4, "03:00:00", 200), "five-b")
        v3 = self.view(at_local(D4, "03:10:00"), five, "five-b", "h5", "tablet")
        self.leave(v3, at_local(D4, "03:10:00", 150), "five-b")
        self.view(at_local(D4, "05:00:00"), five, "five-c", "h5", "tablet")
        v5 = self.view(at_local(D4, "05:03:00"), five, "five-c", "h5", "tablet")
        self.leave(v5, at_local(D4, "05:03:00", 113), "five-c")
        # a re-delivery with an earlier created_at moves the event from D0 to D1
        self.view(at_local(D0, "13:00:00"), ("u-move", None), "move", "app", "pc",
                  event_id="dup-move", created="2024-05-03 00:00:00")
        self.view(at_local(D1, "13:00:00"), ("u-move", None), "move", "official", "pc",
                  event_id="dup-move", created="2024-04-29 06:00:00")
        # duplicate leave: the earlier-created delivery (500 s) wins over the first stored (50 s)
        dup_view = self.view(at_local(D5, "10:00:00"), ("u-dupleave", None), "dl", "app", "pc")
        self.leave(dup_view, at_local(D5, "10:00:50"), "dl", event_id="dup-leave",
                   created="2024-05-04 00:00:00")
        self.leave(dup_view, at_local(D5, "10:08:20"), "dl", event_id="dup-leave",
                   created="2024-05-03 02:08:21")
        # leaves that match nothing, events the metrics ignore, an unknown event type
        self.leave("no-such-view", at_local(D5, "11:00:00"))
        self.leave(None, at_local(D5, "11:00:01"), extra=None)
        self.leave(None, at_local(D5, "11:00:02"), extra='{"duration_ms": 5}')
        for n, day in enumerate(TRAFFIC_DAYS):
            self.first["event_logs"].append({
                "event_id": f"biz-{n}", "event_type": "order_create", "user_id": "u01",
                "order_id": f"o-ev-{n}", "amount": "12.00", "channel": "app",
                "event_time": at_local(day, "06:00:00"), "created_at": at_local(day, "06:00:01"),
            })
            self.first["event_logs"].append({
                "event_id": f"click-{n}", "event_type": "click_banner", "user_id": "u02",
                "event_time": at_local(day, "06:30:00"), "created_at": at_local(day, "06:30:01"),
            })
        # late events in the second load (the build runs after both loads)
        late = self.view(at_local(D5, "20:00:00"), ("u03", None), "late", "h5", "mobile",
                         load=self.second)
        self.leave(late, at_local(D5, "20:01:40"), "late", load=self.second)

    # -- business tables --------------------------------------------------------------------
    def business_time(self) -> str:
        rng = self.rng
        day = rng.choice(BUSINESS_DAYS)
        luck = rng.random()
        if luck < 0.08:
            return at_local(day, "00:00:00")  # 16:00:00 UTC the day before
        if luck < 0.16:
            return at_local(day, "23:59:59")  # 15:59:59 UTC
        return at_local(day, "00:00:00", rng.randint(0, 86_399))

    def random_business(self) -> None:
        rng, bt = self.rng, self.business_time
        users = [f"u{i:02d}" for i in range(1, 31)]
        for user in users[:25]:  # u26 .. u30 are missing from `users`: other/other
            self.first["users"].append({
                "user_id": user, "registered_at": bt(), "channel": rng.choice(DIRTY_CHANNELS),
                "device_type": rng.choice(DIRTY_DEVICES),
            })
        for user in users + ["u-ghost"]:
            for _ in range(rng.randint(0, 2)):
                status = rng.choice(["approved", " Approved", "APPROVED ", "rejected", "pending",
                                     "on_hold"])
                approved = bt() if "pprov" in status.lower() or rng.random() < 0.2 else None
                self.first["real_name_auths"].append({
                    "auth_id": self.new_id("a"), "user_id": user,
                    "auth_method": rng.choice(["id_card", "FACE", " bank_card", "passport", None]),
                    "status": status, "submitted_at": bt(), "approved_at": approved,
                })
            for _ in range(rng.randint(0, 2)):
                self.first["bank_cards"].append({
                    "bind_id": self.new_id("b"), "user_id": user,
                    "card_type": rng.choice(["debit", "Credit", "prepaid", None]),
                    "bind_status": rng.choice(["success", "SUCCESS ", "failed", "Failed", "odd"]),
                    "bound_at": bt(),
                })
            for _ in range(rng.randint(0, 2)):
                self.first["member_orders"].append({
                    "member_order_id": self.new_id("m"), "user_id": user,
                    "member_type": rng.choice(["monthly", "Quarterly", "yearly ", "lifetime"]),
                    "payment_method": rng.choice(["wechat", "ALIPAY", "bank_card", "cash"]),
                    "amount": money(rng),
                    "status": rng.choice(["paid", " PAID", "failed", "cancelled", "refunding"]),
                    "created_at": bt(), "paid_at": bt(),
                    "effective_at": bt() if rng.random() < 0.4 else None,
                })
            for _ in range(rng.randint(0, 3)):
                self.first["orders"].append({
                    "order_id": self.new_id("o"), "user_id": user,
                    "pay_method": rng.choice(["credit", " Credit", "CREDIT ", "wechat", "alipay",
                                              "bank_card", "huabei"]),
                    "status": rng.choice(["success", "Failed", "cancelled", "odd"]),
                    "amount": money(rng), "created_at": bt(),
                })
            for _ in range(rng.randint(0, 3)):
                deduction = {
                    "deduction_id": self.new_id("d"), "user_id": user,
                    "service_type": rng.choice(["member", "Member", " MEMBER ", "goods", "other",
                                                "insurance"]),
                    "amount": money(rng), "mode": rng.choice(["auto", "Manual", "batch"]),
                    "status": rng.choice(["success", "SUCCESS", "failed", "retrying", "odd"]),
                    "deducted_at": bt(),
                }
                self.first["deductions"].append(deduction)
                if rng.random() < 0.45:  # a partial refund, maybe before the deduction
                    part = Decimal(deduction["amount"]) * rng.randint(1, 100) / 100
                    self.first["refunds"].append({
                        "refund_id": self.new_id("r"), "deduction_id": deduction["deduction_id"],
                        "amount": f"{part:.2f}",
                        "status": rng.choice(["success", "Success ", "failed", "odd"]),
                        "refunded_at": bt(),
                    })

    def crafted_business(self) -> None:
        first, second = self.first, self.second
        # u-refund is alone in the h5/tablet business slice: a goods refund larger than its
        # deduction, member refunds larger than their deduction, a refund before its deduction
        first["users"].append({"user_id": "u-refund", "registered_at": at_local(D0, "01:00:00"),
                               "channel": " H5 ", "device_type": "Tablet"})
        rows = [
            ("d-goods", "goods", "10.00", at_local(D0, "09:00:00")),
            ("d-mem", "member", "5.00", at_local(D1, "09:00:00")),
            ("d-late", "goods", "8.00", at_local(D5, "09:00:00")),
        ]
        for deduction_id, service, amount, when in rows:
            first["deductions"].append({
                "deduction_id": deduction_id, "user_id": "u-refund", "service_type": service,
                "amount": amount, "mode": "auto", "status": "success", "deducted_at": when,
            })
        for refund_id, deduction_id, amount, when in [
            ("r-goods", "d-goods", "25.00", at_local(D1, "10:00:00")),
            ("r-mem1", "d-mem", "4.00", at_local(BUSINESS_ONLY_DAY, "10:00:00")),
            ("r-mem2", "d-mem", "3.00", at_local(D4, "10:00:00")),
            ("r-early", "d-late", "8.00", at_local(D1, "11:00:00")),
            ("r-ghost", "d-nope", "99.00", at_local(D1, "12:00:00")),  # unknown deduction
        ]:
            first["refunds"].append({"refund_id": refund_id, "deduction_id": deduction_id,
                                     "amount": amount, "status": "success", "refunded_at": when})
        # a successful member deduction without an amount
        first["deductions"].append({
            "deduction_id": "d-null", "user_id": "u01", "service_type": "member", "amount": None,
            "mode": "auto", "status": "success", "deducted_at": at_local(D1, "07:00:00"),
        })
        # first approval at the last second of D0 (15:59:59 UTC), a second one at 16:00:00
        for auth_id, when in [("a-edge1", "2024-04-28 15:59:59"), ("a-edge2", "2024-04-28 16:00:00")]:
            first["real_name_auths"].append({
                "auth_id": auth_id, "user_id": "u-edge", "auth_method": "face",
                "status": "approved", "submitted_at": when, "approved_at": when,
            })
        # second load: status changes and a channel change re-delivered under the same keys
        second["real_name_auths"].append({
            "auth_id": "a-flip", "user_id": "u-flip", "auth_method": "face", "status": "approved",
            "submitted_at": at_local(D0, "08:00:00"), "approved_at": at_local(D4, "08:00:00"),
        })
        first["real_name_auths"].append({
            "auth_id": "a-flip", "user_id": "u-flip", "auth_method": "face", "status": "pending",
            "submitted_at": at_local(D0, "08:00:00"), "approved_at": None,
        })
        first["deductions"].append({
            "deduction_id": "d-retry", "user_id": "u02", "service_type": "member",
            "amount": "30.00", "mode": "auto", "status": "retrying",
            "deducted_at": at_local(BUSINESS_ONLY_DAY, "03:00:00"),
        })
        second["deductions"].append({
            "deduction_id": "d-retry", "user_id": "u02", "service_type": "member",
            "amount": "30.00", "mode": "auto", "status": " Success",
            "deducted_at": at_local(BUSINESS_ONLY_DAY, "03:00:00"),
        })
        moved = dict(first["users"][9], channel="official", device_type="pc")
        second["users"].append(moved)
        # a credit order and a membership on the business-only day
        first["orders"].append({"order_id": "o-b1", "user_id": "u04", "pay_method": "credit",
                                "status": "success", "amount": "66.60",
                                "created_at": at_local(BUSINESS_ONLY_DAY, "23:59:59")})
        first["member_orders"].append({
            "member_order_id": "m-b1", "user_id": "u-newmember", "member_type": "monthly",
            "payment_method": "wechat", "amount": "30.00", "status": "paid",
            "created_at": at_local(D0, "05:00:00"), "paid_at": at_local(D0, "05:00:00"),
            "effective_at": at_local(BUSINESS_ONLY_DAY, "00:00:00"),
        })


def generate(seed: int = 5) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    gen = Generator(seed)
    gen.random_traffic()
    gen.duplicate_deliveries()  # of random views only: the crafted ones stay hand-checkable
    gen.crafted_traffic()
    gen.random_business()
    gen.crafted_business()
    return dict(gen.first), dict(gen.second)


# ----------------------------------------------------------------------------------------
# The reference: the metric contract (models/docs/metrics.md), read literally
# ----------------------------------------------------------------------------------------

CHANNELS = ("official", "wechat", "app", "h5", "other")
DEVICES = ("pc", "mobile", "tablet", "other")
ENUMS = {
    "auth_status": ("pending", "approved", "rejected"),
    "bind_status": ("success", "failed"),
    "member_status": ("paid", "failed", "cancelled"),
    "pay_method": ("credit", "wechat", "alipay", "bank_card"),
    "service_type": ("member", "goods", "other"),
    "deduction_status": ("success", "failed", "retrying"),
    "refund_status": ("success", "failed"),
}
CAP = 86_400
QUANTILE = Fraction(999, 1000)
CENT = Decimal("0.01")


def norm(value: str | None, allowed: tuple[str, ...]) -> str:
    """lower(trim(x)) when allowed, else other (NULL too)."""
    key = (value or "").strip(" ").lower()
    return key if key in allowed else "other"


def clean_id(value: str | None) -> str | None:
    return (value or "").strip(" ") or None


def ts(value: str | None) -> datetime | None:
    return datetime.strptime(value, FMT) if value else None


def local_day(moment: datetime) -> date:
    return (moment + UTC_OFFSET).date()


def quantile_cont(values: list[int], q: Fraction) -> Fraction:
    """Continuous quantile: linear interpolation at position (n - 1) * q of the sorted values."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def latest(loads: list[dict[str, list[dict]]], table: str, key: str) -> dict[str, dict]:
    """Business tables: the latest delivery of each key wins."""
    rows: dict[str, dict] = {}
    for load in loads:
        for row in load.get(table, []):
            rows[clean_id(row[key])] = row
    return rows


def slices_of(channel: str, device: str) -> list[tuple[str, str]]:
    return [(c, d) for c in (channel, "all") for d in (device, "all")]


def reference_daily_stats(loads: list[dict[str, list[dict]]]) -> list[dict]:
    # events: one per event_id, the earliest created_at wins (NULL last, then first stored)
    deliveries: dict[str, list] = defaultdict(list)
    order = 0
    for load in loads:
        for row in load.get("event_logs", []):
            order += 1
            created = ts(row.get("created_at"))
            deliveries[row["event_id"]].append((created is None, created or datetime.min, order, row))
    events = [min(rows, key=lambda r: r[:3])[3] for rows in deliveries.values()]
    for event in events:
        event["_type"] = event["event_type"].strip(" ").lower()
    views = [e for e in events if e["_type"] == "page_view"]

    first_leave: dict[str, datetime] = {}
    for event in events:
        if event["_type"] == "page_leave" and event.get("extra_data"):
            view_id = json.loads(event["extra_data"]).get("page_view_id")
            at = ts(event["event_time"])
            if isinstance(view_id, str) and (view_id not in first_leave or at < first_leave[view_id]):
                first_leave[view_id] = at
    by_session: dict[str, list] = defaultdict(list)
    for view in views:
        if clean_id(view.get("session_id")):
            by_session[clean_id(view["session_id"])].append((ts(view["event_time"]), view["event_id"]))
    next_view: dict[str, datetime] = {}
    for session_views in by_session.values():
        session_views.sort()
        for (_, event_id), (next_at, _) in zip(session_views, session_views[1:], strict=False):
            next_view[event_id] = next_at

    page_views = []  # (day, channel, device, visitor key, duration)
    for view in views:
        at = ts(view["event_time"])
        end = first_leave.get(view["event_id"]) or next_view.get(view["event_id"])
        duration = int((end - at).total_seconds()) if end else 1
        user, device = clean_id(view.get("user_id")), clean_id(view.get("device_id"))
        visitor = user if user else (f"d:{device}" if device else None)
        page_views.append((local_day(at), norm(view.get("channel"), CHANNELS),
                           norm(view.get("device_type"), DEVICES), visitor,
                           min(max(duration, 1), CAP)))
    thresholds = {
        day: quantile_cont([pv[4] for pv in page_views if pv[0] == day], QUANTILE)
        for day in {pv[0] for pv in page_views}
    }
    pv_count: dict = defaultdict(int)
    visitors: dict = defaultdict(set)
    total: dict = defaultdict(int)
    for day, channel, device, visitor, duration in page_views:
        for key in slices_of(channel, device):
            pv_count[(day, *key)] += 1
            if visitor is not None:
                visitors[(day, *key)].add(visitor)
            if duration <= thresholds[day]:
                total[(day, *key)] += duration

    # business: attributed to the user's acquisition slice (missing users: other/other)
    users = {
        user_id: (norm(u.get("channel"), CHANNELS), norm(u.get("device_type"), DEVICES))
        for user_id, u in latest(loads, "users", "user_id").items()
    }

    def slice_of(user_id: str | None) -> tuple[str, str]:
        return users.get(clean_id(user_id), ("other", "other"))

    counts: dict = defaultdict(int)

    def first_times(table, key, status_col, status_enum, wanted, time_of, metric):
        firsts: dict[str, datetime] = {}
        for row in latest(loads, table, key).values():
            user, at = clean_id(row.get("user_id")), time_of(row)
            if user and at and norm(row.get(status_col), ENUMS[status_enum]) == wanted:
                firsts[user] = min(at, firsts.get(user, at))
        for user, at in firsts.items():
            for key_ in slices_of(*slice_of(user)):
                counts[(local_day(at), *key_, metric)] += 1

    first_times("real_name_auths", "auth_id", "status", "auth_status", "approved",
                lambda r: ts(r.get("approved_at")), "real_name_count")
    first_times("bank_cards", "bind_id", "bind_status", "bind_status", "success",
                lambda r: ts(r.get("bound_at")), "bind_card_count")
    first_times("member_orders", "member_order_id", "status", "member_status", "paid",
                lambda r: ts(r.get("effective_at")) or ts(r.get("paid_at")), "new_member_count")
    for order in latest(loads, "orders", "order_id").values():
        if norm(order.get("pay_method"), ENUMS["pay_method"]) == "credit" and order.get("created_at"):
            for key in slices_of(*slice_of(order.get("user_id"))):
                counts[(local_day(ts(order["created_at"])), *key, "credit_order_count")] += 1

    deductions = latest(loads, "deductions", "deduction_id")
    gross: dict = defaultdict(Decimal)
    movements = []  # (day, service_type, slice, signed amount)
    for deduction in deductions.values():
        if norm(deduction.get("status"), ENUMS["deduction_status"]) != "success":
            continue
        if not deduction.get("deducted_at") or deduction.get("amount") is None:
            continue
        service = norm(deduction.get("service_type"), ENUMS["service_type"])
        day, amount = local_day(ts(deduction["deducted_at"])), Decimal(deduction["amount"])
        if service == "member":
            for key in slices_of(*slice_of(deduction.get("user_id"))):
                gross[(day, *key)] += amount
        movements.append((day, service, slice_of(deduction.get("user_id")), amount))
    for refund in latest(loads, "refunds", "refund_id").values():
        deduction = deductions.get(clean_id(refund.get("deduction_id")))
        if (
            deduction is None
            or norm(refund.get("status"), ENUMS["refund_status"]) != "success"
            or norm(deduction.get("status"), ENUMS["deduction_status"]) != "success"
            or not refund.get("refunded_at")
            or refund.get("amount") is None
        ):
            continue
        movements.append((local_day(ts(refund["refunded_at"])),
                          norm(deduction.get("service_type"), ENUMS["service_type"]),
                          slice_of(deduction.get("user_id")), -Decimal(refund["amount"])))

    expected = []
    for day in DAYS:
        for channel in (*CHANNELS, "all"):
            for device in (*DEVICES, "all"):
                key = (day, channel, device)
                uv = len(visitors[key])
                history = total_net = Decimal(0)
                for moved_on, service, user_slice, amount in movements:
                    if moved_on <= day and (channel, device) in slices_of(*user_slice):
                        total_net += amount
                        if service == "member":
                            history += amount
                expected.append({
                    "stat_date": day.isoformat(), "channel": channel, "device_type": device,
                    "pv": pv_count[key], "uv": uv,
                    "avg_visit_duration": (2 * total[key] + uv) // (2 * uv) if uv else 0,
                    **{m: counts[(*key, m)] for m in ("real_name_count", "bind_card_count",
                                                      "new_member_count", "credit_order_count")},
                    "daily_member_deduction": gross[key].quantize(CENT),
                    "history_member_deduction": history.quantize(CENT),
                    "total_deduction": total_net.quantize(CENT),
                })
    return expected


# ----------------------------------------------------------------------------------------
# The test
# ----------------------------------------------------------------------------------------

def _published(wh) -> list[dict]:
    rows = wh.daily_table(FIRST_DAY.isoformat(), LAST_DAY.isoformat())
    out = []
    for row in rows:
        row = dict(row, stat_date=str(row["stat_date"]))
        for col in ("pv", "uv", "avg_visit_duration", "real_name_count", "bind_card_count",
                    "new_member_count", "credit_order_count"):
            row[col] = int(row[col])
        for col in ("daily_member_deduction", "history_member_deduction", "total_deduction"):
            row[col] = Decimal(row[col]).quantize(CENT)
        out.append(row)
    return out


def test_reference_quantile_and_rounding():
    """The reference's own arithmetic, by hand: quantile_cont interpolates; AV rounds half up."""
    assert quantile_cont([1, 5, 20, 86_400], QUANTILE) == 20 + Fraction(997, 1000) * 86_380
    assert quantile_cont([86_400, 86_400, 3], QUANTILE) == 86_400
    assert quantile_cont([7], QUANTILE) == 7
    first, second = generate()
    assert generate() == (first, second)  # deterministic
    rows = {(r["stat_date"], r["channel"], r["device_type"]): r
            for r in reference_daily_stats([first, second])}
    # the hand-checked anchor: u-five alone in h5/tablet on D4
    five = rows[D4.isoformat(), "h5", "tablet"]
    assert (five["pv"], five["uv"], five["avg_visit_duration"]) == (5, 1, 87_043)
    n_rows = sum(len(v) for load in (first, second) for v in load.values())
    assert 1_000 < n_rows < 4_000, n_rows


def test_adversarial_data_builds_with_tests_and_exact_numbers(wh):
    first, second = generate()
    wh.load(**first)
    wh.load(**second)
    result = wh.build(start=FIRST_DAY.isoformat(), end=LAST_DAY.isoformat(), with_tests=True)

    # the build ran dbt's tests and none failed; the plausibility checks warned
    statuses = result.statuses
    assert not [n for n, s in statuses.items() if s in ("error", "fail", "runtime error")]
    warned = {name for name, status in statuses.items() if status == "warn"}
    for prefix in (
        # the registry's warn_above: AV > 86,400 (several tabs), history > total (refund >
        # deduction), by day and by hour
        "daily_stats_metrics_plausible",
        "hourly_stats_metrics_plausible",
        "daily_stats_cumulative_not_negative",
        "relationships_stg_event_logs_event_type",  # click_banner
    ):
        assert any(name.startswith(prefix) for name in warned), (prefix, sorted(warned))
    for name in ("daily_stats_all_row_matches_contract", "daily_stats_slices_add_up",
                 "daily_stats_metric_definitions_hold", "daily_stats_match_hourly_stats",
                 "weekly_stats_match_daily_stats", "monthly_stats_match_daily_stats",
                 "cumulative_daily_is_running_sum", "marts_cover_build_range"):
        assert statuses.get(name) == "pass", (name, statuses.get(name))
    if hasattr(result, "warnings"):  # BuildResult surfaces DbtOutcome.warnings
        assert any("metrics_plausible" in w for w in result.warnings), result.warnings

    # every cell of every row of the range, against the reference
    expected = reference_daily_stats([first, second])
    published = _published(wh)
    assert len(published) == len(DAYS) * 30
    key = lambda r: (r["stat_date"], r["channel"], r["device_type"])  # noqa: E731
    published_by_key = {key(r): r for r in published}
    mismatches = [
        (key(row), col, published_by_key.get(key(row), {}).get(col), value)
        for row in expected
        for col, value in row.items()
        if published_by_key.get(key(row), {}).get(col) != value
    ]
    assert not mismatches, mismatches[:20]

    # the point of the test: AV above 86,400 is a legitimate published number
    over = [r for r in published if r["avg_visit_duration"] > 86_400]
    assert over and any(key(r) == (D4.isoformat(), "all", "all") for r in over), over
    five = published_by_key[D4.isoformat(), "h5", "tablet"]
    assert (five["pv"], five["uv"], five["avg_visit_duration"]) == (5, 1, 87_043)
    empty = [r for r in published if r["stat_date"] == EMPTY_DAY.isoformat()]
    assert all(r["pv"] == 0 and r["daily_member_deduction"] == 0 for r in empty)
    business_only = published_by_key[BUSINESS_ONLY_DAY.isoformat(), "all", "all"]
    assert business_only["pv"] == 0 and business_only["credit_order_count"] > 0

    # run_dbt reports the warning (dbt's message) and sends it through `progress`
    lines: list[str] = []
    outcome = run_dbt(
        wh.target,
        ["test", "--select", "daily_stats,test_name:metrics_plausible"],
        {"start_date": FIRST_DAY.isoformat(), "end_date": LAST_DAY.isoformat()},
        progress=lines.append,
    )
    assert [w for w in outcome.warnings if w.startswith("daily_stats_metrics_plausible")]
    assert all(": Got " in w for w in outcome.warnings), outcome.warnings
    assert any(line.startswith("warning: daily_stats_metrics_plausible") for line in lines)
    assert not outcome.failures
