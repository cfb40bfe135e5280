"""docs/adding-a-metric.md done exactly as a user does it (issue 16, point 7), on DuckDB and
MariaDB.

On a copy of the project (BIZSTATS_PROJECT_DIR, tests_py/support/project_copy.py), a small hand-made
raw dataset (tests_py/data/adding_a_metric/*.csv) is loaded with `bizstats load` and built
with `bizstats build` (the shipped registry). Then the doc's YAML — read from its fenced
blocks, so the doc and this test cannot drift — is pasted at the end of `metrics:` and of
`breakdown_dimensions:` in the copy's dbt_project.yml, and its `csv` rows at the end of
seeds/breakdown_values.csv, and `bizstats build` runs again. The four new metrics (login
count, users who logged in, successful refunds, member conversion = new members / UV) and
the two new dimensions (province of page views' extra_data, orders' pay method) are then
checked with exact hand-computed values in every grain's mart, the query API, `bizstats
export`, the daily report (`bizstats report`) and the dashboard in headless Chromium (the
KPI cards: label, value, tooltip; the breakdown table). The dashboard's screenshot and the
report's chart are saved in the test's folder (printed) for a person to look at.

Every build is the nightly of 2024-04-01 (`bizstats build --date 2024-04-01`, which builds
03-29 .. 04-01 with the 3-day lookback; 03-29 is empty): a bare `bizstats build` is the
nightly of yesterday by the clock, which from 2024's data would plan more than max_build_days
and ask for a range.

The data (times UTC in the files; local = UTC+8, local day D = [D-1 16:00, D 16:00) UTC):
three local days, Sat 2024-03-30 (S), Sun 03-31 (A) and Mon 04-01 (B), with rows at
23:59:59 and 00:00:00 local on both sides of each midnight; A and B lie in different ISO
weeks and months. Local times below.

users (acquisition slice; `new` on the local day of registration):
    u1 app/mobile, registered S 01:00        u2 wechat/pc, registered 03-01
    u4 h5/mobile, registered A 04:00         u3 official/pc, registered B 00:30
    (u9 is not in users: other/other, always `old`)
page views (uv: distinct user, else device; extra_data {"province": ...}):
    S: e01 u1 09:00 app/mobile guangdong, e02 u2 10:00 wechat/pc beijing,
       e03 device dv9 23:59:59 app/mobile (no extra_data)
    A: e04 dv9 00:00:00 app/mobile {"province": 5}, e05 u4 05:00 h5/mobile shanghai,
       e06 u1 09:00 app/mobile guangdong (delivered twice: the later delivery, wechat/pc
       beijing, does not count)
    B: e07 u3 00:30 official/pc "Tibet", e08 u2 10:00 wechat/pc beijing,
       e09 u1 11:00 app/mobile "Guangdong", e10 u4 12:00 h5/mobile zhejiang
user_login events (their own channel/device; their provinces belong to no dimension):
    S: l01 u1 01:05 app/mobile, l02 u2 10:01 wechat/pc
    A: l03 anonymous (device dv9, no user_id) 00:00:05 app/mobile, l04 u1 00:10 app/mobile,
       l06 u4 04:30 h5/mobile, l05 u1 09:05 app/mobile (delivered twice: the later
       delivery, wechat/pc, does not count), l07 u2 23:59:59 wechat/pc
    B: l08 u2 00:00:00 wechat/pc, l09 u3 00:40 official/pc, l10 u9 14:00 h5/mobile
member orders (new member: the user's first paid order, by service start = paid_at):
    m1 u1 S 09:30, m2 u4 A 06:00, m3 u2 A 23:00, m4 u3 B 01:00; m5 u1 B 09:00 a renewal
    (not new), m6 u9 failed
orders (the buyer's slice; every status): o1 u1 credit 100.00 S 12:00; o2 u2 wechat 20.00
    A 09:00, o3 u4 alipay 15.00 failed A 10:00, o4 u1 credit 50.00 A 11:00, o6 u9 "PayPal"
    5.00 A 12:00; o5 u3 bank_card 9.99 B 09:00
refunds (the refunded deduction's user's slice): r1 of d1 (u1) 10.00 success A 00:20;
    r2 of d2 (u2) 30.00 success B 00:10; r3 of d1 5.00 FAILED A 10:00 (not counted);
    r4 of d404 (no such deduction: no user, other/other) 7.50 success A 11:00
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from bizstats.config import Target
from bizstats.db import connect, fetch_all, qualified
from tests_py.support.project_copy import use_project_copy
from tests_py.support.services import drop_mysql_schemas, mysql_schema, mysql_up, require, require_chromium

DATA = Path(__file__).resolve().parent / "data" / "adding_a_metric"
DOC = Path(__file__).resolve().parents[1] / "docs" / "adding-a-metric.md"
BIZSTATS = str(Path(sys.executable).parent / "bizstats")  # the command a user runs
NIGHT = "2024-04-01"  # `bizstats build --date NIGHT`: builds 03-29 .. 04-01
S, A, B = "2024-03-30", "2024-03-31", "2024-04-01"

# What the doc adds, in its order (checked against the doc's YAML below).
NEW_METRICS = ("login_count", "login_users", "refund_amount", "member_conversion")
DIMENSIONS = ("province", "order_pay_method")
# Each row below: the ratio's parts, then the new metrics:
#   (uv, new_member_count, login_count, login_users, refund_amount, member_conversion)
COLUMNS = ("uv", "new_member_count", *NEW_METRICS)

DAILY = {
    # (stat_date, channel, device_type)
    (date(2024, 3, 29), "all", "all"): (0, 0, 0, 0, "0.00", "0.0000"),  # 0 / 0 -> 0
    # S: uv u1, u2, d:dv9; new m1; logins l01, l02 of u1, u2; conversion 1/3 = 0.33333
    (date(2024, 3, 30), "all", "all"): (3, 1, 2, 2, "0.00", "0.3333"),
    # A: uv d:dv9, u4, u1; new m2, m3; logins l03 l04 l05 l06 l07 (l05 once), users u1 u4 u2
    # (the anonymous l03 has none); refunds r1 10.00 + r4 7.50 (r3 failed); 2/3 = 0.66667
    (date(2024, 3, 31), "all", "all"): (3, 2, 5, 3, "17.50", "0.6667"),
    # B: uv u3 u2 u1 u4; new m4 (m5 a renewal); logins l08 l09 l10 of u2 u3 u9; r2 30.00; 1/4
    (date(2024, 4, 1), "all", "all"): (4, 1, 3, 3, "30.00", "0.2500"),
    # A's slices: app/mobile: uv d:dv9, u1; no new member; logins l03 l04 l05 (not the second
    # delivery of l05, wechat/pc), users u1; r1 (u1 is app/mobile)
    (date(2024, 3, 31), "app", "mobile"): (2, 0, 3, 1, "10.00", "0.0000"),
    (date(2024, 3, 31), "h5", "mobile"): (1, 1, 1, 1, "0.00", "1.0000"),  # u4: e05, m2, l06
    # u2 became a member (m3) and logged in (l07) but viewed no page on A: 1 / 0 -> 0
    (date(2024, 3, 31), "wechat", "pc"): (0, 1, 1, 1, "0.00", "0.0000"),
    (date(2024, 3, 31), "other", "other"): (0, 0, 0, 0, "7.50", "0.0000"),  # r4: no user
    # every mobile: uv d:dv9 u4 u1; m2; l03 l04 l05 l06, users u1 u4; r1; 1/3
    (date(2024, 3, 31), "all", "mobile"): (3, 1, 4, 2, "10.00", "0.3333"),
    (date(2024, 3, 31), "official", "pc"): (0, 0, 0, 0, "0.00", "0.0000"),  # u3 starts on B
}
HOURLY = {
    # (stat_date, stat_hour, channel, device_type), all channels and devices
    (date(2024, 3, 30), 9, "all", "all"): (1, 1, 0, 0, "0.00", "1.0000"),  # e01 09:00, m1 09:30
    # e04 00:00:00; l03 00:00:05 and l04 00:10 (users: u1 only); r1 00:20
    (date(2024, 3, 31), 0, "all", "all"): (1, 0, 2, 1, "10.00", "0.0000"),
    (date(2024, 3, 31), 23, "all", "all"): (0, 1, 1, 1, "0.00", "0.0000"),  # m3 23:00, l07 23:59:59
    # e07 00:30; l08 00:00:00 (u2), l09 00:40 (u3); r2 00:10; m4 is at 01:00
    (date(2024, 4, 1), 0, "all", "all"): (1, 0, 2, 2, "30.00", "0.0000"),
}
WEEKLY = {
    # (week_start, channel, device_type): ISO week 13 holds S and A, week 14 B.
    # uv u1 u2 d:dv9 u4 (not 3 + 3); new m1 m2 m3; logins 2 + 5, users u1 u2 u4 (not 2 + 3);
    # refunds 17.50; conversion from the week's parts 3/4 (not an average of 0.3333, 0.6667)
    (date(2024, 3, 25), "all", "all"): (4, 3, 7, 3, "17.50", "0.7500"),
    (date(2024, 3, 25), "app", "mobile"): (2, 1, 4, 1, "10.00", "0.5000"),  # u1 d:dv9; m1; l01 l03 l04 l05
    (date(2024, 4, 1), "all", "all"): (4, 1, 3, 3, "30.00", "0.2500"),
}
MONTHLY = {
    # (month_start, channel, device_type): March holds S and A, April B
    (date(2024, 3, 1), "all", "all"): (4, 3, 7, 3, "17.50", "0.7500"),
    (date(2024, 4, 1), "all", "all"): (4, 1, 3, 3, "30.00", "0.2500"),
}
USER_TYPES = {
    # (stat_date, user_type). Page views: `new` on the visitor's first page-view day; every
    # other row: `new` on the user's registration day (no user, or not in users: `old`).
    (date(2024, 3, 30), "new"): (3, 1, 1, 1, "0.00", "0.3333"),  # all first seen; m1, l01 of u1
    (date(2024, 3, 30), "old"): (0, 0, 1, 1, "0.00", "0.0000"),  # l02 of u2
    (date(2024, 3, 31), "new"): (1, 1, 1, 1, "0.00", "1.0000"),  # u4: e05, m2, l06
    # uv d:dv9 u1; m3 (u2); l03 (anonymous) l04 l05 l07, users u1 u2; r1 (u1) + r4 (no user)
    (date(2024, 3, 31), "old"): (2, 1, 4, 2, "17.50", "0.5000"),
    (date(2024, 4, 1), "new"): (1, 1, 1, 1, "0.00", "1.0000"),  # u3: e07, m4, l09
    (date(2024, 4, 1), "old"): (3, 0, 2, 2, "30.00", "0.0000"),  # u2 u1 u4; l08 (u2) l10 (u9); r2
}
# daily_breakdowns: (stat_date, channel, device_type) -> {value: (item_count, amount)}, every
# value the seed lists for the dimension on every day and slice (zeros included).
PROVINCES = {
    # page_view events only (the logins' provinces do not count); the value compared exactly
    (date(2024, 3, 30), "all", "all"): {
        "beijing": 1,
        "guangdong": 1,
        "other": 1,
        "shanghai": 0,
        "zhejiang": 0,
    },
    # e06 guangdong (its second delivery, beijing on wechat/pc, does not count), e05
    # shanghai, e04 {"province": 5} (not a listed string: other)
    (date(2024, 3, 31), "all", "all"): {
        "beijing": 0,
        "guangdong": 1,
        "other": 1,
        "shanghai": 1,
        "zhejiang": 0,
    },
    (date(2024, 3, 31), "app", "mobile"): {
        "beijing": 0,
        "guangdong": 1,
        "other": 1,
        "shanghai": 0,
        "zhejiang": 0,
    },
    (date(2024, 3, 31), "wechat", "pc"): {
        "beijing": 0,
        "guangdong": 0,
        "other": 0,
        "shanghai": 0,
        "zhejiang": 0,
    },
    # e08 beijing, e10 zhejiang; e07 "Tibet" (not listed) and e09 "Guangdong" (not
    # "guangdong": values are compared as stored) are other
    (date(2024, 4, 1), "all", "all"): {
        "beijing": 1,
        "guangdong": 0,
        "other": 2,
        "shanghai": 0,
        "zhejiang": 1,
    },
}
PAY_METHODS = {
    # orders of every status by created_at, in the buyer's acquisition slice
    (date(2024, 3, 30), "all", "all"): {
        "alipay": (0, "0.00"),
        "bank_card": (0, "0.00"),
        "credit": (1, "100.00"),
        "other": (0, "0.00"),
        "wechat": (0, "0.00"),
    },
    # o4 credit 50.00, o2 wechat 20.00, o3 alipay 15.00 (failed, still an order), o6 "PayPal"
    # 5.00 (not a pay method of the contract: other; u9 is not in users: other/other)
    (date(2024, 3, 31), "all", "all"): {
        "alipay": (1, "15.00"),
        "bank_card": (0, "0.00"),
        "credit": (1, "50.00"),
        "other": (1, "5.00"),
        "wechat": (1, "20.00"),
    },
    (date(2024, 3, 31), "other", "other"): {
        "alipay": (0, "0.00"),
        "bank_card": (0, "0.00"),
        "credit": (0, "0.00"),
        "other": (1, "5.00"),
        "wechat": (0, "0.00"),
    },
    (date(2024, 4, 1), "all", "all"): {  # o5
        "alipay": (0, "0.00"),
        "bank_card": (1, "9.99"),
        "credit": (0, "0.00"),
        "other": (0, "0.00"),
        "wechat": (0, "0.00"),
    },
}


# -- the doc's YAML ----------------------------------------------------------------------


@dataclass(frozen=True)
class Snippets:
    """What the doc says to paste: the YAML text of the metric entries and of the dimension
    entries (as written in the doc), the rows for seeds/breakdown_values.csv."""

    metrics: str
    dimensions: str
    seed_rows: tuple[str, ...]

    def entries(self, which: str) -> list[dict[str, Any]]:
        return yaml.safe_load(getattr(self, which))


_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _reindented(block: str, indent: int) -> str:
    """A YAML list's text with its `- ` items at `indent` spaces (the doc's own text kept)."""
    lines = block.rstrip("\n").split("\n")
    items = [len(line) - len(line.lstrip(" ")) for line in lines if line.lstrip(" ").startswith("- ")]
    shift = indent - min(items)
    if shift >= 0:
        return "\n".join((" " * shift + line) if line.strip() else "" for line in lines) + "\n"
    return "\n".join(line[-shift:] if line.strip() else "" for line in lines) + "\n"


def doc_snippets(path: Path = DOC) -> Snippets:
    """The YAML blocks of the doc that hold new metric entries (a list whose items have a
    `kind`) and new dimension entries (items with a `column` or a `field`), the first of
    each kind in the doc (later blocks show changes and mistakes), and the rows of its first
    `csv` block, for seeds/breakdown_values.csv."""
    text = path.read_text(encoding="utf-8")
    metrics = dimensions = None
    seed_rows: list[str] = []
    for language, body in _FENCE.findall(text):
        if language == "csv" and not seed_rows:
            seed_rows = [
                line for line in body.splitlines() if line.strip() and not line.startswith("dimension,")
            ]
            continue
        if language not in ("yaml", "yml"):
            continue
        try:
            parsed = yaml.safe_load(body)
        except yaml.YAMLError:
            continue
        if not (isinstance(parsed, list) and parsed and all(isinstance(e, dict) for e in parsed)):
            continue
        if metrics is None and all("kind" in e for e in parsed):
            metrics = body
        elif dimensions is None and all("column" in e or "field" in e for e in parsed):
            dimensions = body
    assert metrics and dimensions, f"{path}: no YAML block of metric entries or of dimension entries"
    return Snippets(_reindented(metrics, 4), _reindented(dimensions, 4), tuple(seed_rows))


def _append_to_list(text: str, key: str, entries: str) -> str:
    """`entries` pasted at the end of the list `key:` of dbt_project.yml's vars (before the
    comment lines that introduce the next key)."""
    lines = text.split("\n")
    [start] = [n for n, line in enumerate(lines) if line == f"  {key}:"]
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or lines[end].startswith("    ") or lines[end].startswith("  #")
    ):
        end += 1
    while not lines[end - 1].strip() or lines[end - 1].startswith("  #"):
        end -= 1
    return "\n".join([*lines[:end], entries.rstrip("\n"), *lines[end:]])


def paste(project: Path, snippets: Snippets) -> None:
    """Do what the doc says: the entries at the end of `metrics:` and of
    `breakdown_dimensions:` in dbt_project.yml, the rows at the end of the seed."""
    path = project / "dbt_project.yml"
    text = path.read_text(encoding="utf-8")
    text = _append_to_list(text, "metrics", snippets.metrics)
    text = _append_to_list(text, "breakdown_dimensions", snippets.dimensions)
    path.write_text(text, encoding="utf-8")
    if snippets.seed_rows:
        seed = project / "seeds" / "breakdown_values.csv"
        body = seed.read_text(encoding="utf-8")
        seed.write_text(body.rstrip("\n") + "\n" + "\n".join(snippets.seed_rows) + "\n", encoding="utf-8")


# -- the warehouse -------------------------------------------------------------------------


def bizstats(*args: str) -> str:
    """Run the `bizstats` command as a user does (in the test's environment); its output."""
    done = subprocess.run(
        [BIZSTATS, *args], env=dict(os.environ), capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"bizstats {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@dataclass(frozen=True)
class Added:
    target: Target
    folder: Path
    project: Path
    snippets: Snippets
    build_output: str


@pytest.fixture(scope="module", params=["duckdb", "mysql"])
def added(request, tmp_path_factory) -> Iterator[Added]:
    """The data loaded and built on a copy of the project, then the doc's entries pasted
    and `bizstats build` run again."""
    name = request.param
    folder = tmp_path_factory.mktemp(f"adding-a-metric-{name}")
    with pytest.MonkeyPatch.context() as env:
        project = use_project_copy(folder, env)
        env.delenv("BIZSTATS_REDIS_URL", raising=False)  # no query cache, no real-time counters
        env.setenv("BIZSTATS_REPORTS_DIR", str(folder / "reports"))
        if name == "duckdb":
            env.setenv("BIZSTATS_DUCKDB_PATH", str(folder / "bizstats.duckdb"))
        else:
            require(mysql_up(), "MariaDB/MySQL")
            env.setenv("BIZSTATS_MYSQL_SCHEMA", mysql_schema("m"))
        target = Target(name)
        try:
            loaded = bizstats("load", str(DATA), "--target", name)
            assert "loaded 45 rows from 6 files" in loaded and "0 rejected" in loaded, loaded
            assert "2 duplicate event deliveries" in loaded, loaded  # e06 and l05
            bizstats("build", "--date", NIGHT, "--target", name)
            snippets = doc_snippets()
            paste(project, snippets)
            output = bizstats("build", "--date", NIGHT, "--target", name)
            (folder / "build-after-the-edit.txt").write_text(output, encoding="utf-8")
            yield Added(target, folder, project, snippets, output)
        finally:
            if name == "mysql":
                drop_mysql_schemas(target.models_schema)


def _select(target: Target, table: str, keys: tuple[str, ...], columns: tuple[str, ...] = COLUMNS) -> dict:
    """Every row of a mart: key -> the values of `columns` (integers, decimals as text)."""
    with connect(target) as con:
        rows = fetch_all(
            con,
            f"select {', '.join((*keys, *columns))} from {qualified(target, target.models_schema, table)}",
        )

    def value(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        return v.date() if hasattr(v, "date") and callable(v.date) and not isinstance(v, date) else v

    found = {}
    for row in rows:
        key = tuple(
            int(v) if k == "stat_hour" else value(v) for k, v in zip(keys, row[: len(keys)], strict=True)
        )
        found[key] = tuple(value(v) for v in row[len(keys) :])
    assert len(found) == len(rows), table
    return found


# -- the tests ---------------------------------------------------------------------------


def test_the_doc_adds_these_metrics_and_the_build_fills_them(added):
    metrics, dimensions = added.snippets.entries("metrics"), added.snippets.entries("dimensions")
    assert tuple(e["name"] for e in metrics) == NEW_METRICS
    assert tuple(e["name"] for e in dimensions) == DIMENSIONS
    assert {e["name"]: e["kind"] for e in metrics} == {
        "login_count": "counter",
        "login_users": "unique_counter",
        "refund_amount": "sum",
        "member_conversion": "ratio",
    }
    # the build after the edit says why it rebuilds, and fills every day with data
    # (the doc's example lists the names sorted; the order is not what this test is about)
    out = added.build_output
    plan = re.search(
        r"^metrics changed \(added ([^)]*)\) and dimensions changed \(added ([^)]*)\): rebuilding every "
        rf"day with data, 2024-03-29 \.\. {NIGHT} \(4 days\) on {added.target.name}$",
        out,
        re.MULTILINE,
    )
    assert plan, out
    print(plan.group(0))
    assert sorted(plan.group(1).split(", ")) == sorted(NEW_METRICS)
    assert sorted(plan.group(2).split(", ")) == sorted(DIMENSIONS)
    assert re.search(rf"^built 2024-03-29 \.\. {NIGHT} \(4 days\) on {added.target.name} ", out, re.MULTILINE)
    # the registry as bizstats reads it from the copy: the new metrics last, in the doc's order
    from bizstats.registry import load_registry

    registry = load_registry(added.project)
    assert tuple(m.name for m in registry.mart_metrics("daily_stats"))[-4:] == NEW_METRICS
    assert tuple(d.name for d in registry.dimensions)[-2:] == DIMENSIONS
    assert registry.metric("member_conversion").decimals == 4
    seed = (added.project / "seeds" / "breakdown_values.csv").read_text(encoding="utf-8").splitlines()
    assert seed[-len(added.snippets.seed_rows) :] == list(added.snippets.seed_rows)


def test_daily_stats(added):
    found = _select(added.target, "daily_stats", ("stat_date", "channel", "device_type"))
    assert {key: found[key] for key in DAILY} == DAILY
    assert {key[0] for key in found} == {
        date(2024, 3, 29),
        date(2024, 3, 30),
        date(2024, 3, 31),
        date(2024, 4, 1),
    }


def test_hourly_stats(added):
    found = _select(added.target, "hourly_stats", ("stat_date", "stat_hour", "channel", "device_type"))
    assert {key: found[key] for key in HOURLY} == HOURLY
    # an additive metric's hours add up to the day; a unique counter's need not (A: 3 users
    # a day, u1 in two hours)
    a_hours = [row for key, row in found.items() if key[0] == date(2024, 3, 31) and key[2:] == ("all", "all")]
    assert sum(row[2] for row in a_hours) == 5 and sum(row[3] for row in a_hours) == 4
    assert sum(Decimal(row[4]) for row in a_hours) == Decimal("17.50")


def test_weekly_and_monthly_stats(added):
    weekly = _select(added.target, "weekly_stats", ("week_start", "channel", "device_type"))
    assert {key: weekly[key] for key in WEEKLY} == WEEKLY
    monthly = _select(added.target, "monthly_stats", ("month_start", "channel", "device_type"))
    assert {key: monthly[key] for key in MONTHLY} == MONTHLY


def test_user_type_daily_stats(added):
    found = _select(added.target, "user_type_daily_stats", ("stat_date", "user_type"))
    assert {key: found[key] for key in USER_TYPES} == USER_TYPES


def test_daily_breakdowns_of_the_new_dimensions(added):
    found = _select(
        added.target,
        "daily_breakdowns",
        ("stat_date", "channel", "device_type", "dimension", "dimension_value"),
        ("item_count", "amount"),
    )

    def values(dimension: str, key: tuple) -> dict[str, tuple]:
        return {k[4]: v for k, v in found.items() if k[:3] == key and k[3] == dimension}

    for key, counts in PROVINCES.items():
        assert values("province", key) == {v: (n, "0.00") for v, n in counts.items()}, key
    for key, items in PAY_METHODS.items():
        assert values("order_pay_method", key) == items, key
    # every day of the build and every slice has the listed values (a dense grid)
    days = {k[0] for k in found if k[3] == "province"}
    assert days == {date(2024, 3, 29), date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)}
    assert len({k for k in found if k[3] == "province"}) == len(days) * 5 * len({k[1:3] for k in found})


# -- what users see --------------------------------------------------------------------------


def _client(added: Added) -> tuple[TestClient, dict[str, str]]:
    from bizstats.web.app import create_app
    from bizstats.web.query.keys import create_key

    _, token = create_key(added.target, "adding-a-metric")
    return TestClient(create_app(added.target)), {"Authorization": f"Bearer {token}"}


def _api_row(values: tuple) -> dict[str, Any]:
    """A row's new metrics as the API gives them: counts as integers, money and percents as
    exact decimal strings."""
    return dict(zip(NEW_METRICS, values[2:], strict=True))


def test_query_api(added):
    client, auth = _client(added)
    with client:

        def rows(grain: str, **params: str) -> list[dict]:
            r = client.get(
                f"/api/stats/{grain}", params={"metrics": ",".join(NEW_METRICS), **params}, headers=auth
            )
            assert r.status_code == 200, r.text
            return r.json()["rows"]

        [day] = rows("daily", start=A, end=A)
        assert day == {
            "stat_date": A,
            "channel": "all",
            "device_type": "all",
            **_api_row(DAILY[date(2024, 3, 31), "all", "all"]),
        }
        [app] = rows("daily", start=A, end=A, channel="app", device_type="mobile")
        assert (
            app["login_count"] == 3
            and app["refund_amount"] == "10.00"
            and app["member_conversion"] == "0.0000"
        )
        hours = {r["stat_hour"]: r for r in rows("hourly", start=A, end=A)}
        assert len(hours) == 24
        assert {k: hours[0][k] for k in NEW_METRICS} == _api_row(HOURLY[date(2024, 3, 31), 0, "all", "all"])
        weeks = {r["week_start"]: r for r in rows("weekly", start=S, end=B)}
        assert {k: weeks["2024-03-25"][k] for k in NEW_METRICS} == _api_row(
            WEEKLY[date(2024, 3, 25), "all", "all"]
        )
        assert weeks["2024-03-25"]["days_covered"] == 7 and weeks["2024-03-25"]["iso_week"] == 13
        months = {r["month_start"]: r for r in rows("monthly", start=S, end=B)}
        assert {k: months["2024-04-01"][k] for k in NEW_METRICS} == _api_row(
            MONTHLY[date(2024, 4, 1), "all", "all"]
        )
        types = {r["user_type"]: r for r in rows("user-types", start=A, end=A)}
        assert {k: types["old"][k] for k in NEW_METRICS} == _api_row(USER_TYPES[date(2024, 3, 31), "old"])
        r = client.get(
            "/api/stats/breakdowns",
            params={"start": A, "end": A, "dimension": ",".join(DIMENSIONS)},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        shown = {
            (x["dimension"], x["dimension_value"]): (x["item_count"], x["amount"]) for x in r.json()["rows"]
        }
        assert shown == {
            **{("province", v): (n, "0.00") for v, n in PROVINCES[date(2024, 3, 31), "all", "all"].items()},
            **{
                ("order_pay_method", v): item
                for v, item in PAY_METHODS[date(2024, 3, 31), "all", "all"].items()
            },
        }
        # the catalogue: labels, format and definition from the registry
        catalogue = client.get("/api/metrics", headers=auth).json()
        daily = {m["name"]: m for m in catalogue["grains"]["daily"]["metrics"]}
        entries = {e["name"]: e for e in added.snippets.entries("metrics")}
        for name in NEW_METRICS:
            assert daily[name]["label_zh"] == entries[name]["label_zh"]
            assert daily[name]["label_en"] == entries[name]["label_en"]
            assert daily[name]["format"] == entries[name]["format"]
            assert daily[name]["description"] == entries[name]["description"]  # no docs block
        assert list(daily)[-4:] == list(NEW_METRICS)
        assert (daily["member_conversion"]["kind"], daily["member_conversion"]["additive"]) == (
            "ratio",
            False,
        )
        assert (daily["login_users"]["additive"], daily["login_count"]["additive"]) == (False, True)
        for entry in added.snippets.entries("dimensions"):
            assert catalogue["breakdowns"][entry["name"]]["zh"] == entry["label_zh"]
        names = catalogue["breakdowns"]["province"]["values"]
        assert names["guangdong"] == {"zh": "广东", "en": "Guangdong"}, names


def test_export(added):
    name = added.target.name
    lines = bizstats("export", "daily_stats", "--start", A, "--end", A, "--target", name).splitlines()
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    # the keys first, the new columns after the shipped metrics, the row's timestamps last
    header = lines[0].split(",")
    assert header[:3] == ["stat_date", "channel", "device_type"]
    assert header[-6:] == [*NEW_METRICS, "created_at", "updated_at"]
    [all_row] = [r for r in rows if (r["channel"], r["device_type"]) == ("all", "all")]
    assert [all_row[m] for m in NEW_METRICS] == ["5", "3", "17.50", "0.6667"]
    [other] = [r for r in rows if (r["channel"], r["device_type"]) == ("other", "other")]
    assert [other[m] for m in NEW_METRICS] == ["0", "0", "7.50", "0.0000"]
    records = json.loads(
        bizstats("export", "daily_stats", "--start", B, "--end", B, "--format", "json", "--target", name)
    )
    [b_row] = [r for r in records if (r["channel"], r["device_type"]) == ("all", "all")]
    assert {m: b_row[m] for m in NEW_METRICS} == {
        "login_count": 3,
        "login_users": 3,
        "refund_amount": "30.00",
        "member_conversion": "0.2500",
    }


def test_daily_report(added):
    from bizstats.ops.daily_report import read_report
    from bizstats.ops.report_html import render_text

    out = bizstats("report", "--date", A, "--target", added.target.name)
    html = (added.folder / "reports" / f"bizstats_daily_{A}.html").read_text(encoding="utf-8")
    assert f"bizstats_daily_{A}.html" in out
    entries = {e["name"]: e for e in added.snippets.entries("metrics")}
    # the CSV: the value as stored (a percent as its fraction), the day before (S), the change
    with open(added.folder / "reports" / f"bizstats_daily_{A}.csv", encoding="utf-8-sig", newline="") as fh:
        table = {row["metric"]: row for row in csv.DictReader(fh)}
    assert [
        (table[m]["value"], table[m]["previous_day"], table[m]["change_vs_previous_day"]) for m in NEW_METRICS
    ] == [
        ("5", "2", "+150.0%"),  # 5 logins vs 2
        ("3", "2", "+50.0%"),
        ("17.50", "0.00", "—"),  # no change against 0
        ("0.6667", "0.3333", "+100.0%"),  # (0.6667 - 0.3333) / 0.3333 = 100.03 %
    ]
    assert all(table[m]["same_day_last_week"] == "" for m in NEW_METRICS)  # 03-24 not built
    assert [table[m]["指标"] for m in NEW_METRICS] == [entries[m]["label_zh"] for m in NEW_METRICS]
    # the table as text and HTML: the percent shown x100
    text = render_text(read_report(added.target, date(2024, 3, 31)))
    conversion = entries["member_conversion"]
    assert (
        f"{conversion['label_zh']} {conversion['label_en']} (%): 66.67% (前一日 previous 33.33%, +100.0%;"
        in text
    )
    assert f"{entries['refund_amount']['label_en']} (yuan): 17.50 (前一日 previous 0.00, —;" in text
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', html)
    assert "66.67%" in cells and "17.50" in cells
    # the chart: the event counters of the registry, the two new ones included, 4 days drawn
    report = read_report(added.target, date(2024, 3, 31))
    assert [line.column for line in report.lines][-2:] == ["login_count", "login_users"]
    assert [(d.isoformat(), v["login_count"], v["login_users"]) for d, v in report.trend] == [
        ("2024-03-29", 0, 0),
        (S, 2, 2),
        (A, 5, 3),
    ]
    chart = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert chart
    (added.folder / "report-chart.png").write_bytes(base64.b64decode(chart.group(1)))


def test_dashboard_kpi_cards_tooltips_and_breakdowns(added):
    """Headless Chromium on `bizstats serve`'s app: the day 03-31 in Chinese."""
    from playwright.sync_api import sync_playwright

    from bizstats.web.query.keys import create_key
    from tests_py.support.collector import live_app

    chromium = require_chromium()
    _, token = create_key(added.target, "browser")
    entries = {e["name"]: e for e in added.snippets.entries("metrics")}
    shot = added.folder / f"dashboard-{added.target.name}.png"
    with live_app(added.target) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url + "/")
        page.fill("#key", token)
        page.click("#save-key")
        page.goto(
            f"{url}/?start={S}&end={A}&grain=daily&channel=all&device_type=all&metric=login_count&lang=zh"
        )
        page.wait_for_function(
            "day => { const l = document.body.dataset.loaded && JSON.parse(document.body.dataset.loaded);"
            " return l && l.end === day; }",
            arg=A,
            timeout=30000,
        )
        cards = {}
        for name in NEW_METRICS:
            card = page.locator(f'#kpis .card[data-metric="{name}"]')
            cards[name] = (
                card.get_attribute("data-value"),
                card.locator(".value").inner_text(),
                card.locator(".name").inner_text(),
                card.get_attribute("title"),
            )
        table = page.eval_on_selector_all(
            "#breakdowns tr[data-dimension]",
            "rows => rows.map(r => [r.dataset.dimension, ...[...r.cells].map(c => c.textContent)])",
        )
        page.locator('#kpis .card[data-metric="member_conversion"]').scroll_into_view_if_needed()
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    print(f"screenshot: {shot}")

    def card(name: str, value: str, shown: str, unit: str = "") -> tuple[str, str, str, str]:
        # the short label (an acronym would get its long label beside it; these are words),
        # the value as formatted; the tooltip: the definition (the doc gives no docs block, so
        # the entry's description)
        e = entries[name]
        return value, shown, f"{e['short_zh']}{unit}", e["description"]

    assert cards == {
        "login_count": card("login_count", "5", "5"),
        "login_users": card("login_users", "3", "3"),
        "refund_amount": card("refund_amount", "17.50", "17.50", " (¥)"),
        "member_conversion": card("member_conversion", "0.6667", "66.67%"),  # the fraction x100
    }
    # the breakdown table of the day: the values met, with the seed's names; a dimension's
    # name once, above its values; an amount only for a dimension that has one (province has none)
    ours = [row for row in table if row[0] in DIMENSIONS]
    assert sorted([row[0], *row[2:]] for row in ours) == sorted(
        [
            ["province", "广东", "1", ""],
            ["province", "上海", "1", ""],
            ["province", "其他", "1", ""],
            ["order_pay_method", "额度支付", "1", "50.00"],
            ["order_pay_method", "微信", "1", "20.00"],
            ["order_pay_method", "支付宝", "1", "15.00"],
            ["order_pay_method", "其他", "1", "5.00"],
        ]
    )
    names = {(row[0], row[1]) for row in ours if row[1]}
    assert names == {("province", "省份"), ("order_pay_method", "订单支付方式")}
    assert [row[1] != "" for row in ours if row[0] == "province"] == [True, False, False]
