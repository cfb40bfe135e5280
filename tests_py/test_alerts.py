"""Alerts delivered to a real local SMTP server (aiosmtpd) and a real local HTTP receiver,
stored on both targets; routing, cool-down, a channel that is down, ack/resolve, the CLI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from bizstats.alerts import (
    Alert,
    AlertConfig,
    ack_alert,
    list_alerts,
    load_alert_config,
    raise_alerts,
    resolve_alert,
)
from bizstats.cli import main
from bizstats.db import connect, ensure_raw_tables, fetch_all, qualified
from bizstats.errors import BizstatsError
from tests_py.support.network import free_port
from tests_py.support.receivers import Mailbox, Receiver

NOW = datetime(2026, 11, 26, 2, 0, 0)
PV = Alert(
    check="outlier",
    severity="critical",
    metric="pv",
    metric_label="浏览量 PV",
    slice="channel=all, device_type=all",
    stat_date=date(2026, 11, 25),
    actual=Decimal("12000"),
    baseline=Decimal("3000.50"),
    threshold="> 3x or < 0.3x the 7-day average",
    advice="check event_logs of 2026-11-25 for a crawler or a double load, then rebuild the day",
)
PV_BODY = [
    "告警编号 Alert ID: 1",
    "级别 Severity: 严重 critical",
    "检查 Check: 数据异常值 outlier",
    "指标 Metric: 浏览量 PV (pv)",
    "维度 Slice: channel=all, device_type=all",
    "日期 Date: 2026-11-25",
    "实际值 Actual: 12,000",
    "基线 Baseline: 3,000.5",
    "阈值 Threshold: > 3x or < 0.3x the 7-day average",
    "处理建议 Next step: check event_logs of 2026-11-25 for a crawler or a double load, then "
    "rebuild the day",
    "确认 Confirm: bizstats alerts ack 1  (fixed: bizstats alerts resolve 1)",
]
PV_SUBJECT = "[bizstats critical] outlier: 浏览量 PV on 2026-11-25 (channel=all, device_type=all)"




@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: every connection to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def _config(
    tmp_path: Path, smtp_port: int, http: Receiver, oncall_port: int | None = None, **overrides: str
) -> AlertConfig:
    """Every channel type at the local receivers (`overrides`: other URLs, `oncall_port`:
    another SMTP port for the critical/general mail); routes by severity; tiny backoff."""
    urls = {
        "dingtalk": http.url("/dingtalk/robot/send?access_token=t1"),
        "wecom": http.url("/wecom/send?key=k1"),
        "feishu": http.url("/feishu/hook/abc"),
        "slack": http.url("/slack/services/T/B/X"),
        "sms": http.url("/sms/send?token=s%201"),
        **overrides,
    }
    text = f"""
cool_down_minutes: 360
retry: {{attempts: 3, backoff_seconds: 0.01, timeout_seconds: 2}}
channels:
  oncall-mail:
    type: email
    host: 127.0.0.1
    port: {oncall_port or smtp_port}
    security: none
    from: bizstats@example.com
    to: [lead@example.com, dev@example.com]
  ops-mail:
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    from: bizstats@example.com
    to: ops@example.com
  dingtalk: {{type: dingtalk, url: "{urls["dingtalk"]}"}}
  wecom: {{type: wecom, url: "{urls["wecom"]}"}}
  feishu: {{type: feishu, url: "{urls["feishu"]}"}}
  slack: {{type: slack, url: "{urls["slack"]}"}}
  sms:
    type: webhook
    url: "{urls["sms"]}"
    headers: {{X-Api-Key: secret-1}}
routes:
  critical: [oncall-mail, dingtalk, wecom, feishu, slack, sms]
  general: [oncall-mail, dingtalk]
  minor: [ops-mail]
"""
    path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    return load_alert_config(path)


def _deliveries(target) -> list[tuple]:
    with connect(target) as con:
        table = qualified(target, target.models_schema, "bizstats_alert_deliveries")
        return fetch_all(
            con, f"select alert_id, channel, channel_type, outcome, attempts, error from {table} order by id"
        )


def test_an_alert_reaches_every_channel_of_its_route_in_each_vendor_format(
    duckdb_target, tmp_path, smtp, http
):
    box, port = smtp, smtp.port
    report = raise_alerts(duckdb_target, [PV], _config(tmp_path, port, http), now=NOW)

    assert [s.id for s in report.sent] == [1] and not report.suppressed and not report.failed
    assert [(d.channel, d.ok, d.attempts) for d in report.deliveries] == [
        (c, True, 1) for c in ("oncall-mail", "dingtalk", "wecom", "feishu", "slack", "sms")
    ]
    # e-mail: one message per recipient, the exact subject and body
    assert sorted(r for m in box.mails for r in m.recipients) == ["dev@example.com", "lead@example.com"]
    for mail in box.mails:
        assert mail.sender == "bizstats@example.com"
        assert mail.message["Subject"] == PV_SUBJECT
        assert mail.message.get_content().strip().splitlines() == PV_BODY
    markdown = f"### {PV_SUBJECT}\n\n" + "\n\n".join(
        "**{}**: {}".format(*line.split(": ", 1)) for line in PV_BODY
    )
    text = "\n".join([PV_SUBJECT, *PV_BODY])
    assert http.to("/dingtalk/robot/send") == [
        {"msgtype": "markdown", "markdown": {"title": PV_SUBJECT, "text": markdown}}
    ]
    assert http.to("/wecom/send") == [{"msgtype": "markdown", "markdown": {"content": markdown}}]
    assert http.to("/feishu/hook/abc") == [{"msg_type": "text", "content": {"text": text}}]
    assert http.to("/slack/services/T/B/X") == [{"text": text}]
    # the robots' tokens stay in the query string
    assert {p.path for p in http.posts} >= {"/dingtalk/robot/send?access_token=t1", "/wecom/send?key=k1"}
    [sms] = [p for p in http.posts if p.path.startswith("/sms/send")]
    assert sms.path == "/sms/send?token=s+1"
    assert sms.headers["X-Api-Key"] == "secret-1"
    assert sms.body == {
        "version": "1.0", "title": PV_SUBJECT, "message": "\n".join(PV_BODY), "attachments": [],
        "type": "failure", "alert_id": "1", "severity": "critical", "check": "outlier",
        "metric": "pv", "slice": "channel=all, device_type=all", "stat_date": "2026-11-25",
        "actual": "12,000", "baseline": "3,000.5",
    }
    [stored] = list_alerts(duckdb_target)
    assert (stored.status, stored.times_raised, stored.last_sent_at) == ("open", 1, NOW)
    assert [row[3] for row in _deliveries(duckdb_target)] == ["sent"] * 6


def test_routing_by_severity_a_minor_alert_reaches_only_the_minor_route(duckdb_target, tmp_path, smtp, http):
    box, port = smtp, smtp.port
    minor = Alert(
        check="job_failed", severity="minor", metric="", metric_label="", slice="", stat_date=None,
        actual=None, baseline=None, threshold="the nightly build failed",
        advice="read the build log, fix the cause and run `bizstats build`",
    )
    report = raise_alerts(duckdb_target, [minor], _config(tmp_path, port, http), now=NOW)

    assert [d.channel for d in report.deliveries] == ["ops-mail"]
    assert http.posts == []
    [mail] = box.mails
    assert mail.recipients == ["ops@example.com"]
    assert mail.message["Subject"] == "[bizstats minor] job_failed"
    assert mail.message.get_content().strip().splitlines() == [
        "告警编号 Alert ID: 1",
        "级别 Severity: 轻微 minor",
        "检查 Check: 统计任务失败 job_failed",
        "阈值 Threshold: the nightly build failed",
        "处理建议 Next step: read the build log, fix the cause and run `bizstats build`",
        "确认 Confirm: bizstats alerts ack 1  (fixed: bizstats alerts resolve 1)",
    ]


def test_cool_down_ack_resolve_and_re_sending(target, tmp_path, smtp, http):
    box, port = smtp, smtp.port
    config = _config(tmp_path, port, http)
    general = Alert(**{**PV.__dict__, "severity": "general"})  # e-mail + DingTalk
    sends = lambda: (len(box.mails), len(http.posts))  # noqa: E731

    first = raise_alerts(target, [general], config, now=NOW)
    assert [s.id for s in first.sent] == [1] and sends() == (2, 1)

    again = raise_alerts(target, [general], config, now=NOW + timedelta(hours=1))
    assert not again.sent and not again.deliveries and sends() == (2, 1)
    assert [(s.id, s.times_raised, s.last_raised_at, s.last_sent_at) for s in again.suppressed] == [
        (1, 2, NOW + timedelta(hours=1), NOW)
    ]

    ack_alert(target, 1, "alice", "looking at the crawler")
    acked = raise_alerts(target, [general], config, now=NOW + timedelta(hours=2))
    assert [(s.id, s.status, s.times_raised) for s in acked.suppressed] == [(1, "acked", 3)]
    assert sends() == (2, 1)

    # past the cool-down (6 h after the last sending) it is sent again, saying so
    late = raise_alerts(target, [general], config, now=NOW + timedelta(hours=6))
    assert [s.id for s in late.sent] == [1] and sends() == (4, 2)
    body = box.mails[-1].message.get_content()
    assert "重复 Repeats: raised 4 times since 2026-11-26 02:00 UTC" in body
    assert "已确认 Acked: by alice at " in body

    resolve_alert(target, 1, "alice", "crawler blocked, day rebuilt")
    reopened = raise_alerts(target, [general], config, now=NOW + timedelta(hours=7))
    assert [(s.id, s.status, s.times_raised) for s in reopened.sent] == [(2, "open", 1)]
    assert sends() == (6, 3)
    assert "告警编号 Alert ID: 2" in box.mails[-1].message.get_content()
    assert [(a.id, a.status) for a in list_alerts(target, None)] == [(1, "resolved"), (2, "open")]


def test_an_open_alert_past_its_cool_down_is_re_sent_and_escalation_skips_it(
    duckdb_target, tmp_path, smtp, http
):
    config = _config(tmp_path, smtp.port, http)
    minor = Alert(**{**PV.__dict__, "severity": "minor"})
    raise_alerts(duckdb_target, [minor], config, now=NOW)
    assert not raise_alerts(duckdb_target, [minor], config, now=NOW + timedelta(minutes=359)).sent
    assert raise_alerts(duckdb_target, [minor], config, now=NOW + timedelta(minutes=360)).sent
    # the same key, now critical: sent at once to the critical route
    escalated = raise_alerts(duckdb_target, [PV], config, now=NOW + timedelta(minutes=361))
    assert len(escalated.deliveries) == 6 and escalated.sent[0].alert.severity == "critical"


def test_a_channel_that_is_down_fails_after_its_retries_and_the_others_deliver(
    target, tmp_path, smtp, http, closed_port
):
    box, port = smtp, smtp.port
    http.replies["/wecom/send"] = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    config = _config(
        tmp_path, port, http,
        sms=f"http://127.0.0.1:{closed_port}/sms/send",
        oncall_port=closed_port,
    )
    report = raise_alerts(target, [PV], config, now=NOW)

    assert [(d.channel, d.ok, d.attempts) for d in report.deliveries] == [
        ("oncall-mail", False, 3), ("dingtalk", True, 1), ("wecom", False, 3),
        ("feishu", True, 1), ("slack", True, 1), ("sms", False, 3),
    ]
    assert [d.channel for d in report.failed] == ["oncall-mail", "wecom", "sms"]
    errors = {d.channel: d.error for d in report.failed}
    assert errors["wecom"] == "the robot refused the message: 93000 invalid webhook url"
    assert "127.0.0.1" in errors["sms"] and "127.0.0.1" in errors["oncall-mail"]
    assert len(http.to("/wecom/send")) == 3 and box.mails == []
    assert [s.id for s in report.sent] == [1]
    assert [(r[1], r[3], r[4]) for r in _deliveries(target)] == [
        ("oncall-mail", "failed", 3), ("dingtalk", "sent", 1), ("wecom", "failed", 3),
        ("feishu", "sent", 1), ("slack", "sent", 1), ("sms", "failed", 3),
    ]


def test_an_alert_no_channel_took_is_tried_again_on_the_next_raise(
    duckdb_target, tmp_path, http, closed_port
):
    down = f"http://127.0.0.1:{closed_port}/x"
    config = _config(tmp_path, closed_port, http, dingtalk=down)
    general = Alert(**{**PV.__dict__, "severity": "general"})
    first = raise_alerts(duckdb_target, [general], config, now=NOW)
    assert not first.sent and len(first.failed) == 2
    assert list_alerts(duckdb_target)[0].last_sent_at is None
    second = raise_alerts(duckdb_target, [general], config, now=NOW + timedelta(minutes=5))
    assert not second.suppressed and len(second.failed) == 2


def test_without_channels_alerts_are_only_stored(duckdb_target):
    report = raise_alerts(duckdb_target, [PV, PV], AlertConfig(), now=NOW)
    assert [a.id for a in report.alerts] == [1, 1] and not report.deliveries and not report.sent
    assert [(a.id, a.times_raised) for a in list_alerts(duckdb_target)] == [(1, 2)]


def test_list_ack_resolve_on_both_targets(target):
    raise_alerts(target, [PV, Alert(**{**PV.__dict__, "metric": "uv", "metric_label": "访客数 UV"})],
                 AlertConfig(), now=NOW)
    assert [a.alert.metric for a in list_alerts(target)] == ["pv", "uv"]

    acked = ack_alert(target, 1, "alice", "looking")
    assert (acked.status, acked.acked_by, acked.note) == ("acked", "alice", "looking")
    assert acked.acked_at is not None
    resolved = resolve_alert(target, 1, "bob", "rebuilt")
    assert (resolved.status, resolved.resolved_by, resolved.note) == ("resolved", "bob", "looking; rebuilt")
    assert resolve_alert(target, 2, "bob").status == "resolved"  # straight from open

    assert list_alerts(target) == [] and [a.id for a in list_alerts(target, "resolved")] == [1, 2]
    assert list_alerts(target, "acked") == []
    with pytest.raises(BizstatsError, match=r"^alert 1 is already resolved \(by bob at "):
        ack_alert(target, 1, "carol")
    with pytest.raises(BizstatsError, match=r"^no alert 9 on .*`bizstats alerts list --status all`"):
        resolve_alert(target, 9, "carol")
    with pytest.raises(BizstatsError, match="unknown alert status 'done'"):
        list_alerts(target, "done")


def test_cli_list_ack_resolve(duckdb_target, capsys):
    raise_alerts(duckdb_target, [PV], AlertConfig(), now=NOW)
    raise_alerts(duckdb_target, [PV], AlertConfig(), now=NOW + timedelta(minutes=30))
    line = (
        "#1 {} critical outlier: 浏览量 PV on 2026-11-25 (channel=all, device_type=all); "
        "actual 12,000, baseline 3,000.5; raised 2x, last 2026-11-26 02:30 UTC"
    )

    assert main(["alerts", "list"]) == 0
    assert capsys.readouterr().out == line.format("open") + "\n"
    assert main(["alerts", "ack", "1", "--by", "alice", "--note", "on it"]) == 0
    assert capsys.readouterr().out == line.format("acked") + "; acked by alice; note: on it\n"
    assert main(["alerts", "list"]) == 0
    assert capsys.readouterr().out == "no open alerts on duckdb\n"
    assert main(["alerts", "resolve", "1", "--by", "bob"]) == 0
    assert capsys.readouterr().out == line.format("resolved") + "; resolved by bob; note: on it\n"
    assert main(["alerts", "list", "--status", "all"]) == 0
    assert capsys.readouterr().out.startswith("#1 resolved critical")

    assert main(["alerts", "resolve", "1", "--by", "bob"]) == 1
    assert capsys.readouterr().err.startswith("bizstats: error: alert 1 is already resolved (by bob at ")
    assert main(["alerts", "ack", "7"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bizstats: error: no alert 7 on duckdb ") and err.count("\n") == 1


def test_cli_test_sends_through_the_route_and_resolves_it(
    duckdb_target, tmp_path, smtp, http, closed_port, monkeypatch, capsys
):
    box, port = smtp, smtp.port
    _config(tmp_path, port, http)
    monkeypatch.setenv("BIZSTATS_ALERTS_CONFIG", str(tmp_path / "alerts.yml"))
    ensure_raw_tables(duckdb_target)  # the alerts are stored in a warehouse (only load and demo make one)

    assert main(["alerts", "test", "--severity", "general"]) == 0
    assert capsys.readouterr().out == (
        "oncall-mail (email): sent (1 attempts)\ndingtalk (dingtalk): sent (1 attempts)\n"
    )
    assert box.mails[0].message["Subject"].startswith("[bizstats general] test on ")
    assert "检查 Check: 测试告警 test" in box.mails[0].message.get_content()
    assert main(["alerts", "test", "--severity", "general"]) == 0  # resolved: sent again
    assert len(box.mails) == 4 and list_alerts(duckdb_target) == []

    _config(tmp_path, port, http, dingtalk=f"http://127.0.0.1:{closed_port}/x")
    assert main(["alerts", "test", "--severity", "general"]) == 1
    out = capsys.readouterr().out
    assert "dingtalk (dingtalk): FAILED: cannot reach 127.0.0.1:" in out and "(3 attempts)" in out


def test_e_mail_logs_in_with_the_user_and_the_password_from_its_env_var(
    duckdb_target, tmp_path, monkeypatch
):
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss:w/rd")

    box = Mailbox()
    controller = Controller(
        box, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        monkeypatch.setenv("SMTP_PW", "p@ss:w/rd")
        path = tmp_path / "alerts.yml"
        path.write_text(
            "channels:\n  mail:\n    type: email\n    host: 127.0.0.1\n"
            f"    port: {controller.port}\n    security: none\n    user: bizstats@example.com\n"
            "    password_env: SMTP_PW\n    from: bizstats@example.com\n    to: ops@example.com\n"
            "routes:\n  critical: [mail]\n",
            encoding="utf-8",
        )
        report = raise_alerts(duckdb_target, [PV], load_alert_config(path), now=NOW)
    finally:
        controller.stop()
    assert [d.ok for d in report.deliveries] == [True]
    assert logins == [("bizstats@example.com", "p@ss:w/rd")]
    assert [m.recipients for m in box.mails] == [["ops@example.com"]]


def test_dingtalk_and_feishu_robots_with_a_secret_are_signed(duckdb_target, tmp_path, http, monkeypatch):
    monkeypatch.setenv("ROBOT_SECRET", "SEC123")
    path = tmp_path / "alerts.yml"
    path.write_text(
        "channels:\n"
        f"  dingtalk: {{type: dingtalk, url: '{http.url('/ding?access_token=t1')}', secret: $SECRET}}\n"
        f"  feishu: {{type: feishu, url: '{http.url('/feishu')}', secret: $SECRET}}\n"
        "routes:\n  critical: [dingtalk, feishu]\n".replace("$SECRET", "'${ROBOT_SECRET}'"),
        encoding="utf-8",
    )
    report = raise_alerts(duckdb_target, [PV], load_alert_config(path), now=NOW)
    assert [d.ok for d in report.deliveries] == [True, True]
    [ding, feishu] = http.posts

    query = parse_qs(urlsplit(ding.path).query)
    stamp = query["timestamp"][0]
    expected = hmac.new(b"SEC123", f"{stamp}\nSEC123".encode(), hashlib.sha256).digest()
    assert query["access_token"] == ["t1"] and query["sign"] == [base64.b64encode(expected).decode()]
    assert ding.body["msgtype"] == "markdown"

    stamp = feishu.body["timestamp"]
    expected = hmac.new(f"{stamp}\nSEC123".encode(), b"", hashlib.sha256).digest()
    assert feishu.body["sign"] == base64.b64encode(expected).decode()
    assert feishu.body["msg_type"] == "text" and feishu.body["content"]["text"].startswith(PV_SUBJECT)
