"""Metrics are configuration (issue 16, seed §11.3): a metric added to the registry
(vars.metrics of dbt_project.yml) is served by the query API — listed with its labels, unit,
format, kind and definition, its values in every grain — and drawn by the dashboard with no
Python or JavaScript change. The test works on a copy of the dbt project
(BIZSTATS_PROJECT_DIR): it adds a ratio in percent to the copy's registry, builds the fixtures
with a plain `bizstats build`, and reads the API."""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bizstats.config import project_dir
from bizstats.metrics_catalog import manifest_path
from bizstats.parse_state import PROJECT_PARTS
from bizstats.registry import load_registry
from bizstats.web.app import create_app
from bizstats.web.dashboard import STATIC
from bizstats.web.keys import create_key
from tests_py.test_query_api import METRICS, built_warehouse

# what a user pastes at the end of `metrics:` (docs/adding-a-metric.md's conversion rate)
ENTRY = """    - name: member_conversion
      label_zh: 会员转化率
      label_en: Member conversion
      unit: ratio
      format: percent
      description: New members / UV, a fraction rounded half up to 4 places; 0 without visitors.
      kind: ratio
      numerator: new_member_count
      denominator: uv
      decimals: 4

  # Breakdown dimensions"""


def _project_copy(root: Path) -> Path:
    copy = root / "project"
    for part in PROJECT_PARTS:
        source = project_dir() / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        elif source.is_file():
            copy.mkdir(exist_ok=True)
            shutil.copy(source, copy / part)
    registry = copy / "dbt_project.yml"
    text = registry.read_text(encoding="utf-8")
    assert text.count("\n  # Breakdown dimensions") == 1  # the comment after the last metric
    registry.write_text(text.replace("\n  # Breakdown dimensions", "\n" + ENTRY, 1), encoding="utf-8")
    return copy


def test_a_metric_added_to_the_registry_is_served(tmp_path_factory, monkeypatch):
    copy = _project_copy(tmp_path_factory.mktemp("dbt"))
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(copy))
    monkeypatch.setenv("DBT_TARGET_PATH", str(copy / "target"))
    monkeypatch.delenv("BIZSTATS_REDIS_URL", raising=False)
    assert load_registry().published()[-1].name == "member_conversion"
    w = built_warehouse("duckdb", tmp_path_factory, monkeypatch)
    assert manifest_path().is_relative_to(copy)
    _, token = create_key(w.target, "tests")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(w.target)) as client:
        body = client.get("/api/metrics", headers=auth).json()
        days = {"start": "2024-03-10", "end": "2024-03-11"}
        daily = client.get("/api/stats/daily", params=days, headers=auth).json()["rows"]
        weekly = client.get("/api/stats/weekly", params=days, headers=auth).json()["rows"]
        users = client.get("/api/stats/user-types", params=days, headers=auth).json()["rows"]
    listed = body["grains"]["daily"]["metrics"]
    assert [m["name"] for m in listed] == [*METRICS, "member_conversion"]
    assert listed[-1] == {
        "name": "member_conversion", "label_zh": "会员转化率", "label_en": "Member conversion",
        "short_zh": "会员转化率", "short_en": "Member conversion", "unit": "ratio", "format": "percent",
        "description": "New members / UV, a fraction rounded half up to 4 places; 0 without visitors.",
        "cumulative": False, "funnel_step": None, "kind": "ratio", "additive": False,
    }  # fmt: skip
    assert body["grains"]["user-types"]["metrics"][-1]["name"] == "member_conversion"
    # 03-10: new members 1, uv 5 -> 0.2000; 03-11: uv 0 -> 0 (a fraction as an exact string)
    assert [(r["stat_date"], r["new_member_count"], r["uv"], r["member_conversion"]) for r in daily] == [
        ("2024-03-10", 1, 5, "0.2000"),
        ("2024-03-11", 1, 0, "0.0000"),
    ]
    # a week is computed from the week's parts, never averaged over its days
    assert [r["week_start"] for r in weekly] == ["2024-03-04", "2024-03-11"]
    for week in weekly:
        parts = Decimal(week["new_member_count"]) / week["uv"] if week["uv"] else Decimal(0)
        assert week["member_conversion"] == str(parts.quantize(Decimal("0.0001"), ROUND_HALF_UP))
    assert {r["user_type"] for r in users} == {"new", "old"} and all("member_conversion" in r for r in users)


def test_the_dashboard_names_no_mart_metric():
    """The page draws whatever GET /api/metrics and GET /api/stats/realtime list: no metric
    of the registry is written in its code."""
    code = (
        "".join(p.read_text(encoding="utf-8") for p in STATIC.glob("*.js"))
        + (STATIC / "index.html").read_text()
    )
    assert [m for m in METRICS if f'"{m}"' in code or f"'{m}'" in code or f".{m}" in code] == []


@pytest.mark.parametrize(
    ("fmt", "value", "shown"),
    [("percent", "0.1250", "12.50%"), ("percent", "0", "0%"), ("percent", "1.5000", "150.00%"),
     ("money", "1234.5", "1,234.50"), ("integer", "1234567", "1,234,567"), ("decimal", "1.40", "1.40")],
)  # fmt: skip
def test_a_value_reads_as_its_format_says(fmt, value, shown):
    from bizstats.metrics_catalog import display

    assert display(fmt, Decimal(value)) == shown
