"""The CLI end to end on DuckDB: load -> build -> export, help, and one-line errors."""

from __future__ import annotations

import json
import os
import re

import pytest

from bizstats.cli import main
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.warehouse import Warehouse


def test_help_explains_each_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("load", "build", "export", "demo"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "yesterday" in capsys.readouterr().out


def test_load_build_export(duckdb_target, tmp_path, capsys):
    Warehouse(duckdb_target, tmp_path).load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    capsys.readouterr()
    assert main(["build", "--start", "2024-03-10", "--end", "2024-03-11"]) == 0
    assert "built 2024-03-10 .. 2024-03-11 (2 days) on duckdb" in capsys.readouterr().out

    assert main(["export", "daily_stats", "--start", "2024-03-10", "--end", "2024-03-10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "stat_date,channel,device_type,pv,uv,avg_visit_duration,real_name_count,bind_card_count,"
        "new_member_count,credit_order_count,daily_member_deduction,history_member_deduction,"
        "total_deduction,created_at,updated_at"
    )
    assert len(lines) == 1 + 30
    all_all = next(line for line in lines if ",all,all," in line)
    assert all_all.startswith("2024-03-10,all,all,7,5,9,1,1,1,3,30.00,30.00,42.34,")

    # one slice: --channel and --device, each alone or together (`all`: the sum)
    export = ["export", "daily_stats", "--start", "2024-03-10", "--end", "2024-03-11"]
    for filters, expected in (
        (["--channel", "all", "--device", "all"],
         [("2024-03-10", "all", "all"), ("2024-03-11", "all", "all")]),
        (["--channel", "wechat", "--device", "mobile", "--start", "2024-03-11"],
         [("2024-03-11", "wechat", "mobile")]),
        (["--device", "pc", "--end", "2024-03-10"],
         [("2024-03-10", channel, "pc") for channel in ("all", "app", "h5", "official", "other", "wechat")]),
    ):
        assert main([*export, *filters]) == 0
        rows = [tuple(line.split(",")[:3]) for line in capsys.readouterr().out.splitlines()[1:]]
        assert rows == expected, filters
    assert main([*export, "--channel", "all", "--device", "all"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == all_all
    assert main([*export, "--channel", "weixin"]) == 1
    assert capsys.readouterr().err == (
        "bizstats: error: --channel weixin: no such channel; choose one of all, official, wechat, app, "
        "h5, other\n"
    )

    assert main(
        ["export", "daily_stats", "--start", "2024-03-11", "--end", "2024-03-11", "--format", "json"]
    ) == 0
    text = capsys.readouterr().out
    records = json.loads(text)
    [row] = [r for r in records if r["channel"] == "other" and r["device_type"] == "other"]
    assert row["stat_date"] == "2024-03-11"
    # money is an exact decimal string, never a float
    assert (row["pv"], row["real_name_count"], row["daily_member_deduction"]) == (1, 1, "20.00")
    assert '"daily_member_deduction": "20.00",' in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "--date", "2024-02-30"], "not a date"),
        (["export", "daily_stats", "--start", "2024-03-02", "--end", "2024-03-01"], "after"),
        (["build", "--start", "2024-03-01"], "both --start and --end"),
        (["load", "/nonexistent/dir"], "not a directory"),
        (["export", "daily_stats", "--start", "2024-03-01", "--end", "2024-03-01"], "does not exist"),
    ],
)
def test_errors_exit_non_zero_with_one_clear_line(duckdb_target, argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse errors exit 2
        code = exit_.code
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]
    if code == 1:  # our errors (not argparse's usage + error) are exactly one line
        assert len(err) == 1 and err[0].startswith("bizstats: error: ")
    if argv[0] == "export":  # export reads only: it never leaves an empty database behind
        assert not duckdb_target.duckdb_path.exists()


def test_export_before_any_build_says_build_first(duckdb_target, tmp_path, capsys):
    Warehouse(duckdb_target, tmp_path).load(users=[{"user_id": "u1"}])
    capsys.readouterr()
    assert main(["export", "daily_stats", "--start", "2024-03-01", "--end", "2024-03-01"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"bizstats: error: duckdb {duckdb_target.duckdb_path}: Catalog Error: Table with name "
        "daily_stats does not exist!; run `bizstats build` first\n"
    )


def test_demo_loads_builds_and_reports(duckdb_target, capsys):
    assert main(["demo", "--days", "3", "--events-per-day", "400", "--report-days", "2"]) == 0
    captured = capsys.readouterr()
    assert "bizstats daily_stats, all channels / all devices" in captured.out
    assert "by channel (all devices)" in captured.out
    # the generator's malformed rows are rejected and reported, not lost
    reported = re.search(r"(\d+) dirty rows rejected", captured.err)
    assert reported is not None
    from bizstats.db import connect, fetch_all

    with connect(duckdb_target) as con:
        [(rejected,)] = fetch_all(con, "select count(*) from main_raw._rejected_rows")
        [(days, rows, pv)] = fetch_all(
            con,
            "select count(distinct stat_date), count(*), sum(case when channel = 'all' "
            "and device_type = 'all' then pv else 0 end) from main.daily_stats",
        )
    assert rejected == int(reported.group(1)) > 0
    assert rows == days * 30 and days >= 3
    assert pv > 0
    _assert_demo_progress(duckdb_target, captured.err.splitlines())


def _assert_demo_progress(target, lines: list[str]) -> None:
    """`bizstats demo` says one line per phase of dbt's run, not one per node; the warnings of
    its orphan user in one line; the checks once; and how long it took."""
    from datetime import date, timedelta

    from bizstats.db import connect, describe, fetch_all

    assert not [line for line in lines if re.match(r"\d+ of \d+ ", line)]
    phases = [re.fullmatch(r"dbt: (\w+) (?:loaded|built) \((\d+) (\w+?)s?, [\d.]+ s\)", line)
              for line in lines if line.startswith("dbt: ") and " steps " not in line]
    assert all(phases), lines
    assert sorted(m.group(1) for m in phases) == ["intermediate", "marts", "seeds", "semantic", "staging"]
    [summary] = [line for line in lines if re.match(r"dbt: \d+ steps ", line)]
    counted = re.match(r"dbt: (\d+) steps \((\d+) seeds, (\d+) models, (\d+) tests\) in [\d.]+ s: "
                       r"(\d+) ok, 5 warned; full log (\S+)$", summary)
    assert counted, summary
    steps, seeds, models, tests, ok, log = counted.groups()
    assert int(steps) == int(seeds) + int(models) + int(tests) == int(ok) + 5
    # every model dbt ran is in one phase's line
    assert sum(int(m.group(2)) for m in phases) == int(seeds) + int(models)
    assert log.endswith("dbt.log") and (os.path.getsize(log) > 0)
    assert not [line for line in lines if line.startswith("warning: relationships_")]
    assert lines.count(
        "warning: 5 relationships_stg_*_user_id checks found business rows of a user missing from "
        "`users`: the demo writes them on purpose (dirty data the checks must flag)"
    ) == 1
    # the checks ran once over the report's days: the quality board has what to show
    [checked] = [line for line in lines if line.startswith("checked ")]
    first, last = re.match(r"checked (\S+) \.\. (\S+): \d+ anomalies flagged, 5 monitors", checked).groups()
    assert date.fromisoformat(last) - date.fromisoformat(first) == timedelta(days=1)
    with connect(target) as con:
        monitors = fetch_all(con, "select count(distinct monitor_name), count(distinct checked_at) "
                                  "from main.monitor_results")
    assert monitors[0][0] > 0 and monitors[0][1] == 1, monitors
    built = re.fullmatch(rf"built (\S+) \.\. {last} \((\d+) days\) on {re.escape(describe(target))} in \d+ s",
                         lines[-1])
    assert built, lines[-1]
    assert (date.fromisoformat(last) - date.fromisoformat(built.group(1))).days + 1 == int(built.group(2))


def test_keys_list_is_aligned_in_columns(duckdb_target, tmp_path, capsys):
    import unicodedata

    Warehouse(duckdb_target, tmp_path).load(users=[{"user_id": "u1"}])
    assert main(["keys", "list"]) == 0
    said = capsys.readouterr().out
    assert said == "no keys on duckdb: create one with `bizstats keys create --name NAME`\n"
    for name, scope in (("finance-bi", "read"), ("运营看板", "read"), ("collector-of-the-shop", "write")):
        assert main(["keys", "create", "--name", name, "--scope", scope]) == 0
    first = capsys.readouterr().err.split()[1]  # "key <id> (read) for finance-bi: ..."
    assert main(["keys", "revoke", first]) == 0
    capsys.readouterr()

    assert main(["keys", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()

    def starts(line: str) -> list[int]:
        """Where each cell starts, in terminal columns (a CJK character is two wide)."""
        cells = re.finditer(r"(?:(?<=^)|(?<=  ))(?! )", line)
        return [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[: m.start()])
                for m in cells]

    assert len(lines) == 4
    assert len({tuple(starts(line)) for line in lines}) == 1, lines
    assert re.split(r"  +", lines[0]) == ["KEY ID", "SCOPE", "CONSUMER", "CREATED (UTC)", "STATE"]
    rows = [re.split(r"  +", line) for line in lines[1:]]
    assert sorted((r[1], r[2], r[4].split(" ")[0]) for r in rows) == [
        ("read", "finance-bi", "revoked"),
        ("read", "运营看板", "active"),
        ("write", "collector-of-the-shop", "active"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[3]) for r in rows)
