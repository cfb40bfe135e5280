"""Metrics are configuration (issue 16): a metric added to the registry
(vars.metrics of dbt_project.yml) is served by the query API — listed with its labels, unit,
format, kind and definition, its values in every grain — and drawn by the dashboard with no
Python or JavaScript change. The test works on a copy of the dbt project
(BIZSTATS_PROJECT_DIR): it adds a ratio in percent to the copy's registry, builds the fixtures
with a plain `bizstats build`, and reads the API."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bizstats.metrics_catalog import manifest_path
from bizstats.registry import load_registry
from bizstats.web.app import create_app
from bizstats.web.dashboard import STATIC
from bizstats.web.query.keys import create_key
from tests_py.support.collector import live_app
from tests_py.support.marts import METRICS
from tests_py.support.project_copy import copy_project
from tests_py.support.services import require_chromium
from tests_py.support.warehouse import built_warehouse

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
    copy = copy_project(root / "project")
    registry = copy / "dbt_project.yml"
    text = registry.read_text(encoding="utf-8")
    assert text.count("\n  # Breakdown dimensions") == 1  # the comment after the last metric
    registry.write_text(text.replace("\n  # Breakdown dimensions", "\n" + ENTRY, 1), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def added(tmp_path_factory):
    """The fixtures built from a project copy whose registry has member_conversion."""
    copy = _project_copy(tmp_path_factory.mktemp("dbt"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BIZSTATS_PROJECT_DIR", str(copy))
        env.setenv("DBT_TARGET_PATH", str(copy / "target"))
        env.delenv("BIZSTATS_REDIS_URL", raising=False)
        assert load_registry().published()[-1].name == "member_conversion"
        w = built_warehouse("duckdb", tmp_path_factory, env)
        assert manifest_path().is_relative_to(copy)
        yield w


def test_a_metric_added_to_the_registry_is_served(added):
    w = added
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


def test_the_dashboard_draws_its_card(added, tmp_path):
    """Chromium: the new metric's KPI card, its value in percent and its definition as the
    card's tooltip; it is a metric to choose for the trend."""
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    _, token = create_key(added.target, "browser")
    with live_app(added.target) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        page.evaluate(f"localStorage.setItem('bizstats.apiKey', '{token}')")
        page.goto(f"{url}/?start=2024-03-01&end=2024-03-10&grain=daily&channel=all&device_type=all"
                  "&metric=member_conversion&lang=en")  # fmt: skip
        page.wait_for_function("() => document.body.dataset.loaded", timeout=30000)
        card = page.locator('#kpis .card[data-metric="member_conversion"]')
        texts = (card.locator(".name").inner_text(), card.locator(".value").inner_text())
        assert texts == ("Member conversion", "20.00%")  # a short name that is not an acronym: alone
        assert card.get_attribute("data-value") == "0.2000"
        assert card.get_attribute("title") == (
            "New members / UV, a fraction rounded half up to 4 places; 0 without visitors."
        )
        assert page.locator("#metric").input_value() == "member_conversion"
        card.hover()
        page.screenshot(path=str(tmp_path / "dashboard-added-metric.png"), full_page=True)
        browser.close()


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


def test_a_manifest_being_rewritten_keeps_the_catalogue_it_had(tmp_path, monkeypatch):
    """dbt rewrites manifest.json in place: the API, reading it while a build writes it, keeps
    the catalogue it holds, reads the new one once it is whole, and without one says what is
    wrong in one line instead of a JSON error."""
    import bizstats.metrics_catalog as catalog_module
    from bizstats.errors import BizstatsError
    from bizstats.metrics_catalog import CatalogSource, parse_project

    whole = manifest_path()
    if not whole.is_file():
        parse_project()
    path = tmp_path / "manifest.json"
    path.write_bytes(whole.read_bytes())
    source = CatalogSource(path)
    held = source.get()
    assert "pv" in {m.name for m in held.metrics("daily_stats")}
    path.write_text('{"nodes": {"model.biz', encoding="utf-8")  # dbt midway through its write
    assert source.get() is held
    path.write_bytes(whole.read_bytes() + b" ")  # whole again (another size: a new version)
    renewed = source.get()
    assert renewed is not held and renewed.version != held.version
    monkeypatch.setattr(catalog_module, "MANIFEST_SETTLE_SECONDS", 0.2)
    path.write_text("", encoding="utf-8")
    with pytest.raises(BizstatsError, match=r"^dbt.s manifest .* is not valid JSON .*a dbt run writing"):
        CatalogSource(path).get()
