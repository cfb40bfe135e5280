"""`bizstats` command line: a thin layer over the library (load, build, export, demo, alerts,
and the scheduled jobs: schedule, run, runs, rebuild, report)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bizstats import commands
from bizstats.commands.table import columns as _columns
from bizstats.config import DEFAULT_TARGET, TARGETS, Target
from bizstats.errors import BizstatsError
from bizstats.settings import settings


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _positive(value: str) -> int:
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return int(value)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bizstats",
        description=(
            "Business-analytics warehouse: raw events and business tables to daily numbers "
            "(PV, UV, visit duration, verifications, card binds, members, credit orders, "
            "deductions) by channel and device. Targets: duckdb (embedded, default; file "
            "BIZSTATS_DUCKDB_PATH) and mysql (MySQL 8 / MariaDB; BIZSTATS_MYSQL_HOST, _PORT, "
            "_USER, _PASSWORD, _SCHEMA)."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_target(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--target",
            choices=TARGETS,
            default=DEFAULT_TARGET,
            help=f"warehouse to use (default {DEFAULT_TARGET})",
        )
        return p

    load = with_target(
        sub.add_parser(
            "load",
            help="append <table>.csv files of the raw contract to the raw tables",
            description="Append the <table>.csv files of DIR to the raw tables. Tables: "
            "event_logs, users, real_name_auths, bank_cards, member_orders, orders, deductions, "
            "refunds. Input format (columns, types, header row, UTC datetimes YYYY-MM-DD "
            "HH:MM:SS, keys): models/docs/sources.md in the repository and the dbt docs site (`make "
            "docs`); `bizstats demo --out DIR` writes example files. Bad rows are reported and "
            "kept in _rejected_rows; good rows still load.",
        )
    )
    load.add_argument("directory", type=Path, metavar="DIR")

    build = with_target(
        sub.add_parser(
            "build",
            help="build the models for a day (nightly) or a range (backfill)",
            description="Without options: the nightly run for yesterday (local time), with the "
            "lookback window (dbt var lookback_days). --date D: the same for day D. "
            "--start/--end: a backfill of that range. Every build also rebuilds the days touched "
            "by rows loaded since they were last built successfully, and carries the days "
            "already built after its range forward, so the warehouse always equals a full "
            "rebuild of the same data. After an edit of the metric registry (vars.metrics and "
            "breakdown_dimensions in dbt_project.yml: a metric or dimension added, changed or "
            "removed) it rebuilds every day with data, the marts' columns following the "
            "registry; a bad entry stops it before any table is touched.",
        )
    )
    build.add_argument("--date", type=_date, help="day to build (default: yesterday, local time)")
    build.add_argument("--start", type=_date, help="first day of a backfill range")
    build.add_argument("--end", type=_date, help="last day of a backfill range")
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop and recreate the incremental tables, rebuilt from the first day of data",
    )
    build.add_argument(
        "--select",
        metavar="MODEL",
        help="with --full-refresh: rebuild only MODEL (and the window tables it reads) over "
        "all days with data, e.g. after changing its columns; the other marts keep their rows",
    )
    build.add_argument("--reason", help="why (a backfill's reason, kept in the audit trail)")

    export = with_target(
        sub.add_parser(
            "export",
            help="print a mart's rows for a date range to stdout",
            description="Print daily_stats rows for [--start, --end] as CSV or JSON: the keys "
            "first (stat_date as YYYY-MM-DD, channel, device_type), then every metric, then "
            "created_at and updated_at; --channel and --device keep one slice (`all`: the sum).",
        )
    )
    export.add_argument("table", choices=("daily_stats",))
    export.add_argument("--start", type=_date, required=True)
    export.add_argument("--end", type=_date, required=True)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--channel", help="only this channel (`all`: every channel summed)")
    export.add_argument("--device", help="only this device type (`all`: every device summed)")

    demo = with_target(
        sub.add_parser(
            "demo",
            help="generate demo data, load it, build, and print a report (or --out: write CSVs)",
            description="Generate realistic demo data (seasonality, funnel, refunds, a few dirty "
            "rows) for the days up to yesterday, load it into the target (the embedded DuckDB "
            "by default), build all days and print a report of the last days. With --out DIR: "
            "only write the <table>.csv files into DIR, as templates of the input format for "
            "`bizstats load`; nothing is loaded or built.",
        )
    )
    demo.add_argument("--days", type=_positive, default=30, help="days of data (default 30)")
    demo.add_argument(
        "--events-per-day",
        type=_positive,
        default=5000,
        help="approximate event_logs rows per day (default 5000)",
    )
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument(
        "--report-days", type=_positive, default=7, help="days shown in the report (default 7)"
    )
    demo.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="only write the CSV files into DIR (created if needed; existing files are never "
        "overwritten), then load them with `bizstats load DIR`",
    )
    _alerts_parser(sub, with_target)
    _ops_parser(sub, with_target)
    _collector_parser(sub, with_target)
    _quarantine_parser(sub, with_target)
    _keys_parser(sub, with_target)
    for group in commands.groups():
        group.add_parser(sub, with_target)
    from bizstats.commands.audit import add_by_options

    add_by_options(parser)  # every audited command says who runs it
    return parser


def _collector_parser(sub: Any, with_target: Callable[[argparse.ArgumentParser], Any]) -> None:
    """`bizstats serve`, `bizstats collect ingest`, `bizstats realtime rebuild`."""
    serve = with_target(sub.add_parser(
        "serve",
        help="serve the collector, the query API, the dashboard, /docs and /metrics (one app)",
        description="One HTTP service (a FastAPI app under uvicorn) over the warehouse: the event "
        "collector (POST /api/report, /api/report/batch; /tracker.js for pages), the query API "
        "(GET /api/stats/daily|hourly|weekly|monthly|breakdowns|user-types|realtime, /api/metrics, "
        "/api/quality; each needs a read key: `bizstats keys create`), the dashboard (/), the "
        "OpenAPI docs (/docs, offline), Prometheus metrics (/metrics) and /healthz. On mysql "
        "events are committed to event_logs; on duckdb to the spool <db file>.spool, which "
        "`bizstats collect ingest` (and the build) moves into the warehouse. It says what it "
        "serves when it starts, logs one line per request and says when it stops. Settings: "
        "BIZSTATS_COLLECT_* (docs/collecting.md), BIZSTATS_REDIS_URL (real-time counters, "
        "query cache).",
    ))
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_positive, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers", type=_positive, default=1,
        help="processes serving the port (default 1; the collector's Python work scales with them)",
    )
    serve.add_argument(
        "--log-format", choices=("text", "json"), default="text",
        help="request and start/stop lines on stderr: text, or one JSON object per line for a "
        "log shipper (Filebeat/Logstash)",
    )
    collect = sub.add_parser("collect", help="the collector's spool (duckdb)")
    verbs = collect.add_subparsers(dest="verb", required=True, metavar="VERB")
    with_target(verbs.add_parser(
        "ingest", help="move the collector's spooled events into the duckdb raw event_logs",
    ))
    realtime = sub.add_parser("realtime", help="the real-time counters in Redis")
    rt_verbs = realtime.add_subparsers(dest="verb", required=True, metavar="VERB")
    rebuild = with_target(rt_verbs.add_parser(
        "rebuild",
        help="rebuild a day's counters from the stored events (after Redis was down)",
    ))
    rebuild.add_argument("--date", type=_date, help="the local day (default: today)")


def _quarantine_parser(sub: Any, with_target: Callable[[argparse.ArgumentParser], Any]) -> None:
    """`bizstats quarantine list|admit|drop`: browser events beyond the late-data horizon."""
    quarantine = sub.add_parser(
        "quarantine",
        help="list, admit or drop the quarantined events (browser events beyond the late-data horizon)",
        description="The collector quarantines a browser event dated more than "
        "BIZSTATS_LATE_DATA_DAYS (default 30) days before it arrived (table "
        "<schema>_raw._quarantined_events). admit moves events into event_logs, where the next "
        "build sees them (it prints the backfill their days need); drop deletes them.",
    )
    verbs = quarantine.add_subparsers(dest="verb", required=True, metavar="ACTION")
    for verb, text in (
        ("list", "list quarantined events (default: all)"),
        ("admit", "move the selected events into event_logs with a fresh _loaded_at"),
        ("drop", "delete the selected events for good"),
    ):
        action = with_target(verbs.add_parser(verb, help=text))
        action.add_argument("--id", type=_positive, action="append", default=[], dest="ids",
                            metavar="ID", help="a quarantine id as `list` shows it (repeatable)")
        action.add_argument("--before", type=_date, metavar="D",
                            help="the events whose event_time is before day D (UTC)")
        action.add_argument("--all", action="store_true", dest="every", help="every quarantined event")


def _ops_parser(sub: Any, with_target: Callable[[argparse.ArgumentParser], Any]) -> None:
    """`bizstats schedule|run|runs|rebuild|report`: the scheduled jobs (bizstats.ops)."""
    from bizstats.ops.schedules import JOBS

    with_target(sub.add_parser(
        "schedule",
        help="serve the hourly, daily, weekly and monthly jobs on their schedules (Prefect)",
        description="Serve the four jobs in this process until Ctrl-C or SIGTERM: hourly at "
        "minute 5, daily 02:00 (yesterday), weekly Monday 03:00 (last week), monthly on the 1st "
        "04:00 (last month), in the statistics time zone (dbt var stats_utc_offset_hours, "
        "UTC+8 by default). Uses the Prefect "
        "server at PREFECT_API_URL, else starts a local one of its own.",
    ))
    run = with_target(sub.add_parser(
        "run",
        help="run one job now through its Prefect flow (e.g. a backfill of a past day)",
        description="One run of JOB now: source freshness, build (with dbt's tests), anomaly "
        "checks, alerts, the daily report (daily), recorded in job_runs.",
    ))
    run.add_argument("job", choices=tuple(JOBS), metavar="JOB", help=", ".join(JOBS))
    run.add_argument("--date", type=_date, help="the day (week, month) to cover (default: as scheduled)")
    runs = with_target(sub.add_parser("runs", help="list the latest job runs (table job_runs)"))
    runs.add_argument("--limit", type=_positive, default=20)
    rebuild = with_target(sub.add_parser(
        "rebuild",
        help="re-derive a range of days after a fix, logged with its reason",
        description="Rebuild every mart over [--start, --end] (plus the days the build adds: "
        "pending days, days after it carried forward) and record it in bizstats_rebuild_log.",
    ))
    rebuild.add_argument("--start", type=_date, required=True)
    rebuild.add_argument("--end", type=_date, required=True)
    rebuild.add_argument("--reason", required=True, help="why, e.g. 'refunds of 03-10 re-delivered'")
    rebuild.add_argument("--by", default=_user(), help="who (default: the login name)")
    report = with_target(sub.add_parser(
        "report",
        help="write the daily report of a day (HTML, CSV) and optionally mail it",
        description="Write the daily report (the ten metrics vs the previous day and the same "
        "day last week, a 14-day trend chart) into BIZSTATS_REPORTS_DIR (default ./reports). "
        "--send mails it through the alert config's e-mail channels named in "
        "BIZSTATS_REPORT_CHANNELS.",
    ))
    report.add_argument("--date", type=_date, help="the day (default: yesterday, local time)")
    report.add_argument("--send", action="store_true", help="also mail it")


def _keys_parser(sub: Any, with_target: Callable[[argparse.ArgumentParser], Any]) -> None:
    """`bizstats keys create|list|revoke`: the query API's per-consumer read keys."""
    keys = sub.add_parser(
        "keys",
        help="create, list and revoke the query API's keys",
        description="One key per consumer of GET /api/stats/..., /api/metrics, /api/quality and "
        "the dashboard; stored hashed (MySQL: table bizstats_api_keys; DuckDB: <db file>"
        ".keys.sqlite). The key is printed once, at creation.",
    )
    verbs = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = with_target(verbs.add_parser("create", help="create a key and print it (once)"))
    create.add_argument("--name", required=True, help="who uses it, e.g. finance-bi")
    create.add_argument("--scope", choices=("read", "write"), default="read",
                        help="read (default): reads the stats; write keys never do")
    with_target(verbs.add_parser("list", help="list the keys (never their secrets)"))
    revoke = with_target(verbs.add_parser("revoke", help="revoke a key by its id"))
    revoke.add_argument("key_id", metavar="KEY_ID", help="as `bizstats keys list` shows it")


def _alerts_parser(sub: Any, with_target: Callable[[argparse.ArgumentParser], Any]) -> None:
    """`bizstats alerts list|ack|resolve|test`: the human confirmation step of alerts."""
    alerts = sub.add_parser(
        "alerts",
        help="list, acknowledge and resolve alerts; send a test alert",
        description="Alerts raised by the checks are stored in the warehouse (bizstats_alerts) "
        "and sent by severity to the channels of the alert config (BIZSTATS_ALERTS_CONFIG, "
        "else ./alerts.yml; see alerts.example.yml). An open or acked alert is not re-sent "
        "within its cool-down; a resolved one opens anew if raised again.",
    )
    verbs = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    listing = with_target(verbs.add_parser("list", help="list alerts (default: the open ones)"))
    listing.add_argument("--status", choices=("open", "acked", "resolved", "all"), default="open")
    for verb, text in (
        ("ack", "acknowledge an open alert: someone is on it (it is not re-sent in its cool-down)"),
        ("resolve", "resolve an open or acked alert: the data is fixed"),
    ):
        confirm = with_target(verbs.add_parser(verb, help=text))
        confirm.add_argument("id", type=_positive, metavar="ID")
        confirm.add_argument("--by", default=_user(), help="who (default: the login name)")
        confirm.add_argument("--note", default="", help="what was found or done")
    test = with_target(
        verbs.add_parser("test", help="send a test alert through the route of a severity")
    )
    test.add_argument("--severity", choices=("critical", "general", "minor"), default="critical")
    test.add_argument(
        "--config", type=Path, help="alert config file (default: BIZSTATS_ALERTS_CONFIG, else ./alerts.yml)"
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password database
        return "unknown"


def _cmd_load(args: argparse.Namespace) -> int:
    from bizstats.load.loader import load_dir

    report = load_dir(Target(args.target), args.directory, progress=_progress)
    for bad in report.rejected:
        _progress(f"rejected {bad.file}:{bad.line} [{bad.field or '-'}] {bad.reason}")
    print(
        f"loaded {report.loaded} rows from {len(report.files)} files into {args.target}; "
        f"{len(report.rejected)} rejected (kept in _rejected_rows), "
        f"{report.duplicates} duplicate event deliveries"
        + (
            f"; {len(report.already_loaded)} files already loaded (same content), skipped"
            if report.already_loaded
            else ""
        )
    )
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from bizstats.build import build

    result = build(
        Target(args.target),
        day=args.date,
        start=args.start,
        end=args.end,
        full_refresh=args.full_refresh,
        select=args.select,
        progress=_progress,
    )
    print(
        f"built {result.start} .. {result.end} ({result.days} days) on {args.target} in "
        f"{result.seconds:.1f} s (dbt {result.dbt_seconds:.1f} s)"
        + (f"; {len(result.warnings)} warnings (above)" if result.warnings else "")
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from bizstats.export import read_daily_stats, write_rows

    if args.start > args.end:
        raise BizstatsError(f"--start {args.start} is after --end {args.end}")
    rows = read_daily_stats(Target(args.target), args.start, args.end, args.channel, args.device)
    write_rows(rows, args.format, sys.stdout)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from bizstats.demo import run_demo

    text = run_demo(
        Target(args.target),
        days=args.days,
        events_per_day=args.events_per_day,
        seed=args.seed,
        report_days=args.report_days,
        out=args.out,
        progress=_progress,
    )
    print(text)
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    from bizstats import alerts

    target = Target(args.target)
    if args.alerts_command == "list":
        rows = alerts.list_alerts(target, None if args.status == "all" else args.status)
        for stored in rows:
            print(_alert_line(stored))
        if not rows:
            print(f"no {'' if args.status == 'all' else args.status + ' '}alerts on {args.target}")
        return 0
    if args.alerts_command in ("ack", "resolve"):
        confirm = alerts.ack_alert if args.alerts_command == "ack" else alerts.resolve_alert
        print(_alert_line(confirm(target, args.id, args.by, args.note)))
        return 0
    config = alerts.load_alert_config(args.config)
    report = alerts.send_test_alert(target, config, args.severity, _user())
    for d in report.deliveries:
        outcome = "sent" if d.ok else f"FAILED: {d.error}"
        print(f"{d.channel} ({d.channel_type}): {outcome} ({d.attempts} attempts)")
    return 1 if report.failed else 0


def _alert_line(stored: Any) -> str:
    """One alert as `bizstats alerts list` shows it."""
    from bizstats.alerts.message import number, summary

    a = stored.alert
    numbers = (
        f"; actual {number(a.actual)}, baseline {number(a.baseline)}"
        if a.actual is not None or a.baseline is not None
        else ""
    )
    who = {
        "acked": f"; acked by {stored.acked_by}",
        "resolved": f"; resolved by {stored.resolved_by}",
    }.get(stored.status, "")
    note = f"; note: {stored.note}" if stored.note else ""
    return (
        f"#{stored.id} {stored.status} {a.severity} {summary(stored)}{numbers}; raised "
        f"{stored.times_raised}x, last {stored.last_raised_at:%Y-%m-%d %H:%M} UTC{who}{note}"
    )


def _cmd_schedule(args: argparse.Namespace) -> int:
    from bizstats.ops.runner import serve_schedules

    serve_schedules(args.target, _progress)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from bizstats.ops.runner import run_once

    summary = run_once(args.job, args.target, args.date, _progress)
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    from bizstats.ops.job_runs import list_runs

    for r in list_runs(Target(args.target), args.limit):
        took = f" in {r.duration_seconds} s" if r.duration_seconds is not None else ""
        built = f", built {r.built_start} .. {r.built_end}" if r.built_start else ""
        error = f": {r.error}" if r.error else ""
        print(f"{r.started_at:%Y-%m-%d %H:%M:%S} UTC {r.job} {r.start_date} .. {r.end_date} "
              f"{r.outcome}{took}{built} (run {r.run_id}){error}")
    return 0


def _cmd_rebuild(args: argparse.Namespace) -> int:
    from bizstats.ops.rebuild import rebuild

    entry = rebuild(Target(args.target), args.start, args.end, args.reason, args.by, progress=_progress)
    print(f"rebuilt {entry.built_start} .. {entry.built_end} on {args.target} "
          f"(requested {entry.requested_start} .. {entry.requested_end}); logged in bizstats_rebuild_log")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from bizstats.build import yesterday_local
    from bizstats.ops.daily_report import make_report

    files = make_report(Target(args.target), args.date or yesterday_local(), send=args.send)
    print(f"wrote {files.html_path} and {files.csv_path}"
          + (f"; mailed to {', '.join(files.sent_to)}" if files.sent_to else ""))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from bizstats.web.serve import serve

    serve(Target(args.target), args.host, args.port, args.workers, args.log_format)
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    from bizstats.load.collected.ingest import ingest_spool

    print(f"ingested {ingest_spool(Target(args.target))} spooled events into {args.target}")
    return 0


def _cmd_quarantine(args: argparse.Namespace) -> int:
    from bizstats.load.quarantine import Selection
    from bizstats.ops import quarantine

    target = Target(args.target)
    selection = Selection(tuple(args.ids), args.before, args.every)
    if args.verb == "list":
        events = quarantine.list_quarantine(target, selection)
        for e in events:
            print(f"#{e.quarantine_id} {e.event_time:%Y-%m-%d %H:%M:%S} UTC {e.event_type} {e.event_id} "
                  f"ip={e.ip_address or '-'} device={e.device_id or '-'} user={e.user_id or '-'} "
                  f"page={e.page_url or '-'}; quarantined {e.quarantined_at:%Y-%m-%d %H:%M:%S} UTC: "
                  f"{e.reason}")
        print(f"{len(events)} quarantined events on {args.target}")
    elif args.verb == "drop":
        print(f"dropped {quarantine.drop_quarantine(target, selection)} quarantined events on {args.target}")
    else:
        admitted = quarantine.admit_quarantine(target, selection)
        print(f"admitted {admitted.count} quarantined events into event_logs on {args.target}"
              + (f" (local days {admitted.first_day} .. {admitted.last_day}); build them with "
                 f"`{admitted.backfill(target)}`" if admitted.count else ""))
    return 0


def _cmd_realtime(args: argparse.Namespace) -> int:
    from bizstats.realtime.rebuild import rebuild_realtime

    target = Target(args.target)
    found = settings()
    day, events = rebuild_realtime(target, args.date, found.redis.url, found.realtime.uv_exact)
    print(f"rebuilt the real-time counters of {day} from {events} events")
    return 0


def _cmd_keys(args: argparse.Namespace) -> int:
    from bizstats.web.query.keys import create_key, list_keys, revoke_key

    target = Target(args.target)
    if args.keys_command == "create":
        key, token = create_key(target, args.name, args.scope)
        print(token)
        print(f"key {key.key_id} ({key.scope}) for {key.consumer}: keep it, it is not shown again",
              file=sys.stderr)
    elif args.keys_command == "revoke":
        key = revoke_key(target, args.key_id)
        print(f"revoked key {key.key_id} of {key.consumer} at {key.revoked_at} UTC")
    else:
        keys = list_keys(target)
        rows = [
            [key.key_id, key.scope, key.consumer, f"{key.created_at:%Y-%m-%d %H:%M:%S}",
             f"revoked {key.revoked_at:%Y-%m-%d %H:%M:%S}" if key.revoked_at else "active"]
            for key in keys
        ]
        for line in _columns(["KEY ID", "SCOPE", "CONSUMER", "CREATED (UTC)", "STATE"], rows):
            print(line)
        if not keys:
            print(f"no keys on {args.target}: create one with `bizstats keys create --name NAME`")
    return 0


_COMMANDS = {
    "load": _cmd_load,
    "build": _cmd_build,
    "export": _cmd_export,
    "demo": _cmd_demo,
    "alerts": _cmd_alerts,
    "schedule": _cmd_schedule,
    "run": _cmd_run,
    "runs": _cmd_runs,
    "rebuild": _cmd_rebuild,
    "report": _cmd_report,
    "serve": _cmd_serve,
    "collect": _cmd_collect,
    "realtime": _cmd_realtime,
    "keys": _cmd_keys,
    "quarantine": _cmd_quarantine,
}


# The only commands that create a DuckDB warehouse where there is none; every other one says
# there is none (a mistyped BIZSTATS_DUCKDB_PATH never leaves an empty warehouse behind).
_CREATE_WAREHOUSE = ("load", "demo")


# The settings sections (bizstats.settings) each command reads, checked before it starts: every
# command reads where the warehouse and its files are, the load window and lock, Redis (a build invalidates
# the query cache), the privacy keys and the alert config; the jobs also the job settings and
# Prefect's; the collector's commands the collector's and the real-time counters' (never a
# build: a bad collector setting does not stop it); a MySQL target the server's; the commands
# that build (a build reads the archive of its days), archive or write real-time counters the
# retention section.
_SECTIONS = ("warehouse", "storage", "load", "redis", "privacy", "alerts")
_JOB_COMMANDS = ("schedule", "run", "rebuild", "report")
_COLLECTOR_COMMANDS = ("serve", "realtime")
_RETENTION_COMMANDS = ("build", "rebuild", "run", "schedule", "demo", "retention", "serve", "realtime")


def command_sections(command: str, target: Target | None) -> tuple[str, ...]:
    """The settings sections `command` on `target` reads (bizstats.settings.Settings)."""
    sections: tuple[str, ...] = _SECTIONS
    if command in _JOB_COMMANDS:
        sections += ("jobs", "prefect")
    if command in _COLLECTOR_COMMANDS:
        sections += ("collector", "realtime")
    if command in _RETENTION_COMMANDS:
        sections += ("retention",)
    if target is not None and target.name == "mysql":
        sections += ("mysql",)
    if target is not None and target.name == "spark":
        sections += ("spark",)
    return sections


def _check_settings(command: str, target: Target | None) -> None:
    """The command's settings sections parsed before it starts: a bad value is one line
    naming the setting, never the secret it holds."""
    settings().check(*command_sections(command, target))


def _unexpected(exc: BaseException) -> str:
    """An error bizstats did not foresee, as one line (secrets redacted); its traceback goes
    to logs/bizstats-errors.log of the project (or the temporary folder)."""
    import tempfile
    import traceback

    from bizstats.config import project_dir
    from bizstats.redact import redact_text

    text = redact_text(" ".join(str(exc).split()))[:300] or type(exc).__name__
    try:
        folder = project_dir() / "logs"
    except BizstatsError:
        folder = Path(tempfile.gettempdir())
    log = folder / "bizstats-errors.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as out:
            out.write(redact_text("".join(traceback.format_exception(exc))) + "\n")
    except OSError:
        return f"{type(exc).__name__}: {text}; this looks like a bizstats bug: please report it"
    return (f"{type(exc).__name__}: {text}; this looks like a bizstats bug: please report it with "
            f"the command you ran and the traceback in {log}")


def _check_options(args: argparse.Namespace) -> None:
    """Options that contradict each other, as one line before anything is opened (an
    argument mistake is named before a missing warehouse)."""
    start, end = getattr(args, "start", None), getattr(args, "end", None)
    if args.command == "build":
        from bizstats.build import check_options

        check_options(args.date, start, end, args.full_refresh, args.select)
    elif args.command == "export" and args.start > args.end:
        raise BizstatsError(f"--start {start} is after --end {end}")


def _run(args: argparse.Namespace) -> int:
    """The command's handler: one of cli.py's or a group of bizstats.commands."""
    if args.command in _COMMANDS:
        return _COMMANDS[args.command](args)
    groups = {group.NAME: group for group in commands.groups()}
    return int(groups[args.command].run(args))


def main(argv: Sequence[str] | None = None) -> int:
    # the files a command creates (warehouse, its lock, the spool, key hashes, exports) are
    # its user's only: 0600, folders 0700
    os.umask(0o077)
    # thrift's socket logs a failed connection to stderr before PyHive raises it: the command
    # says it once, in its one-line error (the Spark target)
    logging.getLogger("thrift.transport.TSocket").setLevel(logging.CRITICAL)
    parser = _parser()
    args = parser.parse_args(argv)
    from bizstats.commands.audit import record_command

    status, error = _guarded(args)
    # every state-changing command leaves its audit row, whatever its outcome (审计日志)
    return record_command(parser, args, status, error, _say)


def _say(line: str) -> None:
    """A line on stderr, unless it is closed (a reader of stdout went away)."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr)


def _guarded(args: argparse.Namespace) -> tuple[int, str]:
    """Run the command: (exit status, the one-line error it printed, or "")."""
    try:
        target = Target(args.target) if getattr(args, "target", None) else None
        _check_options(args)
        _check_settings(args.command, target)
        if target is not None and args.command not in _CREATE_WAREHOUSE:
            from bizstats.db import require_warehouse

            require_warehouse(target)
        return _run(args), ""
    except BizstatsError as exc:
        message = str(exc)
    except BrokenPipeError:  # stdout closed early (e.g. piped into head)
        sys.stderr.close()
        return 0, ""
    except KeyboardInterrupt:
        print("bizstats: interrupted", file=sys.stderr)
        return 130, "interrupted"
    except Exception as exc:
        # bizstats.db.connect already turns database errors into BizstatsError; this is the
        # net for one raised outside a `with connect(...)` block, for a file or folder the
        # command cannot use, and for anything else: never a traceback on the terminal
        from bizstats.db import DB_ERRORS, database_error

        if isinstance(exc, DB_ERRORS):
            message = str(database_error(Target(args.target), exc))
        elif isinstance(exc, OSError) and exc.strerror:
            message = f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
        else:
            message = _unexpected(exc)
    print(f"bizstats: error: {message}", file=sys.stderr)
    return 1, message


if __name__ == "__main__":
    sys.exit(main())
