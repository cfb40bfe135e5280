"""Start the scheduled jobs, or run one now, through Prefect (the flows of the project's
`flows/jobs.py`; the Prefect API from bizstats.ops.prefect_server)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from bizstats.errors import BizstatsError
from bizstats.ops.prefect_server import Say, prefect_api
from bizstats.ops.schedules import JOBS, job
from bizstats.ops.settings import timezone


def load_flows() -> ModuleType:
    """`flows.jobs`, the package `flows` installed with bizstats (imported on first use:
    it loads Prefect)."""
    return importlib.import_module("flows.jobs")


def deployments(target: str) -> list[Any]:
    """The four jobs as Prefect deployments, each with its cron in the statistics time zone
    (dbt var stats_utc_offset_hours as a fixed zone: Etc/GMT-8 for UTC+8)."""
    from prefect.schedules import Cron

    flows = load_flows().FLOWS
    zone = timezone().key
    return [
        flows[name].to_deployment(
            name=f"{spec.flow_name}-{target}", schedules=[Cron(spec.cron, timezone=zone)],
            parameters={"target": target},
            description=f"{spec.label}: cron '{spec.cron}' in {zone} on the {target} warehouse",
        )
        for name, spec in JOBS.items()
    ]


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve_schedules(target: str, say: Say) -> None:
    """Serve the four schedules in this process until SIGINT or SIGTERM (then stop cleanly,
    the local Prefect server included); the SIGTERM handler is put back as it was."""
    from prefect import serve

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with prefect_api(say):
            served = deployments(target)
            for d in served:
                say(f"serving {d.name}: {d.description}")
            # Prefect's runner puts its own SIGTERM handler in place of ours once it starts: it
            # stops the runner gracefully (serve returns), or, while the runner is still
            # starting, calls sys.exit(0). Either way this is a clean stop.
            with contextlib.suppress(KeyboardInterrupt, SystemExit):
                serve(*served, print_starting_message=False)
            say("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_log() -> Path:
    """Where `bizstats run` writes Prefect's log of the run (tasks, dbt's progress, a failure's
    traceback): `$PREFECT_HOME/bizstats-runs.log`, beside the local server's log."""
    from prefect.settings import PREFECT_HOME

    return Path(PREFECT_HOME.value()) / "bizstats-runs.log"


@contextlib.contextmanager
def _prefect_console_to(log: Path) -> Iterator[None]:
    """Prefect's console output (its run log, a failed flow's traceback) into `log` instead of
    the terminal, for the `with` block: the terminal gets bizstats' own lines."""
    log.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s | %(levelname)-7s | %(name)s - %(message)s"))
    moved: list[tuple[logging.Logger, logging.Handler]] = []
    for name in ("", "prefect", "prefect._internal", "prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                logger.removeHandler(handler)
                moved.append((logger, handler))
    logging.getLogger().addHandler(to_file)
    internal = logging.getLogger("prefect._internal")
    if not internal.propagate:
        internal.addHandler(to_file)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(to_file)
        internal.removeHandler(to_file)
        to_file.close()
        for logger, handler in moved:
            logger.addHandler(handler)


class _SayRetries(logging.Handler):
    """A step's retry (Prefect's "Task run failed with ... - Retry 1/3 will start in 3
    seconds"), said on the terminal in one line too: a run waiting on a retry is not stuck."""

    def __init__(self, job: str, say: Say) -> None:
        super().__init__(logging.INFO)
        self.job, self.say = job, say

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if " - Retry " in message:
            self.say(f"{self.job} run: {' '.join(message.split())}")


def run_once(name: str, target: str, day: date | None, say: Say) -> dict[str, Any]:
    """One run of job `name` now, through its flow (for `day`, default as scheduled).
    Prefect's own output goes to run_log(); a failure is one BizstatsError naming it."""
    flow = load_flows().FLOWS[job(name).name]
    log = run_log()
    say(f"{name} run: Prefect's log in {log}")
    retries = _SayRetries(name, say)
    task_runs = logging.getLogger("prefect.task_runs")
    task_runs.addHandler(retries)
    with _prefect_console_to(log), prefect_api(say):
        try:
            result: dict[str, Any] = flow(target=target, day=day)
            return result
        except Exception as exc:  # a step's error, re-raised by Prefect with its type
            text = str(exc) if isinstance(exc, BizstatsError) else f"{type(exc).__name__}: {exc}"
            raise BizstatsError(f"{name} run failed: {' '.join(text.split())} (log: {log})") from exc
        finally:
            task_runs.removeHandler(retries)
