"""The data-quality board (数据质量看板) as JSON: the monitors of the latest run of the checks
(collection success rate, job duration, data error rate, data delay, real-time vs offline:
every monitor monitor_results holds), the last build (outcome, range, duration), the error
rate of the latest cross-checks, the newest day built, and the alerts raised in the last 24
hours. A part whose table does not exist yet (no monitoring run, no alert ever) is null, and
`missing` names the table, so the board shows an empty state.

Every name a person reads comes with its Chinese and English label (`label`, `status_label`,
...: {"zh": ..., "en": ...}, bizstats.checks.labels and the alerts' names), and a monitor's
value and threshold as text with their unit in both languages (`shown`), so the page shows
any monitor without knowing it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bizstats.alerts.model import CHECK_LABELS, SEVERITY_LABELS
from bizstats.alerts.store import ALERTS, select_alerts
from bizstats.changes import BUILDS
from bizstats.checks.labels import ALERT_STATUSES, MONITOR_STATUSES, UNITS, Label, label_of
from bizstats.checks.labels import MONITORS as MONITOR_LABELS
from bizstats.db import qualified
from bizstats.web.query.readers import Reader

MONITORS = "monitor_results"
CROSS_CHECKS = "cross_check_results"
ALERT_HOURS = 24
# a threshold as monitoring.yml's monitors write it: "> 5 min", "< 0.99"
_LIMIT = re.compile(r"^\s*([<>]=?)\s*(\d+(?:\.\d+)?)\s*(?:min)?\s*$")
# ... or a tolerance, flagged above it: "offline vs real-time counters within 5% (...)"
_WITHIN = re.compile(r"\bwithin\s+(\d+(?:\.\d+)?)\s*%")


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _both(label: Label | None, name: str) -> dict[str, str]:
    return label.as_json() if label else {"zh": name, "en": name}


def _amount(value: Decimal, unit: str) -> dict[str, str]:
    """`value` in `unit` as people read it: minutes to a tenth, a fraction as a percent."""
    if unit == "ratio":
        text = f"{value * 100:.2f}%"
        return {"zh": text, "en": text}
    words = UNITS[unit]
    return {"zh": f"{value:.1f} {words.zh}", "en": f"{value:.1f} {words.en}"}


def _limit(threshold: str, unit: str | None) -> dict[str, str]:
    """A threshold ("> 5 min", "< 0.99", "... within 5% ...") in the monitor's unit; any
    other text as it is."""
    found, within = _LIMIT.match(threshold or ""), _WITHIN.search(threshold or "")
    if unit == "ratio" and not found and within:
        return {"zh": f"> {within.group(1)}%", "en": f"> {within.group(1)}%"}
    if not found or unit is None:
        return {"zh": threshold, "en": threshold}
    limit = Decimal(found.group(2)) * (100 if unit == "ratio" else 1)
    plain = format(limit.normalize(), "f")  # 1.00 -> 1, 1E+2 -> 100
    words = UNITS[unit].as_json()
    shown = {lang: plain + word if unit == "ratio" else f"{plain} {word}" for lang, word in words.items()}
    return {lang: f"{found.group(1)} {text}" for lang, text in shown.items()}


def _monitors(reader: Reader, table: str) -> list[dict[str, Any]]:
    """The rows of the latest monitoring run (every monitor of a run of the checks shares its
    checked_at; a renamed or removed monitor is in older runs only), with their labels."""
    rows = reader.fetch(
        f"select monitor_name, status, actual, threshold_text, flagged, severity, note, checked_at "
        f"from {table} where checked_at = (select max(checked_at) from {table}) order by monitor_name"
    )
    shown = []
    for name, status, actual, threshold, flagged, severity, note, checked_at in rows:
        label = MONITOR_LABELS.get(name)
        unit = label.unit if label else None
        shown.append({
            "monitor": name, "status": status, "actual": _text(actual), "threshold": threshold,
            "flagged": flagged, "severity": severity, "note": note, "checked_at": _text(checked_at),
            "label": _both(label, name), "status_label": _both(MONITOR_STATUSES.get(status), status),
            "severity_label": _severity(severity),
            "shown": {
                "actual": _amount(Decimal(actual), unit) if actual is not None and unit else None,
                "threshold": _limit(threshold, unit),
            },
        })
    return shown


def _split(label: str | None, name: str) -> dict[str, str]:
    """The two halves of an alert name as alerts.model writes it ("严重 critical"), the
    English one made a phrase ("job_failed" -> "Job failed")."""
    if not label or " " not in label:
        return {"zh": name, "en": name}
    zh, en = label.split(" ", 1)
    en = en.replace("_", " ")
    return {"zh": zh, "en": en[0].upper() + en[1:]}


def _severity(severity: str) -> dict[str, str]:
    return _split(SEVERITY_LABELS.get(severity), severity)


def _check(check: str) -> dict[str, str]:
    if check in MONITOR_LABELS:
        return MONITOR_LABELS[check].as_json()
    return _split(CHECK_LABELS.get(check), check)


def _last_build(reader: Reader, table: str) -> dict[str, Any] | None:
    rows = reader.fetch(
        f"select started_at, finished_at, start_date, end_date, models, outcome from {table} "
        "order by started_at desc limit 1"
    )
    if not rows:
        return None
    started, finished, start, end, models, outcome = rows[0]
    seconds = (finished - started).total_seconds() if finished else None
    return {
        "started_at": _text(started), "finished_at": _text(finished), "start_date": _text(start),
        "end_date": _text(end), "models": models, "outcome": outcome,
        "seconds": round(seconds, 1) if seconds is not None else None,
    }


def _cross_checks(reader: Reader, table: str) -> dict[str, Any] | None:
    rows = reader.fetch(
        f"select count(*), sum(case when passed = 1 then 0 else 1 end), min(stat_date), max(stat_date), "
        f"max(checked_at) from {table} where checked_at = (select max(checked_at) from {table})"
    )
    checked, failed, first, last, checked_at = rows[0]
    if not checked:
        return None
    rate = Decimal(int(failed)) / Decimal(int(checked))
    return {
        "checked": int(checked), "failed": int(failed), "error_rate": f"{rate:.4f}",
        "start_date": _text(first), "end_date": _text(last), "checked_at": _text(checked_at),
    }


def _alerts(reader: Reader, now: datetime) -> list[dict[str, Any]]:
    since = now - timedelta(hours=ALERT_HOURS)

    class _Cursor:  # select_alerts runs its statement on a cursor; this one is the reader's
        def execute(self, sql: str, params: Any = ()) -> None:
            self.rows = reader.fetch(sql, params)

        def fetchall(self) -> list[tuple[Any, ...]]:
            return self.rows

    stored = select_alerts(_Cursor(), reader.target, None)
    recent = [a for a in stored if a.last_raised_at >= since]
    return [
        {
            "id": a.id, "check": a.alert.check, "severity": a.alert.severity, "metric": a.alert.metric,
            "metric_label": a.alert.metric_label, "slice": a.alert.slice,
            "stat_date": _text(a.alert.stat_date), "status": a.status,
            "last_raised_at": _text(a.last_raised_at), "times_raised": a.times_raised,
            "check_label": _check(a.alert.check), "severity_label": _severity(a.alert.severity),
            "metric_labels": _both(label_of(a.alert.metric), a.alert.metric_label or a.alert.metric),
            "status_label": _both(ALERT_STATUSES.get(a.status), a.status),
        }
        for a in sorted(recent, key=lambda a: a.last_raised_at, reverse=True)
    ]


def _table(reader: Reader, name: str) -> str:
    return qualified(reader.target, reader.target.models_schema, name)


def read_quality(reader: Reader, now: datetime, control: Reader | None = None) -> dict[str, Any]:
    """The board's data as of `now` (naive UTC): the marts and the monitoring models from
    `reader`, the builds log and the alerts from `control` (the bookkeeping's reader: the
    control database on Spark; None: `reader`)."""
    control = control or reader
    tables = reader.tables()
    kept = tables if control is reader else control.tables()
    newest = None
    if "daily_stats" in tables:
        (newest,) = reader.fetch(f"select max(stat_date) from {_table(reader, 'daily_stats')}")[0]
    return {
        "checked_at": _text(now),
        "last_built_day": _text(newest),
        "last_build": _last_build(control, _table(control, BUILDS)) if BUILDS in kept else None,
        "monitors": _monitors(reader, _table(reader, MONITORS)) if MONITORS in tables else [],
        "cross_checks": (
            _cross_checks(reader, _table(reader, CROSS_CHECKS)) if CROSS_CHECKS in tables else None
        ),
        "alerts_24h": _alerts(control, now) if ALERTS in kept else [],
        "missing": sorted({BUILDS, ALERTS} - kept | {MONITORS, CROSS_CHECKS} - tables),
    }
