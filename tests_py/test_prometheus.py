"""`bizstats serve` as a process and what watches it (issue 17, points 13, 15 and 16):

- the shipped Prometheus files (monitoring/prometheus/) pass Debian's `promtool check rules`,
  `check config` and the rules' unit tests, and the alert thresholds are monitoring.yml's;
- a real Prometheus (Debian's, on loopback, scrape interval 1 s) scrapes `bizstats serve
  --workers 2`, and its query API returns our series with the values we caused: events
  received and stored, the latest job runs and monitors read from the warehouse, and the
  alerts those fire;
- the Grafana dashboard (monitoring/grafana/bizstats.json) is well formed and every metric its
  expressions name is one /metrics serves;
- serve says what it serves, logs one line per request (JSON lines or text; never a secret)
  and says when it stops;
- /docs renders its operations in headless Chromium with every request to anything but
  127.0.0.1 blocked (Swagger UI's files are ours: no CDN).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import pytest
import yaml

from bizstats.config import Target
from bizstats.db import ensure_raw_tables
from bizstats.ops.job_runs import finish_run, start_run, utc_now
from bizstats.web.query.keys import create_key
from tests_py.support.collector import COLLECT_ENV, ORIGIN, SITE_KEY, browser_view, prometheus_values
from tests_py.support.network import free_port
from tests_py.support.services import require, require_chromium

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = ROOT / "monitoring" / "prometheus"
RULES = PROMETHEUS_DIR / "bizstats.rules.yml"
GRAFANA = ROOT / "monitoring" / "grafana" / "bizstats.json"


def tool(name: str) -> str:
    """Debian's `name` (prometheus, promtool): skipped without it, except on CI (fails)."""
    path = shutil.which(name) or ""
    require(bool(path), f"{name} (`make browser` installs Debian's prometheus)")
    return path


@contextmanager
def serving(target: Target, log: Path, *options: str) -> Iterator[str]:
    """`bizstats serve` as a user runs it, on a free port, its stderr in `log`; stopped with
    SIGTERM (as a service manager does) on exit."""
    port = free_port()
    command = [sys.executable, "-m", "bizstats.cli", "serve", "--target", target.name, "--port", str(port)]
    with log.open("w") as err:
        server = subprocess.Popen([*command, *options], stderr=err)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.HTTPError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "bizstats serve did not start"
                time.sleep(0.1)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def _warehouse_with_jobs_and_monitors(target: Target) -> None:
    """A daily run that failed and an hourly one that succeeded (job_runs), and the latest
    monitors (monitor_results as the checks write it)."""
    ensure_raw_tables(target)
    for job, outcome, seconds in (("daily", "failed", "95.500"), ("hourly", "success", "12.250")):
        run = start_run(target, job, f"{job}-flow", date(2024, 3, 10), date(2024, 3, 10))
        finished = run.started_at + timedelta(seconds=float(seconds))
        finish_run(
            target, replace(run, finished_at=finished, duration_seconds=Decimal(seconds), outcome=outcome)
        )
    now = utc_now().replace(microsecond=0)
    with duckdb.connect(str(target.duckdb_path)) as con:
        con.execute(
            "create table main.monitor_results (monitor_name varchar, actual decimal(18,6), "
            "flagged boolean, checked_at timestamp)"
        )
        con.executemany(
            "insert into main.monitor_results values (?, ?, ?, ?)",
            [
                ("data_delay", Decimal("3"), False, now - timedelta(hours=1)),  # an older result
                ("data_delay", Decimal("12.5"), True, now),
                ("collection_success_rate", Decimal("0.995"), False, now),
            ],
        )


# the shipped files


def test_promtool_passes_the_rules_the_config_and_the_rules_unit_tests():
    promtool = tool("promtool")
    runs = {
        what: subprocess.run(
            [promtool, *what.split(), file], cwd=PROMETHEUS_DIR, capture_output=True, text=True
        )
        for what, file in (
            ("check rules", "bizstats.rules.yml"),
            ("check config", "prometheus.yml"),
            ("test rules", "bizstats.rules.test.yml"),
        )
    }
    assert {what: run.returncode for what, run in runs.items()} == dict.fromkeys(runs, 0), runs
    alerts = [r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    assert f"SUCCESS: {len(alerts)} rules found" in runs["check rules"].stdout


def test_the_alert_thresholds_are_monitoring_yml_s():
    monitors = yaml.safe_load((ROOT / "monitoring.yml").read_text())["monitoring"]["monitors"]
    rules = {r["alert"]: r["expr"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert (
        rules["BizstatsCollectionSuccessRateLow"]
        .rstrip()
        .endswith(f"< {monitors['collection_success_rate']['min_rate']}")
    )
    assert rules["BizstatsDataDelay"].endswith(f"> {monitors['data_delay']['max_minutes']}")
    assert rules["BizstatsDataErrorRate"].endswith(f"> {monitors['data_error_rate']['max_rate']}")
    assert rules["BizstatsJobSlow"].endswith(f"> {monitors['job_duration']['max_minutes']} * 60")


# a real Prometheus scraping `bizstats serve --workers 2`


def _query(prometheus: str, expr: str) -> dict[str, float]:
    """The instant vector of `expr`: its series (labels without job/instance) -> value."""
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}).json()
    assert answer["status"] == "success", answer
    found = {}
    for series in answer["data"]["result"]:
        labels = {k: v for k, v in series["metric"].items() if k not in ("job", "instance", "__name__")}
        found[",".join(f"{k}={v}" for k, v in sorted(labels.items()))] = float(series["value"][1])
    return found


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """(what Prometheus's query API answered, the alerts firing, serve's JSON log lines,
    /metrics as served, the read key's token): serve --workers 2 on a warehouse with job runs
    and monitors, two events stored, one refused."""
    prometheus = tool("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BIZSTATS_DUCKDB_PATH", str(tmp / "w.duckdb"))
        env.delenv("BIZSTATS_REDIS_URL", raising=False)
        for name, value in COLLECT_ENV.items():
            env.setenv(name, value)
        target = Target("duckdb")
        _warehouse_with_jobs_and_monitors(target)
        key, token = create_key(target, "grafana")
        with serving(target, tmp / "serve.log", "--workers", "2", "--log-format", "json") as url:
            events = {"events": [browser_view(), browser_view(), browser_view(event_type="nonsense")]}
            posted = httpx.post(
                f"{url}/api/report/batch?key={SITE_KEY}", json=events, headers={"Origin": ORIGIN}
            )
            assert posted.status_code == 200 and posted.json()["stored"] == 2, posted.text
            assert httpx.get(f"{url}/api/stats/realtime", headers={"X-API-Key": token}).status_code == 503
            metrics = httpx.get(f"{url}/metrics").text
            config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
            config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
            config["rule_files"] = [str(RULES)]
            config["scrape_configs"][0]["static_configs"] = [{"targets": [urlsplit(url).netloc]}]
            (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
            port = free_port()
            with (tmp / "prometheus.log").open("w") as log:
                server = subprocess.Popen(
                    [
                        prometheus,
                        f"--config.file={tmp / 'prometheus.yml'}",
                        f"--storage.tsdb.path={tmp / 'data'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                    ],
                    stdout=log,
                    stderr=log,
                )
            api = f"http://127.0.0.1:{port}"
            try:
                answers, firing = _wait_for_series(api, server, tmp / "prometheus.log")
            finally:
                server.terminate()
                server.wait(timeout=30)
        lines = [json.loads(line) for line in (tmp / "serve.log").read_text().splitlines()]
        yield answers, firing, lines, metrics, (key.key_id, token)


QUERIES = (
    'up{job="bizstats"}',
    "sum(bizstats_collect_events_received_total)",
    "sum(bizstats_collect_events_stored_total)",
    "sum by (reason) (bizstats_collect_events_rejected_total)",
    "bizstats_job_last_success",
    "bizstats_job_last_duration_seconds",
    "bizstats_monitor_value",
    "bizstats_monitor_flagged",
    "bizstats_warehouse_readable",
    "sum(bizstats_collect_request_seconds_count)",
    'sum by (part, status) (bizstats_http_responses_total{part!="other"})',
)


def _wait_for_series(api: str, server: subprocess.Popen, log: Path) -> tuple[dict, set[str]]:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, log.read_text()
        try:
            answers = {expr: _query(api, expr) for expr in QUERIES}
            alerts = httpx.get(f"{api}/api/v1/alerts").json()["data"]["alerts"]
        except (httpx.HTTPError, ValueError):  # not listening yet, or "Service Unavailable" while it starts
            answers, alerts = {}, []
        firing = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
        if answers and all(answers.values()) and {"BizstatsJobFailed", "BizstatsDataDelay"} <= firing:
            return answers, firing
        assert time.monotonic() < deadline, (answers, alerts, log.read_text()[-2000:])
        time.sleep(0.5)


def test_prometheus_scrapes_serve_with_two_workers_and_returns_our_series(scraped):
    answers, firing, _, _, _ = scraped
    assert answers['up{job="bizstats"}'] == {"": 1.0}
    assert answers["sum(bizstats_collect_events_received_total)"] == {"": 3.0}
    assert answers["sum(bizstats_collect_events_stored_total)"] == {"": 2.0}
    assert answers["sum by (reason) (bizstats_collect_events_rejected_total)"] == {
        "reason=event_type": 1.0,
        "reason=quarantined": 0.0,
    }
    assert answers["sum(bizstats_collect_request_seconds_count)"] == {"": 1.0}
    assert answers["bizstats_job_last_success"] == {"job_name=daily": 0.0, "job_name=hourly": 1.0}
    assert answers["bizstats_job_last_duration_seconds"] == {"job_name=daily": 95.5, "job_name=hourly": 12.25}
    assert answers["bizstats_monitor_value"] == {
        "monitor=collection_success_rate": 0.995,
        "monitor=data_delay": 12.5,
    }
    assert answers["bizstats_monitor_flagged"] == {
        "monitor=collection_success_rate": 0.0,
        "monitor=data_delay": 1.0,
    }
    assert answers["bizstats_warehouse_readable"] == {"": 1.0}
    assert answers['sum by (part, status) (bizstats_http_responses_total{part!="other"})'] == {
        "part=collect,status=2xx": 1.0, "part=query,status=5xx": 1.0
    }
    # a failed daily run and a 12.5 min data delay fire; nothing else does
    assert firing == {"BizstatsJobFailed", "BizstatsDataDelay", "BizstatsMonitorFlagged"}


def test_the_grafana_dashboard_names_only_metrics_we_export(scraped):
    _, _, _, metrics, _ = scraped
    served = {re.sub(r"\{.*", "", name) for name in prometheus_values(metrics)}
    dashboard = json.loads(GRAFANA.read_text())
    assert (dashboard["uid"], dashboard["title"]) == ("bizstats-ops", "bizstats: collector and jobs")
    assert isinstance(dashboard["schemaVersion"], int)
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) == 11
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert all(
        panel["targets"] and panel["datasource"]["type"] == "prometheus" for panel in dashboard["panels"]
    )
    named = {name for expr in exprs for name in re.findall(r"\bbizstats_[a-z_]+", expr)}
    assert named and named <= served, named - served
    rules = [r["expr"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    in_rules = {name for expr in rules for name in re.findall(r"\bbizstats_[a-z_]+", expr)}
    assert in_rules <= served, in_rules - served


def test_serve_logs_its_start_each_request_and_its_stop_as_json_lines(scraped):
    _, _, lines, _, (key_id, token) = scraped
    assert [line["message"].split(":")[0] for line in lines[:6]] == [
        "bizstats serve",
        "  warehouse",
        "  collector",
        "  redis",
        "  dashboard",
        "  log",
    ]
    start = lines[0]
    assert (start["event"], start["workers"], start["url"].startswith("http://127.0.0.1:")) == (
        "start",
        2,
        True,
    )
    assert (lines[2]["origins"], lines[2]["sources"], lines[3]["redis"]) == ([ORIGIN], ["orders"], False)
    requests = [line for line in lines if "status" in line]
    report = next(line for line in requests if line["path"] == "/api/report/batch")
    assert (report["method"], report["status"], report["key_id"]) == ("POST", 200, None)
    realtime = next(line for line in requests if line["path"] == "/api/stats/realtime")  # Redis is off
    assert (realtime["status"], realtime["key_id"], len(realtime["request_id"])) == (503, key_id, 16)
    assert realtime["message"] == (
        f"GET /api/stats/realtime 503 {realtime['ms']} ms key={key_id} request {realtime['request_id']}"
    )
    assert lines[-1]["event"] == "stop" and lines[-1]["message"].startswith("bizstats serve: stopped after ")
    text = json.dumps(lines)
    secret = token.split("_", 2)[2]
    assert [word for word in (secret, SITE_KEY, "s3cret") if word in text] == []


# /docs offline, in a browser; serve's text log


def test_docs_render_in_chromium_with_the_network_blocked_and_serve_logs_text(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    monkeypatch.setenv("BIZSTATS_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("BIZSTATS_REDIS_URL", raising=False)
    target = Target("duckdb")
    ensure_raw_tables(target)
    key, token = create_key(target, "reader")
    with serving(target, tmp_path / "serve.log") as url:
        operations = sum(
            len(methods) for methods in httpx.get(f"{url}/openapi.json").json()["paths"].values()
        )
        blocked: list[str] = []

        def only_loopback(route) -> None:
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.route("**/*", only_loopback)
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=30_000)
            shown = page.locator(".opblock").count()
            title = page.locator(".info .title").inner_text()
            page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
            browser.close()
        assert (
            httpx.get(f"{url}/api/stats/realtime", headers={"Authorization": f"Bearer {token}"}).status_code
            == 503
        )
    assert (shown, blocked, errors) == (operations, [], [])
    assert title.startswith("bizstats")
    log = (tmp_path / "serve.log").read_text().splitlines()
    messages = [line.split(" ", 2)[2] for line in log]  # after the date and time
    assert messages[0] == f"bizstats serve: {url} with 1 worker(s)"
    assert messages[1] == f"  warehouse: duckdb file {target.duckdb_path}"
    assert messages[3] == "  redis: off: no real-time counters, no query cache (BIZSTATS_REDIS_URL)"
    assert any(re.fullmatch(r"GET /docs 200 [0-9.]+ ms key=-", m) for m in messages), messages
    assert any(
        re.fullmatch(rf"GET /api/stats/realtime 503 [0-9.]+ ms key={key.key_id} request [0-9a-f]{{16}}", m)
        for m in messages
    ), messages
    assert messages[-1].startswith("bizstats serve: stopped after ") and messages[-1].endswith(f" s ({url})")
    assert token.split("_", 2)[2] not in "\n".join(log)
    assert datetime.strptime(" ".join(log[0].split(" ", 2)[:2]), "%Y-%m-%d %H:%M:%S")
