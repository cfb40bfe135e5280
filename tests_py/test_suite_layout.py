"""The test suite's own layout: test modules share code through tests_py/support/ only (no
test module imports another, nothing imports conftest.py), and the Redis server and the
MariaDB/MySQL schema names are spelled in support/services.py alone, so two test files cannot
pick the same database or schema by accident."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MODULES = sorted(p for p in TESTS.rglob("*.py") if p.name != "__init__.py")
TEST_MODULE = re.compile(r"(tests_py\.)?(conftest|test_\w+)(\..*)?")
# how a module would pick a Redis database or make up a schema name of its own
OWN_NAMES = re.compile(r"redis://127\.0\.0\.1:6379|environ\.get\(.BIZSTATS_MYSQL_SCHEMA")


def _imported(source: str) -> set[str]:
    """Every module `source` imports (top level or inside a function), dotted, with each
    imported name appended too (`from tests_py import conftest` gives `tests_py.conftest`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _test_imports(source: str) -> list[str]:
    return sorted(name for name in _imported(source) if TEST_MODULE.fullmatch(name))


def test_no_module_imports_a_test_module_or_conftest():
    assert len(MODULES) > 50 and TESTS / "support" / "services.py" in MODULES
    wrong = {p.name: _test_imports(p.read_text(encoding="utf-8")) for p in MODULES}
    assert {name: found for name, found in wrong.items() if found} == {}


def test_redis_databases_and_schema_names_are_spelled_in_services_only():
    found = {
        p.name: OWN_NAMES.findall(p.read_text(encoding="utf-8"))
        for p in MODULES
        if p.name not in ("services.py", "test_suite_layout.py")
    }
    assert {name: spelled for name, spelled in found.items() if spelled} == {}


def test_the_checks_find_what_they_look_for():
    assert _test_imports("from tests_py.test_query_api import METRICS") == [
        "tests_py.test_query_api", "tests_py.test_query_api.METRICS"
    ]
    assert _test_imports("def f():\n    from tests_py import conftest") == ["tests_py.conftest"]
    assert _test_imports("from tests_py.support.services import require") == []
    assert OWN_NAMES.findall('url = "redis://127.0.0.1:6379/13"')
    assert OWN_NAMES.findall("base = os.environ.get('BIZSTATS_MYSQL_SCHEMA', 'bizstats')")
    assert not OWN_NAMES.findall("url = REALTIME_REDIS_URL")
