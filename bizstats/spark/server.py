"""A local Spark Thrift server (`bizstats spark up|down|status`): the Spark SQL server dbt-spark
and bizstats talk to, started from the pip package pyspark (its SPARK_HOME), for trying the
spark target and for the tests. A real cluster runs its own Thrift server (docs/spark.md).

Everything the server keeps is in its home folder (BIZSTATS_SPARK_HOME_DIR, default ./.spark):
the Derby metastore (metastore_db), the warehouse dir, thrift.log (and master.log,
worker-N.log with --workers), and `server.json`, the pid file: the processes started, so
`down` and `status` (from any later process) find them.

Each process runs in a session of its own (it outlives the command that started it) and is
recognised by its Java main class in /proc/<pid>/cmdline, so a pid reused by an unrelated
process is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bizstats.errors import BizstatsError
from bizstats.settings import scoped_environ

THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"

PID_FILE = "server.json"
JAVA_MISSING = (
    "java is not on PATH: the Spark Thrift server needs Java 17; install OpenJDK 17 "
    "(Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) "
    "and run again"
)
START_TIMEOUT = 180.0  # seconds: a cold start on 2 cores takes about 15
STOP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Process:
    """One started process: its role (thrift, master, worker-N), pid, main class and log."""

    role: str
    pid: int
    main_class: str
    log: str


@dataclass(frozen=True)
class Server:
    """A local server as its pid file describes it."""

    host: str
    port: int
    master: str
    home: str
    processes: tuple[Process, ...] = field(default_factory=tuple)

    @property
    def thrift(self) -> Process | None:
        return next((p for p in self.processes if p.role == "thrift"), None)

    @property
    def log(self) -> Path:
        return Path(self.home) / "thrift.log"


@dataclass(frozen=True)
class Status:
    """What `status` reports: the server of the pid file (None: none), its live processes and
    whether its port answers a Thrift session (`select 1`)."""

    server: Server | None
    alive: tuple[Process, ...]
    answering: bool

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.thrift in self.alive


# ---- where things are ------------------------------------------------------------------------


def spark_home() -> Path:
    """SPARK_HOME of the installed pyspark package (it ships bin/ and jars/)."""
    try:
        import pyspark
    except ImportError as exc:
        raise BizstatsError(
            "pyspark is not installed: `pip install -c constraints.txt -e '.[dev]'` (make install)"
        ) from exc
    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-submit").is_file():
        raise BizstatsError(f"no bin/spark-submit under {home}: reinstall pyspark")
    return home


def require_java() -> str:
    """The java executable on PATH, or one line saying how to install OpenJDK 17."""
    java = shutil.which("java")
    if java is None:
        raise BizstatsError(JAVA_MISSING)
    return java


def pid_file(home: Path) -> Path:
    return home / PID_FILE


# ---- processes -------------------------------------------------------------------------------


def is_alive(process: Process) -> bool:
    """The process runs and is the one started (its command line names its main class; a
    zombie's is empty). Without /proc, a live pid is taken as it."""
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a pid of another user: not ours any more
        return False
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    if not Path("/proc/self").exists():
        return True
    try:
        return process.main_class.encode() in cmdline.read_bytes()
    except OSError:
        return False


def rss_bytes(pid: int) -> int | None:
    """The resident memory of a process (Linux /proc), or None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass(frozen=True)
class _Child:
    """A process started here: its record and handle (whose poll() sees it exit)."""

    process: Process
    popen: subprocess.Popen[bytes]


def _launch(role: str, main_class: str, argv: list[str], home: Path, log_name: str) -> _Child:
    """Start `argv` detached (a session of its own, stdin closed, output to home/log_name)."""
    log = home / log_name
    # SPARK_LOCAL_IP: every process is on this machine (no lookup of the host's name)
    local = {"SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1"}
    with open(log, "ab") as out, scoped_environ(local):
        child = subprocess.Popen(
            argv, cwd=home, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return _Child(Process(role, child.pid, main_class, str(log)), child)


def _reap(pid: int) -> None:
    """Collect the exit of a child of this process (one started by `start` here), if it is one."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _signal(process: Process, sig: signal.Signals) -> None:
    """`sig` to the process's session (spark-class's launcher and java), when it is still ours."""
    if not is_alive(process):
        return
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(process.pid, sig)


def stop_processes(processes: tuple[Process, ...], timeout: float = STOP_TIMEOUT) -> list[Process]:
    """TERM to each process (Thrift server first, workers, then the master), wait up to
    `timeout` seconds, KILL what is left. The processes that were running."""
    order = {"thrift": 0, "master": 2}
    ranked = sorted(processes, key=lambda p: order.get(p.role, 1))
    running = [p for p in ranked if is_alive(p)]
    for process in running:
        _signal(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in running:
            _reap(process.pid)
        if not any(is_alive(p) for p in running):
            break
        time.sleep(0.2)
    for process in running:
        _signal(process, signal.SIGKILL)
        _reap(process.pid)
    return running


# ---- the pid file ----------------------------------------------------------------------------


def read_server(home: Path) -> Server | None:
    """The server of home's pid file, or None (no file, or one that cannot be read)."""
    try:
        data = json.loads(pid_file(home).read_text())
        return Server(
            host=str(data["host"]), port=int(data["port"]), master=str(data["master"]),
            home=str(data["home"]), processes=tuple(Process(**p) for p in data["processes"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_server(server: Server) -> None:
    path = pid_file(Path(server.home))
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(asdict(server), indent=2) + "\n")
    partial.replace(path)


# ---- ports and the Thrift session -------------------------------------------------------------


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """Something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((_connect_host(host), port), timeout=timeout):
            return True
    except OSError:
        return False


def _connect_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else host


def port_free(host: str, port: int) -> bool:
    """Nothing listens on host:port and it can be bound."""
    if port_open(host, port, timeout=0.5):
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def is_local_address(host: str) -> bool:
    """A server of this machine can listen on `host` (an address or name of it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, 0))
        except OSError:  # not one of its addresses (EADDRNOTAVAIL), or a name that resolves nowhere
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the system's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def thrift_answers(host: str, port: int, user: str = "bizstats", timeout: float = 30.0) -> bool:
    """The server on host:port opens a Thrift (HiveServer2) session (no authentication, as
    the local server has none) and answers `select 1` within `timeout` seconds."""
    if not port_open(host, port):
        return False
    import thrift_sasl  # type: ignore[import-untyped]
    from pyhive import hive
    from thrift.transport import TSocket

    socket_ = TSocket.TSocket(_connect_host(host), port)
    socket_.setTimeout(timeout * 1000)  # a port that accepts but never answers is no hang
    transport = thrift_sasl.TSaslClientTransport(
        lambda: hive.get_installed_sasl(host=host, sasl_auth="PLAIN", username=user, password="x"),
        "PLAIN", socket_,
    )
    try:
        connection = hive.connect(thrift_transport=transport, username=user)
    except Exception:  # the port is open but the service is not ready (or is not HiveServer2)
        return False
    try:
        cursor = connection.cursor()
        cursor.execute("select 1")
        return bool(cursor.fetchall() == [(1,)])
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            connection.close()


# ---- up, down, status -------------------------------------------------------------------------


def status(home: Path, user: str = "bizstats") -> Status:
    """The server of home's pid file: its live processes and whether it answers."""
    server = read_server(home)
    if server is None:
        return Status(None, (), False)
    alive = tuple(p for p in server.processes if is_alive(p))
    answering = server.thrift in alive and thrift_answers(server.host, server.port, user)
    return Status(server, alive, answering)


def thrift_argv(home: Path, host: str, port: int, master: str) -> list[str]:
    """The spark-submit command of the Thrift server (UTC sessions, no cached table file lists;
    metastore and warehouse under `home`)."""
    return [
        str(spark_home() / "bin" / "spark-submit"),
        "--class", THRIFT_CLASS,
        "--name", "bizstats-thrift",
        "--master", master,
        "--conf", "spark.sql.session.timeZone=UTC",
        # no table's file list kept per session: a build's overwritten days would otherwise fail
        # another session (the query API's, dbt's other thread) with "file not found"
        "--conf", "spark.sql.filesourceTableRelationCacheSize=0",
        "--conf", f"spark.sql.warehouse.dir={home / 'warehouse'}",
        "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={home}",
        "--hiveconf", f"hive.server2.thrift.port={port}",
        "--hiveconf", f"hive.server2.thrift.bind.host={host}",
        "spark-internal",
    ]


def _start_cluster(home: Path, workers: int, progress: Callable[[str], None]) -> tuple[str, list[_Child]]:
    """A standalone master and `workers` workers (1 core, 1 GB each) on 127.0.0.1: its URL."""
    spark_class = str(spark_home() / "bin" / "spark-class")
    port, web = free_port(), free_port()
    url = f"spark://127.0.0.1:{port}"
    started = [_launch("master", MASTER_CLASS, [
        spark_class, MASTER_CLASS, "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(web),
    ], home, "master.log")]
    _wait(lambda: port_open("127.0.0.1", port), started, f"the master {url}", progress)
    (home / "work").mkdir(exist_ok=True)
    for n in range(1, workers + 1):
        started.append(_launch(f"worker-{n}", WORKER_CLASS, [
            spark_class, WORKER_CLASS, "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
            "--webui-port", str(free_port()), "--work-dir", str(home / "work"), url,
        ], home, f"worker-{n}.log"))
    progress(f"standalone master {url} (web UI http://127.0.0.1:{web}), {workers} worker(s)")
    return url, started


def _stop_children(children: list[_Child], timeout: float = STOP_TIMEOUT) -> None:
    """Stop processes started here (by their handles: one that has not exec'd java yet is
    still signalled, and an unreaped child's pid cannot have been reused)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for child in children:
            if child.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.popen.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            for child in children:
                child.popen.wait(timeout)


def _tail(log: Path, lines: int = 15) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:]) or "(empty log)"


def _wait(
    ready: Callable[[], bool], children: list[_Child], what: str, progress: Callable[[str], None],
    timeout: float = START_TIMEOUT,
) -> None:
    """Poll `ready` until it holds; a process of `children` exiting or the timeout stops them
    all and raises with the last lines of the dead (or last) process's log."""
    started = time.monotonic()
    said = started
    while not ready():
        dead = next((c.process for c in children if c.popen.poll() is not None), None)
        waited = time.monotonic() - started
        if dead is not None or waited > timeout:
            _stop_children(children)
            culprit = dead or children[-1].process
            why = f"{culprit.role} exited" if dead else f"not ready after {timeout:.0f} s"
            raise BizstatsError(
                f"{what} did not start ({why}); the last lines of {culprit.log}:\n{_tail(Path(culprit.log))}"
            )
        if time.monotonic() - said >= 5:
            progress(f"waiting for {what} ({waited:.0f} s)")
            said = time.monotonic()
        time.sleep(0.5)


def start(
    home: Path, host: str, port: int, master: str = "local[2]", workers: int = 0,
    user: str = "bizstats", progress: Callable[[str], None] = lambda _: None,
    timeout: float = START_TIMEOUT,
) -> tuple[Server, bool]:
    """Start the Thrift server on host:port (with a standalone cluster of `workers` workers
    when > 0, else on `master`) and wait until it answers `select 1`. (server, False) when
    home's server already runs; a port in use by anything else is an error."""
    home = home.resolve()
    current = status(home, user)
    if current.running and current.server is not None:
        return current.server, False
    if current.server is not None:  # a server that died: its leftovers go
        stop_processes(current.alive)
        pid_file(home).unlink(missing_ok=True)
    if workers < 0:
        raise BizstatsError(f"--workers must be 1 or more, got {workers}")
    require_java()
    if not is_local_address(host):
        raise BizstatsError(
            f"BIZSTATS_SPARK_HOST={host} is not an address of this machine: `bizstats spark up` starts a "
            "local server (a cluster's Thrift server is started on the cluster: docs/spark.md)"
        )
    if not port_free(host, port):
        raise BizstatsError(
            f"port {port} on {host} is in use by another process: stop it, or choose another port "
            "with --port or BIZSTATS_SPARK_PORT"
        )
    home.mkdir(parents=True, exist_ok=True)
    (home / "warehouse").mkdir(exist_ok=True)
    children: list[_Child] = []
    if workers:
        master, children = _start_cluster(home, workers, progress)
    log = home / "thrift.log"
    progress(f"starting the Spark Thrift server on {host}:{port} (master {master}; log {log})")
    children.append(_launch("thrift", THRIFT_CLASS, thrift_argv(home, host, port, master), home, log.name))
    server = Server(host, port, master, str(home), tuple(c.process for c in children))
    _write_server(server)  # written now: a `down` while it starts finds every process
    try:
        _wait(lambda: thrift_answers(host, port, user), children,
              f"the Thrift server on {host}:{port}", progress, timeout)
    except BizstatsError:
        pid_file(home).unlink(missing_ok=True)
        raise
    return server, True


def stop(home: Path, timeout: float = STOP_TIMEOUT) -> tuple[Server | None, list[Process]]:
    """Stop every process of home's pid file and remove it: (the server, the processes that
    were running); (None, []) when there is no pid file."""
    home = home.resolve()
    server = read_server(home)
    if server is None:
        pid_file(home).unlink(missing_ok=True)
        return None, []
    stopped = stop_processes(server.processes, timeout)
    pid_file(home).unlink(missing_ok=True)
    return server, stopped

