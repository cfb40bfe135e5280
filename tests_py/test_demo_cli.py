"""`bizstats demo --out DIR` writes input templates only; `load --help` says where the format is."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from bizstats.cli import main
from bizstats.contract import TABLES


def test_demo_out_writes_the_csvs_and_touches_no_warehouse(duckdb_target, tmp_path, capsys):
    out = tmp_path / "csv" / "demo"  # parents are created
    assert main(["demo", "--out", str(out), "--days", "2", "--events-per-day", "300"]) == 0
    printed = capsys.readouterr().out

    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.csv" for name in TABLES)
    for name, table in TABLES.items():
        with (out / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert tuple(rows[0]) == table.column_names
        assert re.search(rf"{name}\.csv +{len(rows) - 1:,} rows", printed), name
    assert f"bizstats load {out}" in printed
    assert "models/docs/sources.md" in printed
    assert not Path(os.environ["BIZSTATS_DUCKDB_PATH"]).exists()  # nothing loaded or built

    # the templates are what `bizstats load` takes; only the deliberately dirty rows are refused
    assert main(["load", str(out)]) == 0
    printed = capsys.readouterr().out
    loaded = re.search(r"loaded (\d+) rows from 8 files into duckdb; (\d+) rejected", printed)
    assert loaded is not None
    written = sum(
        sum(1 for _ in (out / f"{name}.csv").open(encoding="utf-8")) - 1 for name in TABLES
    )
    assert int(loaded.group(1)) + int(loaded.group(2)) == written
    assert 0 < int(loaded.group(2)) <= 5


def test_demo_out_never_overwrites_files(tmp_path, capsys):
    (tmp_path / "users.csv").write_text("user_id\nmine\n", encoding="utf-8")
    assert main(["demo", "--out", str(tmp_path), "--days", "1", "--events-per-day", "50"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("bizstats: error:")
    assert "already holds users.csv" in err[-1]
    assert (tmp_path / "users.csv").read_text(encoding="utf-8") == "user_id\nmine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["users.csv"]


def test_load_help_says_where_the_input_format_is(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["load", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "models/docs/sources.md" in text
    assert "dbt docs" in text
    for name in TABLES:
        assert name in text
