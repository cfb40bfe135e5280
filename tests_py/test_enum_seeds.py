"""Enum lists live once, in the seeds: a value added to seeds/breakdown_values.csv counts
under its own name from the next build on, without editing SQL, on both targets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bizstats.config import project_dir
from tests_py.support.project_copy import copy_project

SEEDS = ("breakdown_values", "enum_values")

# One user acquired on app/pc and one approved verification by ' Passport ' on local day
# 2024-03-10 (UTC+8): auth_method passport once the seed lists it, `other` before.
USERS = [
    {"user_id": "u1", "registered_at": "2024-03-09 17:00:00", "channel": "app",
     "device_type": "pc"},
]
AUTHS = [
    {"auth_id": "p1", "user_id": "u1", "auth_method": "Passport ", "status": "approved",
     "submitted_at": "2024-03-10 01:00:00", "approved_at": "2024-03-10 02:00:00"},
]

AUTH_METHOD_COUNTS = (
    "select dimension_value, item_count from {schema}.daily_breakdowns "
    "where stat_date = '2024-03-10' and channel = 'all' and device_type = 'all' "
    "and dimension = 'auth_method' order by dimension_value"
)


def _seed_rows(root: Path, seed: str) -> list[dict[str, str]]:
    with open(root / "seeds" / f"{seed}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def project_with_passport(tmp_path, monkeypatch) -> Path:
    """A copy of the dbt project whose breakdown_values lists auth_method `passport`."""
    copy = copy_project(tmp_path / "project")
    with open(copy / "seeds" / "breakdown_values.csv", "a", encoding="utf-8") as fh:
        fh.write("auth_method,passport,护照,Passport\n")
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(copy))
    # the copy's own target dir: its manifest must not replace the repository project's
    monkeypatch.setenv("DBT_TARGET_PATH", str(copy / "target"))
    return copy


def test_value_added_to_the_seed_counts_without_editing_sql(project_with_passport, wh):
    wh.load(users=USERS, real_name_auths=AUTHS)
    # dbt's tests too: the staging checks against the seed and the dense grid accept it
    wh.build(start="2024-03-10", end="2024-03-10", with_tests=True)
    assert wh.query(AUTH_METHOD_COUNTS) == [
        ("bank_card", 0), ("face", 0), ("id_card", 0), ("other", 0), ("passport", 1),
    ]
    assert wh.query(
        "select auth_method from {schema}.stg_real_name_auths where auth_id = 'p1'"
    ) == [("passport",)]
    assert wh.daily("2024-03-10", "app", "pc")["real_name_count"] == 1


def test_value_missing_from_the_seed_is_other(wh):
    wh.load(users=USERS, real_name_auths=AUTHS)
    wh.build(start="2024-03-10", end="2024-03-10")
    assert wh.query(AUTH_METHOD_COUNTS) == [
        ("bank_card", 0), ("face", 0), ("id_card", 0), ("other", 1),
    ]
    assert wh.daily("2024-03-10", "app", "pc")["real_name_count"] == 1


def test_each_value_list_lives_once_and_holds_other():
    root = project_dir()
    lists = {seed: {row["dimension"] for row in _seed_rows(root, seed)} for seed in SEEDS}
    assert not lists["breakdown_values"] & lists["enum_values"]
    for seed in SEEDS:
        rows = _seed_rows(root, seed)
        for dimension in lists[seed]:
            values = [r["dimension_value"] for r in rows if r["dimension"] == dimension]
            assert "other" in values, (seed, dimension)
            assert all(v == v.strip().lower() for v in values), (seed, dimension)


def test_every_listed_value_has_a_chinese_and_an_english_name():
    root = project_dir()
    for seed in SEEDS:
        rows = _seed_rows(root, seed)
        assert list(rows[0]) == ["dimension", "dimension_value", "name_zh", "name_en"], seed
        unnamed = [r for r in rows if not (r["name_zh"].strip() and r["name_en"].strip())]
        assert unnamed == [], (seed, unnamed)
