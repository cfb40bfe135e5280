"""A warehouse to load and build in a test (a target plus the few verbs the metric tests
need), and the hand-computed one built once for a module."""

from __future__ import annotations

from datetime import date

import pytest

from bizstats.config import Target
from bizstats.db import connect, fetch_all
from tests_py.support.raw_files import write_csvs
from tests_py.support.sample_data import BUSINESS, TRAFFIC_EVENTS
from tests_py.support.services import mysql_schema, mysql_up, require


class Warehouse:
    """A target plus the few verbs the metric tests need: load rows, build, read marts."""

    def __init__(self, target: Target, tmp_path) -> None:
        self.target = target
        self._tmp = tmp_path
        self._loads = 0

    def load(self, **tables: list[dict]) -> None:
        """Write each table's rows to <table>.csv (header = union of keys) and load them."""
        from bizstats.load.loader import load_dir

        self._loads += 1
        folder = self._tmp / f"load{self._loads}"
        write_csvs(folder, tables)
        report = load_dir(self.target, folder)
        assert not report.rejected, report.rejected

    def build(
        self,
        start: str | None = None,
        end: str | None = None,
        day: str | None = None,
        with_tests: bool = False,
    ):
        """Build without dbt's tests unless asked: test_dbt_tests.py runs them."""
        from bizstats.build import build

        as_date = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        return build(
            self.target, day=as_date(day), start=as_date(start), end=as_date(end),
            with_tests=with_tests,
        )

    def query(self, sql: str) -> list[tuple]:
        with connect(self.target) as con:
            return fetch_all(con, sql.replace("{schema}", self.target.models_schema))

    def execute(self, sql: str) -> None:
        with connect(self.target) as con:
            con.cursor().execute(sql.replace("{schema}", self.target.models_schema))
            con.commit()

    def daily(self, day: str, channel: str = "all", device: str = "all") -> dict:
        from bizstats.export import read_daily_stats

        rows = read_daily_stats(self.target, date.fromisoformat(day), date.fromisoformat(day))
        [row] = [r for r in rows if r["channel"] == channel and r["device_type"] == device]
        return row

    def daily_table(self, start: str, end: str) -> list[dict]:
        """All daily_stats rows of the range, without the timestamps."""
        from bizstats.export import read_daily_stats

        rows = read_daily_stats(self.target, date.fromisoformat(start), date.fromisoformat(end))
        return [{k: v for k, v in r.items() if k not in ("created_at", "updated_at")} for r in rows]


def built_warehouse(name: str, tmp_path_factory, env: pytest.MonkeyPatch) -> Warehouse:
    """The hand-computed data (sample_data) loaded and built 2024-03-01 .. 03-12 on `name`."""
    if name == "duckdb":
        env.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path_factory.mktemp("wh") / "w.duckdb"))
    else:
        require(mysql_up(), "MariaDB/MySQL")
        env.setenv("BIZSTATS_MYSQL_SCHEMA", mysql_schema("q"))
    w = Warehouse(Target(name), tmp_path_factory.mktemp("loads"))
    w.load(event_logs=TRAFFIC_EVENTS, **BUSINESS)
    w.build(start="2024-03-01", end="2024-03-12")
    return w
