"""`bizstats spark up|down|status` (bizstats.spark.server): one real up/status/down cycle of a
local Thrift server on a port of its own, and the errors that need no server (no java on PATH,
a port in use, nothing running, a pid file of a server that died)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pyhive import hive

from bizstats.cli import main
from bizstats.settings import settings
from bizstats.spark.server import JAVA_MISSING, THRIFT_CLASS, free_port, port_free, stop
from tests_py.support.services import require


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, as a user runs it (the server outlives it)."""
    return subprocess.run([sys.executable, "-m", "bizstats.cli", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """BIZSTATS_SPARK_HOME_DIR under tmp_path and BIZSTATS_SPARK_PORT a free port (_port)."""
    monkeypatch.setenv("BIZSTATS_SPARK_HOME_DIR", str(tmp_path / "spark"))
    monkeypatch.setenv("BIZSTATS_SPARK_PORT", str(free_port()))
    monkeypatch.delenv("BIZSTATS_SPARK_HOST", raising=False)
    monkeypatch.delenv("BIZSTATS_SPARK_MASTER", raising=False)
    return tmp_path / "spark"


def _port() -> int:
    return settings().spark.port


def test_up_status_down(home, monkeypatch):
    require(shutil.which("java") is not None, "java (OpenJDK 17)")
    port, log = _port(), home / "thrift.log"
    try:
        up = _cli("spark", "up")
        assert up.returncode == 0, up.stderr
        lines = up.stdout.splitlines()
        assert lines[0] == (
            f"starting the Spark Thrift server on 127.0.0.1:{port} (master local[2]; log {log})")
        found = re.fullmatch(
            rf"Spark Thrift server on 127\.0\.0\.1:{port}, pid (\d+), master local\[2\], "
            rf"log {re.escape(str(log))} \(up in \d+ s\); stop it with `bizstats spark down`", lines[-1])
        assert found, lines[-1]
        pid = int(found[1])
        assert THRIFT_CLASS.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        where = f"Spark Thrift server on 127.0.0.1:{port}, pid {pid}, master local[2], log {log}"

        again = _cli("spark", "up")
        assert (again.returncode, again.stdout) == (0, f"already running: {where}\n")
        status = _cli("spark", "status")
        assert status.returncode == 0
        assert re.fullmatch(
            rf"running: Spark Thrift server on 127\.0\.0\.1:{port}, master local\[2\]\n"
            rf"  thrift: pid {pid} alive \([0-9,]+ MiB resident\), log {re.escape(str(log))}\n"
            rf"  port {port}: answers select 1\n", status.stdout), status.stdout

        # sessions in UTC; the metastore (Derby) and the warehouse dir under the home folder
        con = hive.connect(host="127.0.0.1", port=port, username="bizstats")
        cur = con.cursor()
        cur.execute("set spark.sql.session.timeZone")
        assert cur.fetchall() == [("spark.sql.session.timeZone", "UTC")]
        cur.execute("create database t_server")
        cur.execute("describe database t_server")
        location = dict(cur.fetchall())["Location"]
        assert location == f"file:{home}/warehouse/t_server.db"
        con.close()
        assert (home / "metastore_db").is_dir()

        down = _cli("spark", "down")
        assert (down.returncode, down.stdout) == (0, f"stopped the Spark Thrift server on 127.0.0.1:{port} "
                                                     f"(thrift {pid})\n")
        assert port_free("127.0.0.1", port)
        assert not (home / "server.json").exists()
        status = _cli("spark", "status")
        assert (status.returncode, status.stdout) == (1, f"not running (no pid file in {home})\n")
    finally:
        stop(home)


def test_up_without_java_says_how_to_install_it(home, tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["spark", "up"]) == 1
    assert capsys.readouterr().err == f"bizstats: error: {JAVA_MISSING}\n"
    assert not home.exists()


def test_up_on_a_port_in_use_or_an_address_not_ours_is_refused(home, tmp_path, monkeypatch, capsys):
    # a `java` on PATH (the check before the port's) that is never run
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "java").write_text("#!/bin/sh\nexit 1\n")
    (fake / "java").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:/usr/bin:/bin")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["spark", "up", "--port", str(port)]) == 1
    assert capsys.readouterr().err == (
        f"bizstats: error: port {port} on 127.0.0.1 is in use by another process: stop it, or choose "
        "another port with --port or BIZSTATS_SPARK_PORT\n"
    )
    assert not (home / "server.json").exists()
    assert main(["spark", "up", "--workers", "0"]) == 1
    assert capsys.readouterr().err == "bizstats: error: --workers must be 1 or more, got 0\n"
    monkeypatch.setenv("BIZSTATS_SPARK_HOST", "198.51.100.77")  # TEST-NET-2: no address of a machine
    assert main(["spark", "up"]) == 1
    assert capsys.readouterr().err == (
        "bizstats: error: BIZSTATS_SPARK_HOST=198.51.100.77 is not an address of this machine: `bizstats "
        "spark up` starts a local server (a cluster's Thrift server is started on the cluster: "
        "docs/spark.md)\n"
    )


def test_status_and_down_when_nothing_runs(home, monkeypatch, capsys):
    port = _port()
    assert main(["spark", "status"]) == 1
    assert capsys.readouterr().out == f"not running (no pid file in {home})\n"
    assert main(["spark", "down"]) == 0
    assert capsys.readouterr().out == f"no Spark Thrift server is running (no pid file in {home})\n"

    # the pid file of a server that died: its pid is a finished process's
    dead = subprocess.Popen(["true"])
    dead.wait()
    home.mkdir()
    record = {"role": "thrift", "pid": dead.pid, "main_class": THRIFT_CLASS, "log": str(home / "thrift.log")}
    (home / "server.json").write_text(json.dumps(
        {"host": "127.0.0.1", "port": port, "master": "local[2]", "home": str(home), "processes": [record]}))
    assert main(["spark", "status"]) == 1
    assert capsys.readouterr().out == (
        f"not running: Spark Thrift server on 127.0.0.1:{port}, master local[2]\n"
        f"  thrift: pid {dead.pid} gone, log {home / 'thrift.log'}\n"
        f"  port {port}: does not answer\n"
    )
    assert main(["spark", "down"]) == 0
    assert capsys.readouterr().out == (
        f"stopped the Spark Thrift server on 127.0.0.1:{port} (none was still running)\n"
    )
    assert not (home / "server.json").exists()
