"""Run dbt in-process (dbtRunner) against a bizstats target."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bizstats import parse_state
from bizstats.config import Target, project_dir
from bizstats.db import describe, mysql_flavour
from bizstats.errors import BizstatsError
from bizstats.settings import scoped_environ, settings
from bizstats.undo_log import BUILD_ID_ENV


@dataclass
class DbtOutcome:
    """What one dbt invocation did: node name -> status, the failures' messages and the
    warnings' messages ("test_name: Got N results, ..."): tests of severity `warn`
    (plausibility checks) that found rows, reported without failing the build."""

    statuses: dict[str, str]
    failures: list[str]
    warnings: list[str] = field(default_factory=list)


def log_file() -> Path:
    """dbt's own log: every line of every run, appended (DBT_LOG_PATH, else <project>/logs)."""
    folder = settings().internal.dbt_log_path
    return (Path(folder) if folder else project_dir() / "logs") / "dbt.log"


_RESULT_EVENTS = ("LogModelResult", "LogTestResult", "LogSeedResult")  # one per finished node


@dataclass(frozen=True)
class DbtNode:
    """One finished node of a dbt run: its resource type (`seed`, `model`, `test`), its file
    under the project's folder for its type (`staging/stg_users.sql`), its status and how
    many nodes the run has."""

    kind: str
    path: str
    status: str
    total: int


def _node(event: Any) -> DbtNode:
    data = event.data
    info = data.node_info
    total = data.num_models if event.info.name == "LogTestResult" else data.total
    return DbtNode(info.resource_type, info.node_path, str(data.status), int(total))


class PhaseProgress:
    """A `progress` for run_dbt that says one line per phase of a build instead of one per
    node: the seeds, then each folder of models (staging, intermediate, marts, ...) once all
    of its models are built, then a count of everything with the path of dbt's full log.
    The number of models per folder is read from the manifest dbt writes before it runs
    (every model of the folder that makes a table or view: a run that selects fewer says
    the folder's line only in the final count). Other lines (the plan, warnings) go to
    `say` unchanged."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.expected: dict[str, int] | None = None
        self.done: dict[str, int] = {}
        self.statuses: dict[str, int] = {}
        self.kinds: dict[str, int] = {}
        self.started = time.perf_counter()

    def __call__(self, line: str) -> None:
        self.say(line)

    def node(self, node: DbtNode) -> None:
        if self.expected is None:
            self.expected = _phase_sizes()
            self.started = time.perf_counter()
        self.kinds[node.kind] = self.kinds.get(node.kind, 0) + 1
        status = _status_word(node.status)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        phase = _phase(node)
        if phase is not None:
            self.done[phase] = self.done.get(phase, 0) + 1
            count = self.done[phase]
            if count == self.expected.get(phase):
                what = f"{phase} loaded" if phase == "seeds" else f"{phase} built"
                self.say(f"dbt: {what} ({_count(count, node.kind)}, {self._elapsed()})")
        if sum(self.kinds.values()) == node.total:
            kinds = [*_KINDS, *sorted(set(self.kinds) - set(_KINDS))]
            counts = ", ".join(_count(self.kinds[kind], kind) for kind in kinds if kind in self.kinds)
            outcome = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items()))
            self.say(
                f"dbt: {_count(node.total, 'step')} ({counts}) in {self._elapsed()}: {outcome}; "
                f"full log {log_file()}"
            )

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:.1f} s"


_KINDS = ("seed", "model", "test")  # the order a run's summary counts them in (dbt's: as they end)
# dbt's statuses of a node that did its job (a model: OK, a seed: success, a test: pass), and
# of a test that found rows at severity warn
_STATUS_WORDS = {"OK": "ok", "SUCCESS": "ok", "success": "ok", "pass": "ok", "warn": "warned"}


def _status_word(status: str) -> str:
    """A node's status as the summary counts it. dbt-mysql reports a model's status as the
    server's answer with its row count ("SUCCESS 10390"): its first word says the outcome."""
    return _STATUS_WORDS.get(status) or _STATUS_WORDS.get(status.split(" ", 1)[0], status)


def _count(n: int, kind: str) -> str:
    return f"{n} {kind}" + ("" if n == 1 else "s")


def _phase(node: DbtNode) -> str | None:
    """The phase a node completes: `seeds`, or its model's top folder; tests belong to none."""
    if node.kind == "seed":
        return "seeds"
    if node.kind == "model":
        return Path(node.path).parts[0] if len(Path(node.path).parts) > 1 else "models"
    return None


def _phase_sizes() -> dict[str, int]:
    """Models per top folder (and seeds) in the manifest dbt wrote for this run; ephemeral
    models are not run, so not counted. Empty when the manifest cannot be read."""
    manifest = parse_state.target_path(project_dir()) / "manifest.json"
    try:
        nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    except (OSError, ValueError, KeyError):
        return {}
    sizes: dict[str, int] = {}
    for node in nodes:
        kind, materialized = node["resource_type"], node.get("config", {}).get("materialized")
        if kind in ("seed", "model") and materialized != "ephemeral":
            phase = _phase(DbtNode(kind, node["path"], "", 0))
            assert phase is not None  # seeds and models complete a phase; only tests do not
            sizes[phase] = sizes.get(phase, 0) + 1
    return sizes


def _target_env(target: Target) -> dict[str, str]:
    """The variables profiles.yml reads for `target` (the spark output: the server and the
    schema as bizstats' settings resolve them, e.g. the schema in lower case; a password is
    read from BIZSTATS_SPARK_PASSWORD itself)."""
    env = {"BIZSTATS_TARGET": target.name}
    if target.name == "duckdb":
        env["BIZSTATS_DUCKDB_PATH"] = str(target.duckdb_path)
    elif target.name == "spark":
        spark = settings().spark
        env.update(
            BIZSTATS_SPARK_HOST=spark.host,
            BIZSTATS_SPARK_PORT=str(spark.port),
            BIZSTATS_SPARK_USER=spark.user,
            BIZSTATS_SPARK_AUTH=spark.auth,
            BIZSTATS_SPARK_SCHEMA=spark.schema,
        )
    else:
        env["BIZSTATS_MYSQL_ADAPTER"] = mysql_flavour(settings().mysql)
    return env


# The build range as the dbt project reads it at execution time (macros/calendar/build_range.sql,
# range_setting): environment variables keep dbt's partial parsing, where `--vars` of a new
# date every night would make it re-parse the whole project.
RANGE_ENV = ("BIZSTATS_BUILD_START", "BIZSTATS_BUILD_END")



def run_dbt(
    target: Target,
    command: Sequence[str],
    dbt_vars: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    build_range: tuple[date, date] | None = None,
    build_id: str | None = None,
) -> DbtOutcome:
    """Invoke `dbt <command>` for `target`; raise BizstatsError naming what failed.

    `build_range` (first, last local day) is what the bizstats wrapper builds; `dbt_vars`
    `start_date`/`end_date` give it too (and win), at the price of a full re-parse of the
    project whenever they change. `build_id`: the marts save what they replace under this
    id (bizstats.undo_log). Tests that warned are returned in `warnings` and each is also
    sent to `progress` as a line starting with "warning:"."""
    from dbt.cli.main import dbtRunner

    project = project_dir()
    root = str(project)
    parsed = parse_state.fingerprint(project)
    args = [*command, "--project-dir", root, "--profiles-dir", root, "--target", target.name]
    args += parse_state.parse_flags(project, parsed)
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]

    def on_event(event: Any) -> None:
        if progress and event.info.name in _RESULT_EVENTS:
            if isinstance(progress, PhaseProgress):
                progress.node(_node(event))
            else:
                progress(event.info.msg)

    # dbt's own console output is silenced (its errors too: they reach the user as one line,
    # below; logs/dbt.log keeps everything); progress lines come through the callback
    quiet = ["--quiet", "--log-level", "none", "--no-use-colors"]
    # dbt reads these from the environment (profiles.yml, macros) during the invocation only;
    # afterwards the environment is exactly as it was (a user may set the range's for plain dbt)
    scoped = _target_env(target)
    if build_range:
        scoped.update(zip(RANGE_ENV, (day.isoformat() for day in build_range), strict=True))
    if build_id:
        scoped[BUILD_ID_ENV] = build_id
    with scoped_environ(scoped):
        result = dbtRunner(callbacks=[on_event]).invoke([*args, *quiet])
    if result.exception is None:
        parse_state.remember(project, parsed)  # dbt saved its parse of this project
    what = f"dbt {' '.join(command)} on {describe(target)} failed"
    if result.exception is not None:
        message = _one_line(result.exception)
        raise BizstatsError(f"{what}: {_connection_lost([message]) or message}")
    statuses: dict[str, str] = {}
    failures: list[str] = []
    warnings: list[str] = []
    # a run's results (parse returns a manifest: no node results)
    for res in getattr(result.result, "results", None) or []:
        node = getattr(res, "node", None)
        name = node.name if node is not None else "dbt"  # never a raw BaseResult(...)
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
        detail = _connection_lost(failures) or _first_failures(failures)
        raise BizstatsError(f"{what}: {detail or f'see {log_file()}'}")
    return DbtOutcome(statuses, failures, warnings)


# A lost or refused MySQL/MariaDB connection, as dbt's messages quote the driver's error.
_CONNECTION_ERROR = re.compile(
    r"\b(?:2002|2003|2006|2013)(?: \(HY000\))?:\s*[^(;]{0,100}|Lost connection[^(;]{0,80}"
    r"|server has gone away|Connection refused",
    re.IGNORECASE,
)
_MAX_LISTED = 3  # failures named in the message; the rest are counted


def _connection_lost(messages: Sequence[str]) -> str | None:
    """One clause for failures that are a lost database connection (every model then fails
    with the same error): the error once, how many failed with it, what to do."""
    lost = [m for m in messages if _CONNECTION_ERROR.search(m)]
    if not lost:
        return None
    match = _CONNECTION_ERROR.search(lost[0])
    error = match.group(0).strip() if match else ""
    count = f", {len(lost)} steps failed with it" if len(lost) > 1 else ""
    return (
        f"lost the connection to the database ({error}{count}); the days stay pending: re-run "
        "when the server is reachable (BIZSTATS_MYSQL_HOST/_PORT)"
    )


def _first_failures(failures: Sequence[str]) -> str:
    shown = "; ".join(failures[:_MAX_LISTED])
    more = len(failures) - _MAX_LISTED
    return f"{shown}; and {more} more (see {log_file()})" if more > 0 else shown


def _one_line(message: object) -> str:
    """dbt's multi-line messages (model, file, database error) as one line."""
    return " ".join(str(message).split())
