"""The docs site's metric pages follow the registry (models/semantic/_semantic.yml is generated
by bizstats.registry_docs and dbt 1.7 accepts it), and docs/adding-a-metric.md is right: its
YAML, pasted as it says, is a valid registry whose pages dbt parses, and each error line it
quotes is the one bizstats prints."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from dbt.cli.main import dbtRunner

from bizstats.errors import BizstatsError
from bizstats.registry import check_columns, load_registry, registry_from_vars
from bizstats.registry_docs import SEMANTIC_YML, docs_blocks, semantic_yml, sync_semantic_yml

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "adding-a-metric.md"
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def _pasted_project(tmp_path: Path) -> Path:
    """A copy of the project with the guide's entries pasted where it says: the metric entries
    at the end of `metrics:`, the dimensions at the end of `breakdown_dimensions:` (text edits
    of dbt_project.yml, as a person makes them), the values at the end of the seed."""
    project = tmp_path / "project"
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name)
        else:
            project.mkdir(exist_ok=True)
            shutil.copy(source, project / name)
    metrics, dimensions = _blocks("yaml")
    text = (project / "dbt_project.yml").read_text(encoding="utf-8")
    for after, block in (
        ("\n  # Breakdown dimensions", metrics),
        ("\n  # What a metric or a dimension", dimensions),
    ):
        cut = text.index(after)
        text = text[:cut].rstrip("\n") + "\n" + block + text[cut:]
    (project / "dbt_project.yml").write_text(text, encoding="utf-8")
    [values] = _blocks("csv")
    seed = project / "seeds" / "breakdown_values.csv"
    seed.write_text(seed.read_text(encoding="utf-8") + values, encoding="utf-8")
    return project


def test_the_committed_semantic_yml_is_the_generated_one():
    text = (ROOT / SEMANTIC_YML).read_text(encoding="utf-8")
    assert text == semantic_yml(load_registry(ROOT), docs_blocks(ROOT))
    assert text.startswith("# GENERATED from the metric registry")
    assert not sync_semantic_yml(ROOT)  # nothing to rewrite


def test_the_guide_pasted_gives_metric_pages_dbt_parses(tmp_path):
    project = _pasted_project(tmp_path)
    registry = load_registry(project)
    added = ["login_count", "login_users", "refund_amount", "member_conversion"]
    assert [m.name for m in registry.published()][-4:] == added
    assert [d.name for d in registry.dimensions][-2:] == ["province", "order_pay_method"]
    conversion = registry.metric("member_conversion")
    assert (conversion.kind, conversion.decimals, conversion.format, conversion.sql_type) == (
        "ratio",
        4,
        "percent",
        "decimal(18,4)",
    )
    assert registry.metric("refund_amount").time == "refunded_at"

    assert sync_semantic_yml(project)  # the pages follow the registry
    assert not sync_semantic_yml(project)
    target = tmp_path / "target"
    result = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--quiet",
            "--no-partial-parse",
        ]
    )
    assert result.success, result.exception
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    pages = {m["name"]: m for m in manifest["metrics"].values()}
    assert list(pages) == [m.name for m in registry.published()]
    assert pages["member_conversion"]["label"] == "会员转化率 Member conversion"
    assert pages["member_conversion"]["description"] == conversion.description  # no docs block
    assert pages["pv"]["description"].startswith("**PV 页面访问量 — page views**")  # its docs block
    measures = {m["name"]: m for model in manifest["semantic_models"].values() for m in model["measures"]}
    assert (measures["login_count_sum"]["agg"], measures["login_count_sum"]["non_additive_dimension"]) == (
        "sum",
        None,
    )
    assert measures["login_users_of_day"]["non_additive_dimension"]["name"] == "stat_date"
    assert measures["total_deduction_end"]["agg"] == "sum"
    check_columns(registry, target / "manifest.json")  # every column the guide names exists

    # the guide's line for a column the source does not have
    text = (project / "dbt_project.yml").read_text(encoding="utf-8")
    (project / "dbt_project.yml").write_text(
        text.replace("amount: amount\n      time: refunded_at", "amount: amout\n      time: refunded_at")
    )
    with pytest.raises(BizstatsError) as caught:
        check_columns(load_registry(project), target / "manifest.json")
    assert _guide_line("a column the source does not have").fullmatch(str(caught.value))


def _guide_line(mistake: str) -> re.Pattern[str]:
    """The line the guide quotes for `mistake` ("…" stands for an elided list)."""
    for row in GUIDE.read_text(encoding="utf-8").splitlines():
        if row.startswith(f"| {mistake} | `"):
            quoted = row.split(" | ", 1)[1].removesuffix(" |")[1:-1]
            return re.compile(".*".join(map(re.escape, quoted.split("…"))))
    raise AssertionError(f"the guide has no line for {mistake!r}")


def _entry(name: str, registry_vars: dict) -> dict:
    return next(m for m in registry_vars["metrics"] if m["name"] == name)


MISTAKES = {
    "unknown source": lambda v: _entry("login_count", v).update(source="event"),
    "unknown kind": lambda v: _entry("login_count", v).update(kind="counts"),
    "unknown format": lambda v: _entry("login_count", v).update(format="percentage"),
    "a required field missing": lambda v: _entry("login_count", v).pop("label_en"),
    "a field misspelt": lambda v: _entry("login_count", v).update(color="red"),
    "a name used twice": lambda v: _entry("login_count", v).update(name="pv"),
    "a key column's name": lambda v: _entry("login_count", v).update(name="channel"),
    "not snake_case": lambda v: _entry("login_count", v).update(name="Login-Count"),
    "a sum without amount": lambda v: _entry("refund_amount", v).pop("amount"),
    "a unique counter without distinct": lambda v: _entry("login_users", v).pop("distinct"),
    "a ratio's part missing": lambda v: _entry("member_conversion", v).update(denominator="uvv"),
    "a ratio of a ratio": lambda v: _entry("member_conversion", v).update(numerator="avg_visit_duration"),
    "too many decimals": lambda v: _entry("member_conversion", v).update(decimals=12),
    "a filter value that does not compile": lambda v: _entry("login_count", v).update(
        filter={"event_type": True}
    ),
    "a funnel step taken": lambda v: _entry("login_count", v).update(funnel_step=1),
    "a dimension with both value kinds": lambda v: v["breakdown_dimensions"][-2].update(column="channel"),
    "a dimension without population": lambda v: v["breakdown_dimensions"][-2].pop("source"),
    "a dimension over an unknown metric": lambda v: v["breakdown_dimensions"][-2].update(
        metric="logins", source=None
    ),
    "a dimension over a ratio": lambda v: v["breakdown_dimensions"][-2].update(
        metric="avg_visit_duration", source=None
    ),
    "a dimension name used twice": lambda v: v["breakdown_dimensions"][-2].update(name="card_type"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_guide_quotes_each_mistake_as_bizstats_prints_it(tmp_path, mistake):
    registry_vars = yaml.safe_load((_pasted_project(tmp_path) / "dbt_project.yml").read_text())["vars"]
    registry_from_vars(registry_vars)  # the guide's entries are valid as pasted
    broken = copy.deepcopy(registry_vars)
    MISTAKES[mistake](broken)
    for dimension in broken["breakdown_dimensions"]:
        if dimension.get("source", "") is None:
            del dimension["source"]
    with pytest.raises(BizstatsError) as caught:
        registry_from_vars(broken)
    assert _guide_line(mistake).fullmatch(str(caught.value)), str(caught.value)
