"""PhaseProgress: dbt's per-node results as one line per phase (seeds, each model folder) and a
count, from the manifest dbt writes before it runs (no dbt run here: the events are given)."""

from __future__ import annotations

import json
import re

from bizstats.dbt_runner import DbtNode, PhaseProgress


def _node(kind: str, path: str, materialized: str) -> dict:
    return {"resource_type": kind, "path": path, "config": {"materialized": materialized}}


MANIFEST = {
    "nodes": {
        "seed.a": _node("seed", "channels.csv", "seed"),
        "seed.b": _node("seed", "device_types.csv", "seed"),
        "model.s1": _node("model", "staging/stg_a.sql", "table"),
        "model.s2": _node("model", "staging/stg_b.sql", "view"),
        "model.i1": _node("model", "intermediate/int_a.sql", "incremental"),
        "model.i2": _node("model", "intermediate/int_cal.sql", "ephemeral"),  # never run
        "test.t1": _node("test", "not_null_stg_a.sql", "test"),
    }
}


def test_one_line_per_phase_when_its_last_model_ends(tmp_path, monkeypatch):
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    lines: list[str] = []
    progress = PhaseProgress(lines.append)
    total = 6
    # dbt ends nodes in any order: a staging model before the seeds are all loaded
    for kind, path, status in (
        ("model", "staging/stg_a.sql", "OK"),
        ("seed", "channels.csv", "success"),
        ("test", "not_null_stg_a.sql", "warn"),
        ("seed", "device_types.csv", "success"),
        ("model", "staging/stg_b.sql", "OK"),
        ("model", "intermediate/int_a.sql", "SUCCESS 10390"),  # dbt-mysql: the server's answer
    ):
        progress.node(DbtNode(kind, path, status, total))
    progress("warning: not_null_stg_a: Got 1 result, configured to warn if != 0")

    shown = [re.sub(r"\d+\.\d s", "T s", line) for line in lines]
    assert shown == [
        "dbt: seeds loaded (2 seeds, T s)",
        "dbt: staging built (2 models, T s)",
        "dbt: intermediate built (1 model, T s)",
        f"dbt: 6 steps (2 seeds, 3 models, 1 test) in T s: 5 ok, 1 warned; full log {tmp_path}/logs/dbt.log",
        "warning: not_null_stg_a: Got 1 result, configured to warn if != 0",
    ]


def test_without_a_manifest_only_the_count_is_said(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "none"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path))
    lines: list[str] = []
    progress = PhaseProgress(lines.append)
    progress.node(DbtNode("model", "marts/daily_stats.sql", "error", 1))
    assert [re.sub(r"\d+\.\d s", "T s", line) for line in lines] == [
        f"dbt: 1 step (1 model) in T s: 1 error; full log {tmp_path}/dbt.log"
    ]
