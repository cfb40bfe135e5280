"""Metrics are configuration (issue 10, seed §11.3): a metric column added to a mart with its
yml entry (meta labels, unit, format) is served by the API and listed for the dashboard with
no Python or JavaScript change. The test works on a copy of the dbt project: it adds the
entry, lets dbt parse the copy (the manifest the API reads), and adds the column to the
built warehouse's daily_stats as `bizstats build --full-refresh --select daily_stats` would
after the model's SQL gained it."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from bizstats.config import project_dir
from bizstats.metrics_catalog import manifest_path
from bizstats.parse_state import PROJECT_PARTS
from bizstats.web.app import create_app
from bizstats.web.dashboard import STATIC
from bizstats.web.keys import create_key
from tests_py.test_query_api import METRICS, built_warehouse

ENTRY = """      - name: pv_per_visitor
        description: Page views per unique visitor (pv / uv), two decimals; 0 when uv = 0.
        meta:
          label_zh: 人均浏览量
          label_en: Page views per visitor
          unit: views
          format: decimal
      - name: channel
"""


def _project_copy(root: Path) -> Path:
    copy = root / "project"
    for part in PROJECT_PARTS:
        source = project_dir() / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        elif source.is_file():
            copy.mkdir(exist_ok=True)
            shutil.copy(source, copy / part)
    marts = copy / "models" / "marts" / "_marts.yml"  # daily_stats' first column after its metrics
    text = marts.read_text(encoding="utf-8")
    marts.write_text(text.replace("      - name: channel\n", ENTRY, 1), encoding="utf-8")
    return copy


def test_a_metric_added_in_yml_is_served(tmp_path_factory, monkeypatch):
    w = built_warehouse("duckdb", tmp_path_factory, monkeypatch)
    copy = _project_copy(tmp_path_factory.mktemp("dbt"))
    monkeypatch.setenv("BIZSTATS_PROJECT_DIR", str(copy))
    monkeypatch.setenv("DBT_TARGET_PATH", str(copy / "target"))
    monkeypatch.delenv("BIZSTATS_REDIS_URL", raising=False)
    assert not manifest_path().exists()  # the API runs `dbt parse` itself when there is none
    w.execute("alter table {schema}.daily_stats add column pv_per_visitor decimal(10, 2) default 0")
    w.execute("update {schema}.daily_stats set pv_per_visitor = round(pv / uv, 2) where uv > 0")
    _, token = create_key(w.target, "tests")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(w.target)) as client:
        daily = client.get("/api/metrics", headers=auth).json()["grains"]["daily"]["metrics"]
        rows = client.get(
            "/api/stats/daily", params={"start": "2024-03-10", "end": "2024-03-11"}, headers=auth
        ).json()["rows"]
    assert [m["name"] for m in daily] == [*METRICS, "pv_per_visitor"]
    assert {k: daily[-1][k] for k in ("label_zh", "label_en", "unit", "format", "description")} == {
        "label_zh": "人均浏览量",
        "label_en": "Page views per visitor",
        "unit": "views",
        "format": "decimal",
        "description": "Page views per unique visitor (pv / uv), two decimals; 0 when uv = 0.",
    }
    # 03-10: pv 7, uv 5 -> 1.40; 03-11: pv 1, uv 0 -> 0
    assert [r["pv_per_visitor"] for r in rows] == ["1.40", "0.00"]


def test_the_dashboard_names_no_mart_metric():
    """The page draws whatever GET /api/metrics lists: no mart metric column is written in
    its code (pv and uv appear only as the collector's real-time counter names)."""
    code = (
        "".join(p.read_text(encoding="utf-8") for p in STATIC.glob("*.js"))
        + (STATIC / "index.html").read_text()
    )
    assert [m for m in METRICS if m not in ("pv", "uv") and m in code] == []
