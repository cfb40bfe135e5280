"""The demo-data generator: reproducible, contract-shaped, realistic, and dirty on purpose."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bizstats.contract import TABLES, RawTable
from bizstats.demo import generator
from bizstats.demo.generator import DemoConfig, generate
from bizstats.project_vars import project_vars

END = date(2024, 3, 10)  # a Sunday
CONFIG = DemoConfig(days=14, events_per_day=3000, end_date=END, seed=7)
FIRST = END - timedelta(days=CONFIG.days - 1)
LONG_RUN = DemoConfig(days=42, events_per_day=2500, end_date=END, seed=7, dirty=False)
DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
MONEY = re.compile(r"-?\d+\.\d\d")
CHANNELS = {"official", "wechat", "app", "h5", "other"}
DEVICES = {"pc", "mobile", "tablet", "other"}
ENUMS = {
    ("event_logs", "event_type"): {
        "page_view", "page_leave", "user_register", "user_login", "real_name_auth",
        "bind_card", "member_purchase", "order_create", "payment_success", "deduction_success",
    },
    ("event_logs", "channel"): CHANNELS,
    ("event_logs", "device_type"): DEVICES,
    ("users", "channel"): CHANNELS,
    ("users", "device_type"): DEVICES,
    ("real_name_auths", "auth_method"): {"id_card", "face", "bank_card"},
    ("real_name_auths", "status"): {"pending", "approved", "rejected"},
    ("bank_cards", "card_type"): {"debit", "credit"},
    ("bank_cards", "bind_status"): {"success", "failed"},
    ("member_orders", "member_type"): {"monthly", "quarterly", "yearly"},
    ("member_orders", "payment_method"): {"wechat", "alipay", "bank_card"},
    ("member_orders", "status"): {"paid", "failed", "cancelled"},
    ("orders", "pay_method"): {"credit", "wechat", "alipay", "bank_card"},
    ("orders", "status"): {"success", "failed", "cancelled"},
    ("deductions", "service_type"): {"member", "goods", "other"},
    ("deductions", "mode"): {"auto", "manual"},
    ("deductions", "status"): {"success", "failed", "retrying"},
    ("refunds", "status"): {"success", "failed"},
}  # fmt: skip

Rows = dict[str, list[dict[str, str]]]


def read(out: Path, names: Iterable[str] = TABLES) -> Rows:
    """The tables' rows as dicts (empty string = NULL)."""
    tables: Rows = {}
    for name in names:
        with (out / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            tables[name] = list(csv.DictReader(handle))
    return tables


def problems(table: RawTable, row: dict[str, str]) -> list[str]:
    """Why `row` does not parse with the contract types (empty when it does)."""
    found = []
    for column in table.columns:
        value = row[column.name]
        if value == "":
            if not column.nullable:
                found.append(f"{column.name} is NULL")
            continue
        if column.length is not None and len(value) > column.length:
            found.append(f"{column.name} longer than {column.length}")
        if column.kind == "datetime":
            try:
                valid = DATETIME.fullmatch(value) and datetime.fromisoformat(value)
            except ValueError:
                valid = False
            if not valid:
                found.append(f"{column.name} not a datetime: {value!r}")
        elif column.kind == "decimal" and not MONEY.fullmatch(value):
            found.append(f"{column.name} not DECIMAL(18,2): {value!r}")
        elif column.kind == "json":
            try:
                json.loads(value)
            except ValueError:
                found.append(f"{column.name} not JSON: {value!r}")
    return found


def utc(text: str) -> datetime:
    """A stored UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str) -> datetime:
    """A stored UTC datetime in the statistics time zone (dbt var, UTC+8 by default)."""
    return utc(text) + timedelta(hours=project_vars().utc_offset_hours)


def rows_of(out: Path) -> Counter[tuple[str, str]]:
    """Every data row of every file, as (table, raw line), with multiplicity."""
    found: Counter[tuple[str, str]] = Counter()
    for name in TABLES:
        lines = (out / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        found.update((name, line) for line in lines[1:])
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, int]]]:
    """The same config generated clean and dirty: folder and reported row counts."""
    clean = tmp_path_factory.mktemp("clean")
    dirty = tmp_path_factory.mktemp("dirty")
    return {
        "clean": (clean, generate(replace(CONFIG, dirty=False), clean)),
        "dirty": (dirty, generate(CONFIG, dirty)),
    }


@pytest.fixture(scope="module")
def outputs(generated: dict[str, tuple[Path, dict[str, int]]]) -> dict[str, Path]:
    return {kind: folder for kind, (folder, _) in generated.items()}


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Counter[int], Rows]:
    """A longer window (trend, renewals): page views per week and the business tables."""
    folder = tmp_path_factory.mktemp("long")
    generate(LONG_RUN, folder)
    start = END - timedelta(days=LONG_RUN.days - 1)
    weeks: Counter[int] = Counter()
    with (folder / "event_logs.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        kind, time = header.index("event_type"), header.index("event_time")
        for row in reader:
            if row[kind] == "page_view":
                weeks[(local(row[time]).date() - start).days // 7] += 1
    return weeks, read(folder, [name for name in TABLES if name != "event_logs"])


@pytest.fixture(scope="module")
def clean(outputs: dict[str, Path]) -> Rows:
    return read(outputs["clean"])


@pytest.fixture(scope="module")
def dirty(outputs: dict[str, Path]) -> Rows:
    return read(outputs["dirty"])


# -- reproducibility and format ----------------------------------------------------------------


def test_same_config_gives_byte_identical_files(tmp_path: Path) -> None:
    config = DemoConfig(days=3, events_per_day=800, end_date=END, seed=11)
    first, second = tmp_path / "a", tmp_path / "b"
    assert generate(config, first) == generate(config, second)
    for name in TABLES:
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes()


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    config = DemoConfig(days=3, events_per_day=800, end_date=END, seed=11)
    generate(config, tmp_path / "a")
    generate(DemoConfig(days=3, events_per_day=800, end_date=END, seed=12), tmp_path / "b")
    for name in ("event_logs", "users"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() != (
            tmp_path / "b" / f"{name}.csv"
        ).read_bytes()


@pytest.mark.parametrize("kind", ["clean", "dirty"])
def test_files_have_the_contract_header_and_reported_counts(
    generated: dict[str, tuple[Path, dict[str, int]]], kind: str
) -> None:
    folder, counts = generated[kind]
    assert list(counts) == list(TABLES)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.csv" for n in TABLES)
    for name, table in TABLES.items():
        with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            lines = list(csv.reader(handle))
        assert tuple(lines[0]) == table.column_names
        assert counts[name] == len(lines) - 1 > 0, name


def test_progress_is_reported_once_per_day(tmp_path: Path) -> None:
    messages: list[str] = []
    generate(DemoConfig(days=4, events_per_day=300, end_date=END), tmp_path, messages.append)
    assert [m.split(":")[0] for m in messages] == [
        (END - timedelta(days=3 - i)).isoformat() for i in range(4)
    ]


def test_config_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days"):
        generate(DemoConfig(days=0), tmp_path)
    with pytest.raises(ValueError, match="events_per_day"):
        generate(DemoConfig(events_per_day=-1), tmp_path)


def test_default_window_ends_yesterday_in_the_statistics_time_zone() -> None:
    offset = timedelta(hours=project_vars().utc_offset_hours)
    today = (datetime.now(UTC) + offset).date()
    first, last = DemoConfig(days=30).window()
    assert last == today - timedelta(days=1)
    assert first == last - timedelta(days=29)


def test_local_days_follow_the_dbt_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generator has no time zone of its own: with the var at 0, local days are UTC days."""
    utc = dataclasses.replace(project_vars(), utc_offset_hours=0)
    monkeypatch.setattr(generator, "project_vars", lambda: utc)
    generate(DemoConfig(days=2, events_per_day=800, end_date=END, seed=3, dirty=False), tmp_path)
    registered = [row["registered_at"] for row in read(tmp_path, ["users"])["users"]]
    assert registered
    first_utc_midnight, last_utc_second = f"{END - timedelta(days=1)} 00:00:00", f"{END} 23:59:59"
    assert all(first_utc_midnight <= at <= last_utc_second for at in registered)
    assert min(registered) < f"{END - timedelta(days=1)} 08:00:00"  # UTC+8 would start at 16:00


def test_clean_rows_parse_with_the_contract_types_and_enums(clean: Rows) -> None:
    for name, table in TABLES.items():
        for row in clean[name]:
            assert problems(table, row) == [], (name, row)
            for (enum_table, column), allowed in ENUMS.items():
                if enum_table == name:
                    assert row[column] in allowed, (name, column, row)


def test_money_has_two_decimals_and_prices_are_fixed(clean: Rows) -> None:
    prices = {"monthly": "30.00", "quarterly": "80.00", "yearly": "298.00"}
    assert {(r["member_type"], r["amount"]) for r in clean["member_orders"]} <= set(prices.items())
    amounts = [r["amount"] for r in clean["deductions"] if r["service_type"] != "member"]
    assert any(not a.endswith(".00") for a in amounts)  # goods and fees have cents


# -- realism -----------------------------------------------------------------------------------


def test_local_dates_fall_in_the_window(clean: Rows) -> None:
    for name, table in TABLES.items():
        for row in clean[name]:
            for column in table.columns:
                late = column.name == "created_at" and name == "event_logs"
                if column.kind != "datetime" or not row[column.name] or late:
                    continue
                if name == "event_logs" and row["event_type"] == "page_leave":
                    continue  # a page left after midnight of the last day
                assert FIRST <= local(row[column.name]).date() <= END, (name, column.name, row)


def test_events_are_stored_after_they_happen(clean: Rows) -> None:
    events = clean["event_logs"]
    assert all(e["created_at"] >= e["event_time"] for e in events)  # same fixed-width format
    assert len({e["event_id"] for e in events}) == len(events)
    assert all(re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", e["event_id"])
               for e in events)  # fmt: skip
    # apps that were offline upload late, but nothing is stored after the data was taken (a
    # minute after the window): the loader, whose window ends a day after the load, takes
    # the same rows at any hour
    taken = datetime.combine(END + timedelta(days=1), datetime.min.time()) - timedelta(
        hours=project_vars().utc_offset_hours, seconds=1 - 60
    )
    stored = [datetime.fromisoformat(e["created_at"]) for e in events]
    assert max(stored) <= taken, max(stored)
    late = [e for e, at in zip(events, stored, strict=True)
            if at - datetime.fromisoformat(e["event_time"]) > timedelta(minutes=10)]
    assert len(late) > 20


def test_events_per_day_are_about_the_configured_number(clean: Rows) -> None:
    per_day = len(clean["event_logs"]) / CONFIG.days
    assert 0.9 * CONFIG.events_per_day < per_day < 1.1 * CONFIG.events_per_day


def test_page_leaves_reference_their_page_views(clean: Rows) -> None:
    views = {e["event_id"]: e for e in clean["event_logs"] if e["event_type"] == "page_view"}
    leaves = [e for e in clean["event_logs"] if e["event_type"] == "page_leave"]
    assert 0.75 * len(views) < len(leaves) < len(views)  # most views, not all
    for leave in leaves:
        extra = json.loads(leave["extra_data"])
        assert set(extra) == {"page_view_id", "duration_ms"}
        view = views[extra["page_view_id"]]
        assert view["session_id"] == leave["session_id"]
        assert view["page_url"] == leave["page_url"]
        seconds = (utc(leave["event_time"]) - utc(view["event_time"])).total_seconds()
        assert seconds == extra["duration_ms"] // 1000 >= 1


def test_sessions_mix_visitors_channels_and_devices(clean: Rows) -> None:
    views = [e for e in clean["event_logs"] if e["event_type"] == "page_view"]
    sessions = Counter(v["session_id"] for v in views)
    assert 3 < len(views) / len(sessions) < 4.5
    logged_in = sum(1 for v in views if v["user_id"])
    anonymous = sum(1 for v in views if not v["user_id"] and v["device_id"])
    assert 0.05 * len(views) < logged_in < anonymous
    channels = Counter(v["channel"] for v in views)
    devices = Counter(v["device_type"] for v in views)
    assert set(channels) == CHANNELS and set(devices) == DEVICES
    assert channels["wechat"] > channels["official"] and channels["app"] > channels["h5"]
    assert devices["mobile"] > devices["pc"] > devices["tablet"]


def test_evenings_are_busier_than_nights_and_weekends_than_weekdays(clean: Rows) -> None:
    by_hour: Counter[int] = Counter()
    by_day: Counter[date] = Counter()
    for event in clean["event_logs"]:
        if event["event_type"] == "page_view":
            moment = local(event["event_time"])
            by_hour[moment.hour] += 1
            by_day[moment.date()] += 1
    evening = sum(by_hour[h] for h in (19, 20, 21, 22)) / 4
    night = sum(by_hour[h] for h in (3, 4, 5)) / 3
    assert evening > 5 * night
    weekend = [n for d, n in by_day.items() if d.weekday() >= 5]
    weekday = [n for d, n in by_day.items() if d.weekday() < 4]
    assert sum(weekend) / len(weekend) > 1.08 * sum(weekday) / len(weekday)


def test_traffic_grows_over_the_window(long_run: tuple[Counter[int], Rows]) -> None:
    weeks, _ = long_run
    assert len(weeks) == 6
    assert weeks[5] > 1.15 * weeks[0]


# -- the funnel --------------------------------------------------------------------------------


def test_approved_at_is_set_only_when_approved_and_users_retry(clean: Rows) -> None:
    auths = clean["real_name_auths"]
    for auth in auths:
        assert (auth["approved_at"] != "") == (auth["status"] == "approved"), auth
        if auth["approved_at"]:
            assert utc(auth["approved_at"]) >= utc(auth["submitted_at"])
    statuses = Counter(a["status"] for a in auths)
    assert statuses["approved"] > statuses["rejected"] > 0 and statuses["pending"] > 0
    by_user = defaultdict(list)
    for auth in sorted(auths, key=lambda a: a["submitted_at"]):
        by_user[auth["user_id"]].append(auth["status"])
    assert any(s[0] == "rejected" and len(s) > 1 for s in by_user.values())
    assert all(s.count("approved") <= 1 for s in by_user.values())


def test_funnel_is_monotone_and_business_users_are_registered(clean: Rows) -> None:
    registered = {u["user_id"]: utc(u["registered_at"]) for u in clean["users"]}
    approved = {
        a["user_id"]: utc(a["approved_at"])
        for a in clean["real_name_auths"]
        if a["status"] == "approved"
    }
    bound: dict[str, datetime] = {}
    for card in clean["bank_cards"]:
        if card["bind_status"] == "success":
            at = utc(card["bound_at"])
            bound[card["user_id"]] = min(at, bound.get(card["user_id"], at))
    members = {m["user_id"] for m in clean["member_orders"] if m["status"] == "paid"}
    assert len(registered) > len(approved) > len(bound) > len(members) > 0
    assert all(registered[u] <= at for u, at in approved.items())
    assert all(approved[u] <= at for u, at in bound.items())
    assert members <= set(bound)
    for name in ("real_name_auths", "bank_cards", "member_orders", "orders", "deductions"):
        assert {r["user_id"] for r in clean[name]} <= set(registered), name


def test_bank_cards_member_orders_and_orders_are_consistent(clean: Rows) -> None:
    for card in clean["bank_cards"]:
        if card["unbound_at"]:
            assert card["bind_status"] == "success"
            assert utc(card["unbound_at"]) > utc(card["bound_at"])
    assert {c["card_type"] for c in clean["bank_cards"]} == {"debit", "credit"}
    orders = clean["member_orders"]
    for order in orders:
        paid = order["status"] == "paid"
        assert (order["paid_at"] != "") == paid, order
        assert paid or order["effective_at"] == ""
        if paid:
            assert utc(order["paid_at"]) >= utc(order["created_at"])
    assert any(o["status"] == "paid" and not o["effective_at"] for o in orders)
    assert any(o["effective_at"] for o in orders)
    assert {o["status"] for o in clean["orders"]} == {"success", "failed", "cancelled"}
    assert "credit" in {o["pay_method"] for o in clean["orders"]}


def test_members_upgrade_and_renew(long_run: tuple[Counter[int], Rows]) -> None:
    _, business = long_run
    orders = business["member_orders"]
    paid_per_user = Counter(o["user_id"] for o in orders if o["status"] == "paid")
    assert sum(1 for n in paid_per_user.values() if n >= 2) >= 5
    renewals = [o for o in orders if o["effective_at"] and o["effective_at"] > o["paid_at"]]
    assert renewals  # paid ahead of the expiry of the previous period
    automatic = Counter(d["status"] for d in business["deductions"] if d["mode"] == "auto")
    assert set(automatic) == {"success", "failed", "retrying"}


def test_refunds_reference_deductions_and_never_exceed_them(clean: Rows) -> None:
    deductions = {d["deduction_id"]: d for d in clean["deductions"]}
    refunded: Counter[str] = Counter()
    assert clean["refunds"]
    for refund in clean["refunds"]:
        deduction = deductions[refund["deduction_id"]]
        assert deduction["status"] == "success"
        assert Decimal(refund["amount"]) <= Decimal(deduction["amount"])
        assert utc(refund["refunded_at"]) > utc(deduction["deducted_at"])
        if refund["status"] == "success":
            refunded[refund["deduction_id"]] += 1
    assert max(refunded.values()) == 1  # a deduction is refunded successfully at most once


def test_business_events_match_business_rows(clean: Rows) -> None:
    events: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
    for event in clean["event_logs"]:
        events[event["event_type"]].append(event)
    assert {e["user_id"] for e in events["user_register"]} == {u["user_id"] for u in clean["users"]}
    paid = {m["member_order_id"]: m["amount"] for m in clean["member_orders"] if m["paid_at"]}
    assert {e["order_id"]: e["amount"] for e in events["member_purchase"]} == paid
    assert {e["order_id"]: e["amount"] for e in events["order_create"]} == {
        o["order_id"]: o["amount"] for o in clean["orders"]
    }
    successful = [d for d in clean["deductions"] if d["status"] == "success"]
    assert len(events["deduction_success"]) == len(successful)
    approvals = [a for a in clean["real_name_auths"] if a["status"] == "approved"]
    assert len(events["real_name_auth"]) == len(approvals)
    assert events["user_login"] and events["payment_success"] and events["bind_card"]


# -- dirt --------------------------------------------------------------------------------------


def test_dirty_data_is_the_clean_data_plus_a_few_dirty_rows(outputs: dict[str, Path]) -> None:
    clean_rows, dirty_rows = rows_of(outputs["clean"]), rows_of(outputs["dirty"])
    only_dirty = dirty_rows - clean_rows
    only_clean = clean_rows - dirty_rows  # rows that were spoiled in place
    assert 0 < sum(only_dirty.values()) < 0.005 * sum(dirty_rows.values())
    assert sum(only_clean.values()) < sum(only_dirty.values())
    assert {table for table, _ in only_dirty} == set(TABLES)


def test_dirty_extra_rows_are_exactly_the_intended_ones(
    generated: dict[str, tuple[Path, dict[str, int]]], dirty: Rows
) -> None:
    (_, clean_counts), (_, dirty_counts) = generated["clean"], generated["dirty"]
    duplicates = len(dirty["event_logs"]) - len({e["event_id"] for e in dirty["event_logs"]})
    assert {name: dirty_counts[name] - clean_counts[name] for name in TABLES} == {
        "event_logs": duplicates + 1,  # + the row dated 'not-a-date'
        "users": 0,  # users are only misspelt in place
        "real_name_auths": 1,
        "bank_cards": 1,
        "member_orders": 1,
        "orders": 2,  # the orphan's order and the one with amount 12.345
        "deductions": 2,
        "refunds": 1,
    }
    deductions = {d["deduction_id"]: d for d in dirty["deductions"]}
    refunded = [deductions[r["deduction_id"]]["status"] for r in dirty["refunds"]]
    assert refunded.count("failed") == 1  # a refund the metrics must ignore


def test_malformed_rows_are_exactly_the_intended_ones(dirty: Rows) -> None:
    checked = {name: [(row, problems(t, row)) for row in dirty[name]] for name, t in TABLES.items()}
    bad = {name: [(row, found) for row, found in rows if found] for name, rows in checked.items()}
    assert {name: len(rows) for name, rows in bad.items() if rows} == {
        "event_logs": 2,
        "orders": 1,
    }
    reasons = sorted(reason for rows in bad.values() for _, found in rows for reason in found)
    assert reasons[0].startswith("amount not DECIMAL(18,2): '12.345'")
    assert reasons[1].startswith("event_time not a datetime: 'not-a-date'")
    assert reasons[2].startswith("extra_data not JSON")
    leave = next(row for row, found in bad["event_logs"] if row["event_type"] == "page_leave")
    assert leave["extra_data"].startswith('{"page_view_id": "')


def test_dirty_data_has_odd_spellings_duplicates_and_an_unknown_user(dirty: Rows) -> None:
    events = dirty["event_logs"]
    channels = {e["channel"] for e in events} | {u["channel"] for u in dirty["users"]}
    devices = {e["device_type"] for e in events} | {u["device_type"] for u in dirty["users"]}
    assert {" WeChat ", "APP", "tiktok", "", "Official", "H5 "} <= channels
    assert {" Mobile", "PC", "", "Tablet", "smart-tv"} <= devices
    copies = defaultdict(list)
    for event in events:
        copies[event["event_id"]].append(event)
    duplicates = [rows for rows in copies.values() if len(rows) > 1]
    assert duplicates
    for first, again in duplicates:
        assert {k: v for k, v in first.items() if k != "created_at"} == {
            k: v for k, v in again.items() if k != "created_at"
        }
        assert utc(again["created_at"]) > utc(first["created_at"])
    registered = {u["user_id"] for u in dirty["users"]}
    for name in ("real_name_auths", "bank_cards", "member_orders", "orders", "deductions"):
        assert {r["user_id"] for r in dirty[name]} - registered, name
