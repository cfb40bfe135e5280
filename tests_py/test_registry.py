"""The metric registry (vars of dbt_project.yml, bizstats.registry): the shipped one loads as
declared; every bad entry is refused with its exact one-line message naming the entry and
the fix (each written into a copy of dbt_project.yml in a temporary folder); the columns an
entry names are checked against dbt's manifest; fingerprints move only with what computes a
metric or a dimension."""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bizstats.config import project_dir
from bizstats.errors import BizstatsError
from bizstats.registry import (
    KINDS,
    MARTS,
    RESERVED,
    check_columns,
    load_registry,
    model_columns,
    registry_from_vars,
)

SHIPPED_VARS = yaml.safe_load((project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
SOURCES = ", ".join(SHIPPED_VARS["metric_sources"])
METRIC_NAMES = ", ".join(m["name"] for m in SHIPPED_VARS["metrics"])

LOGIN = {
    "name": "login_count", "label_zh": "登录次数", "label_en": "Logins", "unit": "count",
    "format": "integer", "description": "Login events.", "kind": "counter", "source": "events",
    "filter": {"event_type": "login"},
}  # fmt: skip
PROVINCE = {"name": "province", "label_zh": "省份", "label_en": "Province", "source": "events",
            "filter": {"event_type": "page_view"}, "field": "province"}  # fmt: skip


def _write(folder: Path, values: dict[str, Any]) -> Path:
    document = yaml.safe_load((project_dir() / "dbt_project.yml").read_text(encoding="utf-8"))
    document["vars"] = values
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dbt_project.yml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return folder


def _vars(metrics: list[dict] | None = None, dimensions: list[dict] | None = None, **more: Any) -> dict:
    values = copy.deepcopy(SHIPPED_VARS)
    values["metrics"] += metrics or []
    values["breakdown_dimensions"] += dimensions or []
    values.update(more)
    return values


def _error(tmp_path: Path, values: dict[str, Any]) -> str:
    with pytest.raises(BizstatsError) as caught:
        load_registry(project_dir=_write(tmp_path / "project", values))
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- the shipped registry -------------------------------------------------------------------


def test_the_shipped_registry():
    registry = load_registry()
    assert [m.name for m in registry.metrics] == [
        "pv", "uv", "visit_duration_total", "avg_visit_duration", "real_name_count", "bind_card_count",
        "new_member_count", "credit_order_count", "daily_member_deduction", "history_member_deduction",
        "total_deduction",
    ]  # fmt: skip
    published = [m.name for m in registry.published()]
    assert len(registry.metrics) == 11 and len(published) == 10
    assert "visit_duration_total" not in published
    assert [d.name for d in registry.dimensions] == [
        "auth_method", "card_type", "member_type", "member_payment_method", "credit_order_status",
        "member_deduction_mode", "member_deduction_status",
    ]  # fmt: skip
    for mart in MARTS[:4]:
        assert [m.name for m in registry.mart_metrics(mart)] == published
    assert [m.name for m in registry.mart_metrics("user_type_daily_stats")] == published[:-2]
    assert {m.name for m in registry.metrics if m.additive} == {
        "pv", "visit_duration_total", "real_name_count", "bind_card_count", "new_member_count",
        "credit_order_count", "daily_member_deduction",
    }  # fmt: skip
    assert [m.name for m in registry.metrics if m.cumulative] == [
        "history_member_deduction",
        "total_deduction",
    ]
    assert [(m.name, m.funnel_step) for m in registry.metrics if m.funnel_step] == [
        ("uv", 1), ("real_name_count", 2), ("bind_card_count", 3), ("new_member_count", 4),
        ("credit_order_count", 5),
    ]  # fmt: skip
    assert [m.name for m in registry.event_metrics()] == ["pv", "uv"]


def test_defaults_are_filled_in():
    registry = load_registry()
    real_name = registry.metric("real_name_count")
    assert (real_name.source, real_name.time, real_name.filter) == (
        "real_name_auths",
        "approved_at",
        (("status", ("approved",)),),
    )
    credit = registry.metric("credit_order_count")  # no time given: the source's
    assert (credit.time, credit.short_zh, credit.published, credit.decimals) == (
        "created_at",
        "额度下单",
        True,
        0,
    )
    duration = registry.metric("visit_duration_total")  # no short labels: the labels
    assert (duration.short_zh, duration.short_en) == (duration.label_zh, duration.label_en)
    assert [m.sql_type for m in registry.metrics] == [
        "integer", "integer", "integer", "integer", "integer", "integer", "integer", "integer",
        "decimal(18,2)", "decimal(18,2)", "decimal(18,2)",
    ]  # fmt: skip
    assert registry.source_of(registry.dimension("member_type")).model == "stg_member_orders"
    with pytest.raises(BizstatsError, match=f"^unknown metric 'foo': the registry .* has {METRIC_NAMES}$"):
        registry.metric("foo")
    with pytest.raises(BizstatsError, match="^unknown mart 'daily': one of daily_stats, "):
        registry.mart_metrics("daily")


def test_the_worked_example_loads(tmp_path):
    """The four metrics and the dimension of docs/adding-a-metric.md's example."""
    users = {**LOGIN, "name": "login_users", "kind": "unique_counter", "distinct": "user_id"}
    refunds = {"name": "refund_amount", "label_zh": "退款金额", "label_en": "Refunds", "unit": "yuan",
               "format": "money", "description": "Successful refunds.", "kind": "sum", "source": "refunds",
               "filter": {"status": "success"}, "amount": "amount", "time": "refunded_at"}  # fmt: skip
    conversion = {"name": "member_conversion", "label_zh": "会员转化率", "label_en": "Member conversion",
                  "unit": "ratio", "format": "percent", "description": "New members / UV.", "kind": "ratio",
                  "numerator": "new_member_count", "denominator": "uv", "decimals": 4}  # fmt: skip
    folder = _write(tmp_path / "project", _vars([LOGIN, users, refunds, conversion], [PROVINCE]))
    registry = load_registry(project_dir=folder)
    assert [m.name for m in registry.published()][-4:] == [
        "login_count",
        "login_users",
        "refund_amount",
        "member_conversion",
    ]
    ratio = registry.metric("member_conversion")
    assert (ratio.sql_type, ratio.additive, ratio.source, ratio.time) == ("decimal(18,4)", False, None, None)
    assert (registry.metric("login_users").additive, registry.metric("refund_amount").sql_type) == (
        False,
        "decimal(18,2)",
    )
    assert [m.name for m in registry.event_metrics()] == ["pv", "uv", "login_count", "login_users"]
    province = registry.dimension("province")
    assert (province.field, province.time, province.filter) == (
        "province",
        "event_time",
        (("event_type", ("page_view",)),),
    )


def test_load_is_cached_on_the_file(tmp_path):
    folder = _write(tmp_path / "project", _vars())
    first = load_registry(project_dir=folder)
    assert load_registry(project_dir=folder) is first
    _write(folder, _vars([LOGIN]))
    later = time.time() + 5  # a new mtime whatever the file system's clock resolution
    os.utime(folder / "dbt_project.yml", (later, later))
    assert load_registry(project_dir=folder).metric("login_count").filter == (("event_type", ("login",)),)


# --- each bad entry: one line naming it and the fix -------------------------------------------


def _metric(**fields: Any) -> dict:
    entry = {**LOGIN, **fields}
    return {k: v for k, v in entry.items() if v is not None}


BAD_METRICS = [
    (
        _metric(source="event"),
        f"metric 'login_count': unknown source 'event' (sources: {SOURCES}): set source to one of them",
    ),
    (
        _metric(kind="counters"),
        f"metric 'login_count': unknown kind 'counters' (kinds: {', '.join(KINDS)}): set kind to one of them",
    ),
    (
        _metric(format="percentage"),
        "metric 'login_count': unknown format 'percentage' (formats: integer, duration, money, decimal, "
        "percent): set format to one of them",
    ),
    (_metric(label_en=None), "metric 'login_count': label_en is missing: add `label_en:` to the entry"),
    (
        _metric(description=""),
        "metric 'login_count': description is missing: add `description:` to the entry",
    ),
    (_metric(label_zh=3), "metric 'login_count': label_zh must be text, got a number 3: quote it"),
    (_metric(source=None), "metric 'login_count': kind counter needs source: add `source:` to the entry"),
    (_metric(kind="sum"), "metric 'login_count': kind sum needs amount: add `amount:` to the entry"),
    (
        _metric(kind="cumulative"),
        "metric 'login_count': kind cumulative needs amount: add `amount:` to the entry",
    ),
    (
        _metric(kind="unique_counter"),
        "metric 'login_count': kind unique_counter needs distinct: add `distinct:` to the entry",
    ),
    (
        _metric(kind="ratio", source=None, filter=None, numerator="pv"),
        "metric 'login_count': kind ratio needs denominator: add `denominator:` to the entry",
    ),
    (
        _metric(kind="ratio", numerator="pv", denominator="uv"),
        "metric 'login_count': kind ratio takes no source (it takes numerator, denominator, decimals): "
        "remove `source:`",
    ),
    (
        _metric(amount="amount"),
        "metric 'login_count': kind counter takes no amount (it takes source, filter, time): remove "
        "`amount:`",
    ),
    (
        _metric(sourse="events"),
        "metric 'login_count': unknown field 'sourse' (fields: name, label_zh, label_en, short_zh, short_en, "
        "unit, format, description, kind, source, filter, time, amount, distinct, numerator, denominator, "
        "decimals, funnel_step, published, warn_above): remove it or fix its spelling",
    ),
    (
        _metric(additive=True),
        "metric 'login_count': unknown field 'additive' (additive is derived from kind) (fields: name, "
        "label_zh, "
        "label_en, short_zh, short_en, unit, format, description, kind, source, filter, time, amount, "
        "distinct, "
        "numerator, denominator, decimals, funnel_step, published, warn_above): remove it or fix its "
        "spelling",
    ),
    (
        _metric(name="LoginCount"),
        "metric 'LoginCount': name 'LoginCount' is not snake_case of at most 64 characters "
        "([a-z][a-z0-9_]*): "
        "rename it",
    ),
    (
        _metric(name="l" * 65),
        f"metric '{'l' * 65}': name '{'l' * 65}' is not snake_case of at most 64 characters "
        "([a-z][a-z0-9_]*): "
        "rename it",
    ),
    (
        _metric(name="channel"),
        f"metric 'channel': 'channel' is a key column of the marts ({', '.join(RESERVED)}): choose another "
        "name",
    ),
    (_metric(name="pv"), "metric 'pv': the name is used by two metrics: rename or remove one of them"),
    (
        _metric(funnel_step=3),
        "metric 'login_count': funnel_step 3 is also metric 'bind_card_count''s: give each funnel step its "
        "own number",
    ),
    (_metric(funnel_step="6"), "metric 'login_count': funnel_step must be a whole number from 1, got '6'"),
    (_metric(published="no"), "metric 'login_count': published must be true or false, got 'no'"),
    (
        _metric(kind="ratio", source=None, filter=None, numerator="pv", denominator="uv", decimals=12),
        "metric 'login_count': decimals must be a whole number from 0 to 8, got 12",
    ),
    (
        _metric(kind="ratio", source=None, filter=None, numerator="pv", denominator="visitors"),
        "metric 'login_count': denominator 'visitors' is not a metric of the registry (metrics: "
        f"{METRIC_NAMES}, "
        "login_count): name one of them",
    ),
    (
        _metric(kind="ratio", source=None, filter=None, numerator="avg_visit_duration", denominator="uv"),
        "metric 'login_count': numerator 'avg_visit_duration' is a ratio: a ratio's parts are counters, "
        "counts, "
        "unique counters, sums or first_time metrics (published: false keeps a part out of the marts)",
    ),
    (
        _metric(kind="ratio", source=None, filter=None, numerator="pv", denominator="total_deduction"),
        "metric 'login_count': denominator 'total_deduction' is a cumulative: a ratio's parts are counters, "
        "counts, unique counters, sums or first_time metrics (published: false keeps a part out of the "
        "marts)",
    ),
    (
        _metric(filter={"event_type": True}),
        "metric 'login_count': filter event_type: value True is true/false, not text or a number: quote it "
        "(e.g. 'true') or use a number",
    ),
    (
        _metric(filter={"event_type": None}),
        "metric 'login_count': filter event_type: value None is nothing, not text or a number: quote it "
        "(e.g. 'true') or use a number",
    ),
    (
        _metric(filter={"event_type": {"in": ["login"]}}),
        "metric 'login_count': filter event_type: value {'in': ['login']} is a mapping, not text or a "
        "number: "
        "quote it (e.g. 'true') or use a number",
    ),
    (
        _metric(filter={"event_type": []}),
        "metric 'login_count': filter event_type: the list of values is empty: give at least one value",
    ),
    (
        _metric(filter=["event_type = 'login'"]),
        "metric 'login_count': filter must be a mapping `column: value` or `column: [v1, v2]`, got a list",
    ),
    (
        _metric(filter={"event_type; drop table x": "login"}),
        "metric 'login_count': filter key 'event_type; drop table x' is not a column name or "
        "extra_data.<field> (letters, digits and _): fix the key",
    ),
    (
        _metric(filter={"extra_data.": "x"}),
        "metric 'login_count': filter key 'extra_data.' is not a column name or extra_data.<field> "
        "(letters, digits and _): fix the key",
    ),
    (
        _metric(time="event time"),
        "metric 'login_count': time 'event time' is not a column name (letters, digits and _): name a column",
    ),
    (
        _metric(warn_above=True),
        "metric 'login_count': warn_above must be a number or the name of another metric, got True",
    ),
    (
        _metric(warn_above="logins"),
        "metric 'login_count': warn_above 'logins' is not another published metric of the registry "
        "(metrics: " + ", ".join(m["name"] for m in SHIPPED_VARS["metrics"]) + ", login_count): give a "
        "number or one of them",
    ),
    ("pv", "metric #12: is not a mapping of fields but str: write it as `- name: ...` lines"),
]


@pytest.mark.parametrize(("entry", "message"), BAD_METRICS, ids=[m for _, m in BAD_METRICS])
def test_a_bad_metric_is_one_line_naming_it(tmp_path, entry, message):
    assert _error(tmp_path, _vars([entry])) == message


def _dimension(**fields: Any) -> dict:
    entry = {"name": "order_pay_method", "label_zh": "支付方式", "label_en": "Payment method",
             "metric": "credit_order_count", "column": "pay_method", **fields}  # fmt: skip
    return {k: v for k, v in entry.items() if v is not None}


BAD_DIMENSIONS = [
    (
        _dimension(field="pay_method"),
        "dimension 'order_pay_method': has both column and field: keep one of them",
    ),
    (
        _dimension(column=None),
        "dimension 'order_pay_method': needs column (a column of the source) or field (a field of its "
        "extra_data): add one of them",
    ),
    (
        _dimension(source="orders"),
        "dimension 'order_pay_method': has both metric and source: keep one of them",
    ),
    (
        _dimension(metric=None),
        "dimension 'order_pay_method': needs metric (the rows a metric counts) or source (rows of its own): "
        "add one of them",
    ),
    (
        _dimension(metric="orders"),
        "dimension 'order_pay_method': metric 'orders' is not a metric of the registry (metrics: "
        f"{METRIC_NAMES}): "
        "name one of them",
    ),
    (
        _dimension(metric="avg_visit_duration"),
        "dimension 'order_pay_method': metric 'avg_visit_duration' is a ratio, which has no rows of its own: "
        "name a metric of kind counter, count, unique_counter, sum, first_time, or give a source",
    ),
    (
        _dimension(metric="total_deduction"),
        "dimension 'order_pay_method': metric 'total_deduction' is a cumulative, which has no rows of its "
        "own: "
        "name a metric of kind counter, count, unique_counter, sum, first_time, or give a source",
    ),
    (
        _dimension(filter={"status": "paid"}),
        "dimension 'order_pay_method': filter comes from metric 'credit_order_count': remove `filter:`, or "
        "use "
        "source, not metric",
    ),
    (
        _dimension(metric=None, source="order"),
        f"dimension 'order_pay_method': unknown source 'order' (sources: {SOURCES}): set source to one of "
        "them",
    ),
    (
        _dimension(name="card_type"),
        "dimension 'card_type': the name is used by two dimensions: rename or remove one",
    ),
    (_dimension(name="pv"), "dimension 'pv': the name is also a metric's: give the dimension another name"),
    (
        _dimension(label_zh=None),
        "dimension 'order_pay_method': label_zh is missing: add `label_zh:` to the entry",
    ),
    (
        _dimension(field="pay method", column=None),
        "dimension 'order_pay_method': field 'pay method' is not a field name (letters, digits and _): fix "
        "it",
    ),
    (
        _dimension(values=["credit"]),
        "dimension 'order_pay_method': unknown field 'values' (fields: name, label_zh, label_en, metric, "
        "source, "
        "filter, time, column, field, amount): remove it or fix its spelling",
    ),
]


@pytest.mark.parametrize(("entry", "message"), BAD_DIMENSIONS, ids=[m for _, m in BAD_DIMENSIONS])
def test_a_bad_dimension_is_one_line_naming_it(tmp_path, entry, message):
    assert _error(tmp_path, _vars(dimensions=[entry])) == message


def test_bad_sources_and_lists(tmp_path):
    sources = copy.deepcopy(SHIPPED_VARS["metric_sources"])
    sources["events"]["slice"] = "session"
    assert _error(tmp_path, _vars(metric_sources=sources)) == (
        "source 'events': slice 'session' is not one of own, user: set slice to one of them"
    )
    del sources["events"]["slice"]
    assert _error(tmp_path, _vars(metric_sources=sources)) == (
        "source 'events': slice is missing: add `slice:` to the entry"
    )
    assert _error(tmp_path, _vars(metrics=None) | {"metrics": []}) == (
        "vars.metrics of dbt_project.yml must be a list of metric entries: add one"
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "dbt_project.yml").write_text("vars:\n  metrics:\n    - name: pv\n   kind: counter\n")
    with pytest.raises(BizstatsError) as caught:
        load_registry(project_dir=broken)
    assert str(caught.value) == (
        f"{broken / 'dbt_project.yml'} is not valid YAML at line 4, column 4: expected <block end>, "
        "but found '<block mapping start>': fix the file"
    )
    with pytest.raises(BizstatsError, match="^vars.breakdown_dimensions of dbt_project.yml must be a list"):
        registry_from_vars(_vars() | {"breakdown_dimensions": {"a": 1}})


# --- the columns, against dbt's manifest ------------------------------------------------------


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    """The repository's project as `dbt parse` sees it."""
    from dbt.cli.main import dbtRunner

    target = tmp_path_factory.mktemp("parse")
    root = str(project_dir())
    result = dbtRunner().invoke([
        "parse", "--project-dir", root, "--profiles-dir", root, "--target", "duckdb",
        "--target-path", str(target), "--no-partial-parse",
    ])  # fmt: skip
    assert result.success, result.exception
    return json.loads((target / "manifest.json").read_text(encoding="utf-8"))


def _columns(manifest: dict, model: str) -> str:
    found = model_columns(manifest, model)
    assert found, model
    return ", ".join(found)


def test_the_shipped_registry_names_documented_columns(manifest):
    check_columns(load_registry(), manifest)
    assert model_columns(manifest, "no_such_model") is None


def _column_error(
    manifest: dict, metrics: list[dict] | None = None, dimensions: list[dict] | None = None, **more: Any
) -> str:
    registry = registry_from_vars(_vars(metrics, dimensions, **more))
    with pytest.raises(BizstatsError) as caught:
        check_columns(registry, manifest)
    return str(caught.value)


def test_a_column_not_in_the_model_is_one_line_listing_its_columns(manifest, tmp_path):
    events, orders = _columns(manifest, "stg_event_logs"), _columns(manifest, "stg_orders")
    assert _column_error(manifest, [_metric(filter={"event_typ": "login"})]) == (
        "metric 'login_count': filter column 'event_typ' is not a column of stg_event_logs (columns: "
        f"{events}): "
        "name one of them"
    )
    assert _column_error(manifest, [_metric(time="logged_in_at")]) == (
        f"metric 'login_count': time 'logged_in_at' is not a column of stg_event_logs (columns: {events}): "
        "name one of them"
    )
    assert _column_error(manifest, [_metric(kind="sum", source="orders", filter=None, amount="total")]) == (
        f"metric 'login_count': amount 'total' is not a column of stg_orders (columns: {orders}): name one "
        "of them"
    )
    assert _column_error(manifest, [_metric(kind="unique_counter", distinct="visitor")]) == (
        f"metric 'login_count': distinct 'visitor' is not a column of stg_event_logs (columns: {events}): "
        "name one of them"
    )
    assert _column_error(manifest, [_metric(source="orders", filter={"extra_data.province": "gd"})]) == (
        f"metric 'login_count': filter 'extra_data.province' reads extra_data, which stg_orders has not "
        f"(columns: {orders}): filter on a column, or use a source with extra_data (events)"
    )
    assert _column_error(manifest, dimensions=[_dimension(column="method")]) == (
        f"dimension 'order_pay_method': column 'method' is not a column of stg_orders (columns: {orders}): "
        "name one of them"
    )
    assert _column_error(manifest, dimensions=[_dimension(column=None, field="province")]) == (
        f"dimension 'order_pay_method': field 'province' reads extra_data, which stg_orders has not "
        f"(columns: {orders}): use a column, or a source with extra_data (events)"
    )
    sources = copy.deepcopy(SHIPPED_VARS["metric_sources"]) | {
        "logins": {"model": "stg_logins", "time": "event_time", "id": "event_id", "slice": "own",
                   "user_type": "user"}}  # fmt: skip
    assert _column_error(manifest, metric_sources=sources) == (
        "source 'logins': model 'stg_logins' is not a model of the dbt project: set model to one "
        "(models/staging or models/intermediate)"
    )
    undocumented = copy.deepcopy(manifest)
    for node in undocumented["nodes"].values():
        if node.get("name") == "stg_orders":
            node["columns"] = {}
    with pytest.raises(BizstatsError) as caught:
        check_columns(load_registry(), undocumented)
    assert str(caught.value) == (
        "source 'orders': model stg_orders documents no columns: list every column in its yml "
        "(models/staging/_staging.yml or models/intermediate/_intermediate.yml)"
    )
    # the worked example's dimension and an extra_data filter of events pass
    check_columns(
        registry_from_vars(_vars([_metric(filter={"extra_data.method": "sms"})], [PROVINCE])), manifest
    )
    # a manifest file's path works as well as the parsed manifest
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    check_columns(load_registry(), path)


# --- fingerprints -------------------------------------------------------------------------------


def _prints(values: dict) -> dict[str, str]:
    return registry_from_vars(values).fingerprint()


def test_fingerprints_follow_what_computes_a_metric():
    shipped = _prints(_vars())
    assert set(shipped) == {m["name"] for m in SHIPPED_VARS["metrics"]} | {
        d["name"] for d in SHIPPED_VARS["breakdown_dimensions"]
    }
    assert all(len(v) == 64 for v in shipped.values()) and _prints(_vars()) == shipped

    def changed(edit) -> set[str]:
        values = _vars()
        edit(values)
        after = _prints(values)
        return {name for name in shipped.keys() | after.keys() if shipped.get(name) != after.get(name)}

    def metric(values: dict, name: str) -> dict:
        return next(m for m in values["metrics"] if m["name"] == name)

    # labels, description, unit, funnel step: nothing to recompute
    assert changed(lambda v: metric(v, "pv").update(label_en="Views", description="x", unit="views")) == set()
    assert changed(lambda v: metric(v, "credit_order_count").update(funnel_step=9)) == set()
    # a ratio's part changes the ratio; a dimension's metric changes the dimension
    assert changed(lambda v: metric(v, "uv").update(distinct="user_id")) == {"uv", "avg_visit_duration"}
    assert changed(
        lambda v: metric(v, "credit_order_count").update(filter={"pay_method": ["credit", "loan"]})
    ) == {"credit_order_count", "credit_order_status"}
    assert changed(lambda v: metric(v, "new_member_count").update(time="paid_at")) == {
        "new_member_count",
        "member_type",
        "member_payment_method",
    }
    # the column type: a sum's format integer makes an integer column
    assert changed(lambda v: metric(v, "daily_member_deduction").update(format="integer")) == {
        "daily_member_deduction"
    }
    assert changed(lambda v: metric(v, "daily_member_deduction").update(format="decimal")) == set()
    assert changed(lambda v: metric(v, "avg_visit_duration").update(decimals=2)) == {"avg_visit_duration"}
    assert changed(lambda v: metric(v, "uv").update(published=False)) == {"uv"}
    # the source's spec is part of every metric and dimension reading it
    assert changed(lambda v: v["metric_sources"]["deductions"].update(time="created_at")) == {
        "daily_member_deduction",
        "member_deduction_mode",
        "member_deduction_status",
    }
    # an added or removed entry
    assert changed(lambda v: v["metrics"].append(LOGIN)) == {"login_count"}
    assert changed(lambda v: v["breakdown_dimensions"].pop()) == {"member_deduction_status"}
    # a filter's order does not matter, its values' types do ('1' and 1 are other SQL)
    same = _vars([_metric(filter={"event_type": "login", "channel": ["app", "h5"]})])
    other = _vars([_metric(filter={"channel": ["h5", "app"], "event_type": "login"})])
    assert _prints(same)["login_count"] == _prints(other)["login_count"]
    assert (
        _prints(_vars([_metric(filter={"amount": 1})]))["login_count"]
        != _prints(_vars([_metric(filter={"amount": "1"})]))["login_count"]
    )
