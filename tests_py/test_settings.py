"""The one settings object (bizstats.settings), the one time zone (bizstats.local_time), and
library functions that leave no process-global state changed: the environment and the
interpreter's switch interval are exactly as they were after each of them."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from bizstats import local_time
from bizstats import project_vars as project_vars_module
from bizstats import settings as settings_module
from bizstats.build import yesterday_local
from bizstats.config import Target
from bizstats.errors import BizstatsError
from bizstats.load.collected.tally import SpoolTally, Tally
from bizstats.ops.schedules import default_day
from bizstats.ops.settings import timezone
from bizstats.realtime.keys import key, local_day
from bizstats.settings import Settings, scoped_environ, settings

ROOT = Path(__file__).resolve().parents[1]


def _environ() -> dict[str, str]:
    return dict(os.environ)


# ---- the object ---------------------------------------------------------------------------


def test_settings_are_immutable_and_a_frozen_copy(monkeypatch):
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", "first_schema")
    found = settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.environ = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.mysql = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        found.environ["BIZSTATS_MYSQL_SCHEMA"] = "other"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.mysql.schema = "other"  # type: ignore[misc]
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", "second_schema")
    assert found.mysql.schema == "first_schema"  # the copy it was made from
    assert settings().mysql.schema == "second_schema"  # a changed environment: new settings


def test_a_section_is_parsed_once_per_environment(monkeypatch):
    calls: list[str] = []
    parse = settings_module.MySQLSettings.from_env.__func__  # type: ignore[attr-defined]

    def counted(cls, env):
        calls.append(env["BIZSTATS_MYSQL_SCHEMA"])
        return parse(cls, env)

    monkeypatch.setattr(settings_module.MySQLSettings, "from_env", classmethod(counted))
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", "parsed_once")
    assert settings() is settings()
    for _ in range(3):
        assert settings().mysql.schema == "parsed_once"
    assert calls == ["parsed_once"]
    monkeypatch.setenv("BIZSTATS_MYSQL_SCHEMA", "parsed_again")
    assert settings().mysql.schema == "parsed_again"
    assert calls == ["parsed_once", "parsed_again"]


def test_only_the_sections_read_are_validated(monkeypatch):
    found = Settings.of({"BIZSTATS_COLLECT_SITES": "oops", "BIZSTATS_MYSQL_PORT": "99999"})
    found.check("warehouse", "storage", "load", "redis", "privacy", "alerts")  # what a build on DuckDB reads
    assert found.load.late_data_days == 30 and found.load.lock_wait == 0.0
    with pytest.raises(BizstatsError, match=r"^BIZSTATS_COLLECT_SITES: item 1 is not NAME=VALUE"):
        found.check("collector")
    with pytest.raises(BizstatsError, match=r"^BIZSTATS_MYSQL_PORT must be a whole number from 1 to 65535"):
        found.check("mysql")
    with pytest.raises(ValueError, match="no settings section 'colector'"):
        found.check("colector")


def test_secrets_are_never_echoed_or_shown():
    env = {"BIZSTATS_COLLECT_SOURCES": "orders=S3cret;billing", "BIZSTATS_MYSQL_PASSWORD": "Pw0rd"}
    with pytest.raises(BizstatsError) as bad:
        Settings.of(env).collector  # noqa: B018
    assert str(bad.value) == (
        "BIZSTATS_COLLECT_SOURCES: item 2 is not NAME=VALUE; items are separated by ';' "
        "(the item is not shown: it may hold a secret)"
    )
    assert "Pw0rd" not in repr(Settings.of(env).mysql)


def test_scoped_environ_puts_back_exactly_what_was_there(monkeypatch):
    monkeypatch.setenv("BIZSTATS_BUILD_START", "2024-01-01")
    monkeypatch.delenv("BIZSTATS_BUILD_END", raising=False)
    before = _environ()
    with pytest.raises(RuntimeError), scoped_environ(
        {"BIZSTATS_BUILD_START": "2024-03-10", "BIZSTATS_BUILD_END": "2024-03-11", "BIZSTATS_BUILD_ID": None}
    ):
        assert os.environ["BIZSTATS_BUILD_START"] == "2024-03-10"
        assert os.environ["BIZSTATS_BUILD_END"] == "2024-03-11"
        assert settings().environ["BIZSTATS_BUILD_END"] == "2024-03-11"
        raise RuntimeError("a failure midway")
    assert _environ() == before


# ---- no process-global state left changed -------------------------------------------------


def test_run_dbt_leaves_the_environment_as_it_was(duckdb_target, monkeypatch):
    from bizstats.dbt_runner import run_dbt

    monkeypatch.setenv("BIZSTATS_BUILD_START", "2020-01-01")  # a user's value for plain dbt runs
    before = _environ()
    run_dbt(duckdb_target, ["debug"], build_range=(date(2024, 3, 10), date(2024, 3, 10)), build_id="b1")
    assert _environ() == before


def test_the_checks_time_is_put_back(monkeypatch):
    from bizstats.checks import NOW_ENV, _now_env

    monkeypatch.setenv(NOW_ENV, "2024-01-01 00:00:00")  # a user's, for plain dbt runs
    before = _environ()
    with _now_env(datetime(2024, 3, 10, 16, 0)):
        assert os.environ[NOW_ENV] == "2024-03-10 16:00:00"
    assert _environ() == before


def test_the_local_prefect_api_is_put_back(monkeypatch):
    from bizstats.ops import prefect_server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setattr(prefect_server, "_drain", lambda: None)  # no server to drain to
    before = _environ()
    with prefect_server._use_api("http://127.0.0.1:8/api"):
        assert os.environ["PREFECT_API_URL"] == "http://127.0.0.1:8/api"
    assert _environ() == before
    # Prefect's settings follow the environment put back (port 9) until refreshed: this test's
    # own PREFECT_API_URL must not outlive it in later tests of the worker
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL

    assert PREFECT_API_URL.value() == "http://127.0.0.1:9/api"
    monkeypatch.delenv("PREFECT_API_URL")
    refresh_global_settings_context()


def test_serve_with_workers_puts_the_environment_back(duckdb_target, monkeypatch):
    import uvicorn

    from bizstats.web.serve import serve

    seen: dict[str, str] = {}

    def run(app, **options):
        seen.update({k: os.environ[k] for k in ("BIZSTATS_SERVE_TARGET", "PROMETHEUS_MULTIPROC_DIR")})

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    before = _environ()
    serve(duckdb_target, "127.0.0.1", 9, workers=2)
    assert seen["BIZSTATS_SERVE_TARGET"] == "duckdb" and seen["PROMETHEUS_MULTIPROC_DIR"]
    assert _environ() == before


def test_the_collector_puts_the_switch_interval_back(duckdb_target):
    from bizstats.web.collect.service import Collector

    before = sys.getswitchinterval()
    collector = Collector(duckdb_target)
    collector.start()
    try:
        assert sys.getswitchinterval() == 0.001
    finally:
        collector.close()
    assert sys.getswitchinterval() == before


# ---- one time zone ------------------------------------------------------------------------


def test_every_part_gives_the_same_local_day_at_another_offset(monkeypatch, tmp_path):
    """At UTC-5, 2024-03-11 04:30 UTC is 2024-03-10 23:30: the build, the schedules, the
    real-time keys, the collector's tally and the API all say 2024-03-10 (at UTC+8 it
    would be 03-11)."""
    from bizstats.web.query.router import QueryService

    instant = datetime(2024, 3, 11, 4, 30)
    real = project_vars_module.project_vars()
    at_minus_5 = dataclasses.replace(real, utc_offset_hours=-5)
    monkeypatch.setattr(project_vars_module, "project_vars", lambda: at_minus_5)
    monkeypatch.setattr(local_time, "utc_now", lambda: instant)
    day = date(2024, 3, 10)
    assert local_time.offset_hours() == -5 and local_time.local_today() == day
    assert local_time.local_date(instant, 8) == date(2024, 3, 11)
    assert yesterday_local() == date(2024, 3, 9)  # a build's default day
    assert default_day("hourly") == day and default_day("daily") == date(2024, 3, 9)
    assert timezone().key == "Etc/GMT+5"  # the schedules' cron zone
    assert local_day(instant, local_time.offset_hours()) == day  # a counter's day
    assert key("pv", local_day(instant, local_time.offset_hours())).endswith(":pv:2024-03-10")
    offset = local_time.offset_hours()
    service = QueryService(Target("duckdb"), None, None, None, None, offset, day)  # type: ignore[arg-type]
    assert service.today() == day  # the API's today
    spool = tmp_path / "tally.spool"
    tally = Tally(SpoolTally(spool), local_time.offset_hours())
    tally.add("stored", 2)
    tally.close()
    import sqlite3

    with sqlite3.connect(spool) as con:
        assert con.execute("select stat_date, outcome, events from tally").fetchall() == [
            ("2024-03-10", "stored", 2)
        ]


def test_the_schedules_zone_follows_the_offset():
    assert [local_time.zone(h).key for h in (8, 0, -5, 14, -12)] == [
        "Etc/GMT-8", "UTC", "Etc/GMT+5", "Etc/GMT-14", "Etc/GMT+12"
    ]
    with pytest.raises(BizstatsError, match="stats_utc_offset_hours must be from -12 to 14"):
        local_time.zone(15)


# ---- the rules, over the code -------------------------------------------------------------

# Modules whose settings sections are not yet sections of Settings: each passes os.environ to
# its section's from_env; remove each once it reads settings().
PENDING_WIRING: set[str] = set()


def _python_files() -> list[Path]:
    return sorted([*ROOT.joinpath("bizstats").rglob("*.py"), *ROOT.joinpath("flows").rglob("*.py")])


ENVIRON = ("environ", "environb", "getenv", "putenv", "unsetenv")


def _touches_environ(tree: ast.AST) -> list[int]:
    """Lines that read or write the environment: os.environ, os.getenv, ... or an import of
    them from os."""
    lines = []
    for node in ast.walk(tree):
        attribute = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if attribute and node.value.id == "os" and node.attr in ENVIRON:  # type: ignore[attr-defined]
            lines.append(node.lineno)
        imported = isinstance(node, ast.ImportFrom) and node.module == "os"
        if imported and any(a.name in ENVIRON for a in node.names):  # type: ignore[attr-defined]
            lines.append(node.lineno)
    return lines


def test_no_module_but_settings_touches_the_environment():
    found = {}
    for path in _python_files():
        name = path.relative_to(ROOT).as_posix()
        if name == "bizstats/settings.py" or name in PENDING_WIRING:
            continue
        lines = _touches_environ(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            found[name] = lines
    assert found == {}


def _documented() -> dict[str, str]:
    """docs/settings.md: every table row's variables -> its default (second column)."""
    rows = {}
    for line in (ROOT / "docs" / "settings.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 3:
            for name in re.findall(r"`(BIZSTATS_[A-Z0-9_]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


def test_every_variable_is_documented_with_its_default_and_read():
    code = "\n".join(p.read_text(encoding="utf-8") for p in _python_files())
    named = set(re.findall(r"\bBIZSTATS_[A-Z0-9_]*[A-Z0-9]\b", code))
    documented = _documented()
    assert sorted(named - set(documented)) == []
    assert sorted(n for n, default in documented.items() if not default) == []
    # read by the code: bizstats and flows, or dbt (profiles, macros, models)
    dbt = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [ROOT / "profiles.yml", ROOT / "dbt_project.yml", *ROOT.joinpath("macros").rglob("*.sql"),
                  *ROOT.joinpath("models").rglob("*.sql")]
    )
    assert sorted(n for n in documented if n not in named and n not in dbt) == []
