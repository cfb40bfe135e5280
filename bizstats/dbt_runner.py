"""Run dbt in-process (dbtRunner) against a bizstats target."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bizstats.config import MySQLSettings, Target, project_dir
from bizstats.db import describe, mysql_flavour
from bizstats.errors import BizstatsError


@dataclass
class DbtOutcome:
    """What one dbt invocation did: node name -> status, the failures' messages and the
    warnings' messages ("test_name: Got N results, ..."): tests of severity `warn`
    (plausibility checks) that found rows, reported without failing the build."""

    statuses: dict[str, str]
    failures: list[str]
    warnings: list[str] = field(default_factory=list)


def _target_env(target: Target) -> dict[str, str]:
    env = {"BIZSTATS_TARGET": target.name}
    if target.name == "duckdb":
        env["BIZSTATS_DUCKDB_PATH"] = str(target.duckdb_path)
    else:
        env["BIZSTATS_MYSQL_ADAPTER"] = mysql_flavour(MySQLSettings.from_env())
    return env


def run_dbt(
    target: Target,
    command: Sequence[str],
    dbt_vars: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DbtOutcome:
    """Invoke `dbt <command>` for `target`; raise BizstatsError naming what failed.

    Tests that warned are returned in `warnings` and each is also sent to `progress` as a
    line starting with "warning:"."""
    from dbt.cli.main import dbtRunner

    os.environ.update(_target_env(target))
    root = str(project_dir())
    args = [*command, "--project-dir", root, "--profiles-dir", root, "--target", target.name]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]

    def on_event(event: Any) -> None:
        if progress and event.info.name in ("LogModelResult", "LogTestResult", "LogSeedResult"):
            progress(event.info.msg)

    # dbt's own console output is silenced; progress lines come through the callback
    result = dbtRunner(callbacks=[on_event]).invoke([*args, "--quiet", "--no-use-colors"])
    what = f"dbt {' '.join(command)} on {describe(target)} failed"
    if result.exception is not None:
        raise BizstatsError(f"{what}: {_one_line(result.exception)}")
    statuses: dict[str, str] = {}
    failures: list[str] = []
    warnings: list[str] = []
    for res in result.result or []:
        node = getattr(res, "node", None)
        name = node.name if node is not None else str(res)
        status = str(res.status)
        statuses[name] = status
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{name}: {_one_line(res.message)}")
        elif status == "warn":
            warnings.append(f"{name}: {_one_line(res.message)}")
    if progress:
        for warning in warnings:
            progress(f"warning: {warning}")
    if not result.success:
        detail = "; ".join(failures) or f"see {project_dir() / 'logs' / 'dbt.log'}"
        raise BizstatsError(f"{what}: {detail}")
    return DbtOutcome(statuses, failures, warnings)


def _one_line(message: object) -> str:
    """dbt's multi-line messages (model, file, database error) as one line."""
    return " ".join(str(message).split())
