"""The build below the web layer: importing it loads no HTTP framework, and a collector setting
it does not read cannot stop it. (The import-layer contracts themselves: `lint-imports`,
configured in pyproject.toml, run by `make lint`.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.db import qualified
from bizstats.load.collected.spool import SpoolStore, spool_path
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS, view
from tests_py.support.warehouse import Warehouse

BIZSTATS = str(Path(sys.executable).parent / "bizstats")
# what a build has no use for: the web layer's frameworks and metrics, the query cache's
# client (a build imports redis only when it invalidates a cache) and the loader's pandas
NOT_FOR_A_BUILD = ("fastapi", "starlette", "pydantic", "prometheus_client", "redis", "pandas")
ABOVE_THE_BUILD = {"bizstats.cli", "bizstats.demo", "bizstats.ops", "bizstats.web"}


def _imported_by(module: str) -> dict[str, list[str]]:
    """What importing `module` in a fresh interpreter loads: the packages of NOT_FOR_A_BUILD,
    and the bizstats packages of the layers above the build."""
    probe = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    loaded = [name.split(".") for name in json.loads(out)]
    packages = {".".join(parts[:2]) for parts in loaded if parts[0] == "bizstats"}
    return {
        "libraries": sorted({parts[0] for parts in loaded} & set(NOT_FOR_A_BUILD)),
        "bizstats": sorted(packages & ABOVE_THE_BUILD),
    }


def test_importing_the_build_loads_no_web_framework_and_no_upper_layer():
    assert _imported_by("bizstats.build") == {"libraries": [], "bizstats": []}


def test_the_probe_sees_what_the_web_layer_loads():
    """The same probe on the query API's app: it would have caught the build importing it."""
    found = _imported_by("bizstats.web.app")
    assert {"fastapi", "starlette", "pydantic", "prometheus_client"} <= set(found["libraries"])
    assert "bizstats.web" in found["bizstats"]


def test_a_malformed_collector_setting_does_not_stop_a_build(tmp_path, monkeypatch):
    """`BIZSTATS_COLLECT_SITES=oops bizstats build` through the real CLI on DuckDB: the build
    ingests the collector's spool (one page view, local day 2024-03-10) and builds; the
    malformed settings concern `serve` alone."""
    path = tmp_path / "w.duckdb"
    env = {k: v for k, v in os.environ.items() if k not in ("BIZSTATS_REDIS_URL", "BIZSTATS_SPOOL_PATH")}
    env["BIZSTATS_DUCKDB_PATH"] = str(path)
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(path))
    monkeypatch.delenv("BIZSTATS_SPOOL_PATH", raising=False)
    target = Target("duckdb")
    wh = Warehouse(target, tmp_path)
    wh.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    spooled = {c: None for c in TABLES["event_logs"].column_names}
    spooled |= view("spooled1", "2024-03-10 02:00:00", user="u9", session="s9", channel="app", dtype="pc")
    store = SpoolStore(spool_path(target))
    assert store.write([spooled], [store.encode(spooled)]) == [True]
    store.close()
    env |= {"BIZSTATS_COLLECT_SITES": "oops", "BIZSTATS_COLLECT_SOURCES": "orders"}
    argv = [BIZSTATS, "build", "--start", "2024-03-10", "--end", "2024-03-10"]
    built = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    raw = qualified(target, target.raw_schema, "event_logs")
    assert wh.query(f"select count(*) from {raw} where event_id = 'spooled1'") == [(1,)]
    assert wh.daily("2024-03-10")["pv"] == 8  # the 7 page views loaded and the spooled one
