"""`bizstats spark up|down|status`: a local Spark Thrift server for the spark target, started
from the installed pyspark (bizstats.spark.server; docs/spark.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from bizstats.errors import BizstatsError

if TYPE_CHECKING:
    from bizstats.settings import SparkSettings

NAME = "spark"


def add_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    with_target: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
) -> None:
    spark = sub.add_parser(
        "spark",
        help="a local Spark Thrift server for the spark target: up, down, status",
        description="A local Spark Thrift server (Spark SQL over HiveServer2's protocol) from the "
        "installed pyspark, for trying the spark target and for the tests; needs Java 17. Its "
        "metastore, warehouse, logs and pid file are under BIZSTATS_SPARK_HOME_DIR (default "
        "./.spark). A real cluster runs its own Thrift server: docs/spark.md.",
    )
    verbs = spark.add_subparsers(dest="spark_command", required=True, metavar="ACTION")
    up = verbs.add_parser(
        "up", help="start the server (detached) and wait until it answers",
        description="Start the Thrift server on BIZSTATS_SPARK_HOST:BIZSTATS_SPARK_PORT (default "
        "127.0.0.1:10000) with master BIZSTATS_SPARK_MASTER (default local[2]), sessions in UTC, "
        "and wait until it answers `select 1`. Already running: says so.",
    )
    up.add_argument("--port", type=int, help="the Thrift port (default BIZSTATS_SPARK_PORT)")
    up.add_argument("--workers", type=int, metavar="N",
                    help="run a local standalone cluster: a master and N workers (1 core, 1 GB "
                    "each), the server on it, instead of BIZSTATS_SPARK_MASTER")
    up.add_argument("--timeout", type=float, default=180.0,
                    help="seconds to wait for the server to answer (default 180)")
    verbs.add_parser("down", help="stop the server (and its master and workers)")
    verbs.add_parser("status", help="whether it runs (exit 1 when not), its pids, port and master")


def run(args: argparse.Namespace) -> int:
    from bizstats.settings import settings
    from bizstats.spark import server

    s = settings().spark
    if args.spark_command == "up":
        return _up(args, s)
    if args.spark_command == "down":
        stopped, stopping = server.stop(s.home)
        if stopped is None:
            print(f"no Spark Thrift server is running (no pid file in {s.home})")
            return 0
        pids = ", ".join(f"{p.role} {p.pid}" for p in stopping) or "none was still running"
        print(f"stopped the Spark Thrift server on {stopped.host}:{stopped.port} ({pids})")
        return 0
    state = server.status(s.home, s.user)
    if state.server is None:
        print(f"not running (no pid file in {s.home})")
        return 1
    found = state.server
    alive = {p.pid for p in state.alive}
    print(f"{'running' if state.running else 'not running'}: Spark Thrift server on "
          f"{found.host}:{found.port}, master {found.master}")
    for p in found.processes:
        rss = server.rss_bytes(p.pid) if p.pid in alive else None
        memory = f" ({rss / 2**20:,.0f} MiB resident)" if rss is not None else ""
        print(f"  {p.role}: pid {p.pid} {'alive' if p.pid in alive else 'gone'}{memory}, log {p.log}")
    print(f"  port {found.port}: {'answers select 1' if state.answering else 'does not answer'}")
    return 0 if state.running and state.answering else 1


def _up(args: argparse.Namespace, s: SparkSettings) -> int:
    import time

    from bizstats.spark import server

    port = s.port if args.port is None else args.port
    if not 1 <= port <= 65535:
        raise BizstatsError(f"--port must be 1 to 65535, got {port}")
    if args.workers is not None and args.workers < 1:
        raise BizstatsError(f"--workers must be 1 or more, got {args.workers}")
    began = time.monotonic()
    found, started = server.start(
        s.home, s.host, port, s.master, args.workers or 0, s.user, progress=print, timeout=args.timeout,
    )
    thrift = found.thrift
    pid = thrift.pid if thrift else "?"
    where = (f"Spark Thrift server on {found.host}:{found.port}, pid {pid}, master {found.master}, "
             f"log {found.log}")
    if not started:
        print(f"already running: {where}")
    else:
        print(f"{where} (up in {time.monotonic() - began:.0f} s); stop it with `bizstats spark down`")
    return 0
