"""Start the scheduled jobs, or run one now, through Prefect (the flows of the project's
`flows/jobs.py`; the Prefect API from bizstats.ops.prefect_server)."""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
from datetime import date
from types import ModuleType
from typing import Any

from bizstats.config import project_dir
from bizstats.errors import BizstatsError
from bizstats.ops.prefect_server import Say, prefect_api
from bizstats.ops.schedules import JOBS, job
from bizstats.ops.settings import timezone


def load_flows() -> ModuleType:
    """`flows.jobs` from the project directory (beside dbt_project.yml)."""
    root = str(project_dir())
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("flows.jobs")


def deployments(target: str) -> list[Any]:
    """The four jobs as Prefect deployments, each with its cron in BIZSTATS_TIMEZONE."""
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
    the local Prefect server included)."""
    from prefect import serve

    signal.signal(signal.SIGTERM, _raise_interrupt)
    with prefect_api(say):
        served = deployments(target)
        for d in served:
            say(f"serving {d.name}: {d.description}")
        with contextlib.suppress(KeyboardInterrupt):
            serve(*served, print_starting_message=False)
        say("stopped")


def run_once(name: str, target: str, day: date | None, say: Say) -> dict[str, Any]:
    """One run of job `name` now, through its flow (for `day`, default as scheduled)."""
    flow = load_flows().FLOWS[job(name).name]
    with prefect_api(say):
        try:
            return flow(target=target, day=day)
        except BizstatsError:
            raise
        except Exception as exc:  # a step's error, re-raised by Prefect with its type
            raise BizstatsError(f"{name} run failed: {exc}") from exc
