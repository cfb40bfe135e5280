"""What keeps a nightly's cost to the data of its range, never history, with the numbers
unchanged: the strict staging watermark, the bounded window of next page views, dbt tests
limited to the build range, and dbt's saved parse kept across nightlies for new dates
(benchmarks/bench_build.py measures the cost itself)."""

from __future__ import annotations

from datetime import date

import pytest

from bizstats import parse_state
from bizstats.config import project_dir
from bizstats.dbt_runner import run_dbt
from bizstats.errors import BizstatsError
from tests_py.support.sample_data import TRAFFIC_EVENTS, view


def _staged(wh, event_id: str) -> tuple:
    [row] = wh.query(
        f"select page_title, _loaded_at from {{schema}}.stg_event_logs where event_id = '{event_id}'"
    )
    return row


def test_a_nightly_rewrites_only_the_staged_rows_of_new_deliveries(wh):
    wh.load(event_logs=TRAFFIC_EVENTS)
    wh.build(start="2024-03-10", end="2024-03-11")
    # marks no build writes: a staged row that is rewritten loses its mark
    wh.execute("update {schema}.stg_event_logs set page_title = 'mark' where event_id in ('v1', 'v2')")

    wh.build(day="2024-03-11")  # no new rows: no staged row is read or written
    assert _staged(wh, "v1")[0] == "mark"
    assert _staged(wh, "v2")[0] == "mark"

    # a late delivery of v1 that wins (an earlier created_at): v1 is re-ranked, v2 untouched
    loaded_before = _staged(wh, "v1")[1]
    wh.load(event_logs=[_v1(channel="h5", created="2024-03-09 15:59:00")])
    wh.build(day="2024-03-11")
    title, loaded_at = _staged(wh, "v1")
    assert title is None  # rewritten from the raw delivery (which has no page_title)
    assert loaded_at > loaded_before
    assert _staged(wh, "v2")[0] == "mark"
    assert wh.query("select channel from {schema}.stg_event_logs where event_id = 'v1'") == [("h5",)]

    if wh.target.name == "duckdb":
        # DuckDB's raw table keeps every delivery (MySQL's keeps the winner only): a losing
        # one re-ranks v1 once, and then sits behind the watermark (`_loaded_at` is the
        # newest delivery's)
        wh.execute("update {schema}.stg_event_logs set page_title = 'mark' where event_id = 'v1'")
        wh.load(event_logs=[_v1(channel="app", created="2024-03-12 00:00:00")])
        wh.build(day="2024-03-11")
        assert _staged(wh, "v1")[0] is None
        assert wh.query("select channel from {schema}.stg_event_logs where event_id = 'v1'") == [("h5",)]

    wh.execute("update {schema}.stg_event_logs set page_title = 'mark' where event_id = 'v1'")
    wh.build(day="2024-03-11")  # nothing new: nothing rewritten
    assert _staged(wh, "v1")[0] == "mark"


def _v1(channel: str, created: str) -> dict:
    """Another delivery of the fixture's page view v1."""
    return view("v1", "2024-03-09 16:00:00", user="u1", session="s1", channel=channel, dtype="pc",
                created=created)


def test_a_next_view_beyond_the_window_still_clamps_to_a_day(wh):
    """The next view of a session is looked for up to a day after the range; a later one
    gives a gap over 86400 s, which clamps to 86400 — as a build of all days gives."""
    events = [
        view("a1", "2024-03-10 01:00:00", user="u1", session="s1"),  # next view 3 days later
        view("a2", "2024-03-13 01:00:00", user="u1", session="s1"),
        view("b1", "2024-03-10 02:00:00", user="u2", session="s2"),  # next view 2 h later
        view("b2", "2024-03-10 04:00:00", user="u2", session="s2"),
        view("c0", "2024-03-08 01:00:00", user="u3", session="s3"),  # before the range
        view("c1", "2024-03-10 05:00:00", user="u3", session="s3"),  # last view: 1 s
    ]
    wh.load(event_logs=events)
    wh.build(start="2024-03-10", end="2024-03-10")  # local 03-10: a1, b1, b2, c1
    durations = dict(wh.query(
        "select event_id, duration_seconds from {schema}.int_page_views "
        "where stat_date = date '2024-03-10'"
    ))
    assert durations == {"a1": 86400, "b1": 7200, "b2": 1, "c1": 1}


def test_staging_tests_look_at_the_build_range_only(duckdb_target, tmp_path):
    from tests_py.support.warehouse import Warehouse

    wh = Warehouse(duckdb_target, tmp_path)
    wh.load(event_logs=TRAFFIC_EVENTS)
    wh.build(start="2024-03-10", end="2024-03-11")
    # a broken staged row on local day 2024-03-10: v1 twice
    wh.execute(
        "insert into {schema}.stg_event_logs select * from {schema}.stg_event_logs where event_id = 'v1'"
    )
    select = ["test", "--select", "stg_event_logs"]
    outcome = run_dbt(duckdb_target, select, build_range=(date(2024, 3, 11), date(2024, 3, 11)))
    assert outcome.statuses and set(outcome.statuses.values()) <= {"pass", "warn"}
    with pytest.raises(BizstatsError, match="unique_stg_event_logs_event_id"):
        run_dbt(duckdb_target, select, build_range=(date(2024, 3, 10), date(2024, 3, 10)))


def test_a_nightly_for_a_new_date_reuses_dbt_parse(duckdb_target, tmp_path):
    from tests_py.support.warehouse import Warehouse

    wh = Warehouse(duckdb_target, tmp_path)
    wh.load(event_logs=TRAFFIC_EVENTS)
    wh.build(day="2024-03-10")
    saved = parse_state.target_path(project_dir()) / "partial_parse.msgpack"
    parsed_at = saved.stat().st_mtime_ns
    wh.build(day="2024-03-11")  # another range: dbt skips parsing, so rewrites nothing
    assert saved.stat().st_mtime_ns == parsed_at


def test_a_changed_project_file_forces_a_full_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: p\n")
    model = root / "models" / "m.sql"
    model.write_text("select 1 as a\n")
    first = parse_state.fingerprint(root)
    assert parse_state.parse_flags(root, first) == ["--no-partial-parse"]  # never parsed
    parse_state.remember(root, first)
    assert parse_state.parse_flags(root, parse_state.fingerprint(root)) == []
    model.write_text("select 2 as a\n")
    changed = parse_state.fingerprint(root)
    assert changed != first
    assert parse_state.parse_flags(root, changed) == ["--no-partial-parse"]
