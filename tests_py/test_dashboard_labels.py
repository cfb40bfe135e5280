"""The names the quality board shows (GET /api/quality, bizstats.checks.labels): every
monitor, monitor status and alert status has a Chinese and an English label, and a
monitor's value and threshold read with their unit in both languages."""

from __future__ import annotations

from decimal import Decimal

from bizstats.alerts.model import CHECK_LABELS, SEVERITIES, STATUSES
from bizstats.checks.config import MONITORS as CONFIGURED
from bizstats.checks.hooks import REALTIME_TOLERANCE
from bizstats.checks.labels import ALERT_STATUSES, MONITOR_STATUSES, MONITORS, UNITS, label_of, metric_label
from bizstats.web.query.quality import _amount, _check, _limit, _severity


def test_every_monitor_and_status_has_both_labels():
    # the monitors of monitoring.yml and the real-time cross-check of the checks' hook
    assert sorted(MONITORS) == sorted({*CONFIGURED, "realtime_vs_offline"})
    assert sorted(ALERT_STATUSES) == sorted(STATUSES)
    assert sorted(MONITOR_STATUSES) == ["judged", "no_data", "not_available"]
    for label in [*MONITORS.values(), *MONITOR_STATUSES.values(), *ALERT_STATUSES.values()]:
        assert label.zh.strip() and label.en.strip() and label.zh != label.en, label
    assert {m.unit for m in MONITORS.values()} <= set(UNITS)
    assert MONITORS["collection_success_rate"].as_json() == {
        "zh": "数据上报成功率", "en": "Collection success rate"
    }


def test_alert_names_split_into_both_languages():
    assert _severity("critical") == {"zh": "严重", "en": "Critical"}
    assert _check("job_failed") == {"zh": "统计任务失败", "en": "Job failed"}
    assert _check("data_delay") == {"zh": "数据延迟", "en": "Data delay"}  # a monitor's own label
    assert _check("unknown_check") == {"zh": "unknown_check", "en": "unknown_check"}
    for name in [*CHECK_LABELS, *SEVERITIES]:
        names = _check(name) if name in CHECK_LABELS else _severity(name)
        assert "_" not in names["zh"] + names["en"], names


def test_a_monitors_value_and_threshold_carry_its_unit():
    assert _amount(Decimal("0.0833"), "minutes") == {"zh": "0.1 分钟", "en": "0.1 min"}
    assert _amount(Decimal("0.9950"), "ratio") == {"zh": "99.50%", "en": "99.50%"}
    assert _limit("> 5 min", "minutes") == {"zh": "> 5 分钟", "en": "> 5 min"}
    assert _limit("< 0.99", "ratio") == {"zh": "< 99%", "en": "< 99%"}
    assert _limit("> 0.01", "ratio") == {"zh": "> 1%", "en": "> 1%"}
    assert _limit(REALTIME_TOLERANCE, "ratio") == {"zh": "> 5%", "en": "> 5%"}
    stale = "newest event > 5 min old"  # a text of no known shape: as it is
    assert _limit(stale, None) == {"zh": stale, "en": stale}


def test_alerts_print_both_languages():
    assert metric_label("data_delay") == "数据延迟 Data delay"
    assert metric_label("pv") == "页面访问量 PV"
    assert label_of("pv").as_json() == {"zh": "页面访问量", "en": "Page views"}
    assert label_of("removed_metric") is None
