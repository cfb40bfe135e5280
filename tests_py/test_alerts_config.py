"""The alert config file: where it is found, alerts.example.yml, and one-line errors
naming the file, the line and the field."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bizstats.alerts import Alert, load_alert_config
from bizstats.alerts.config import EmailChannel, RetryPolicy, WebhookChannel
from bizstats.errors import BizstatsError

EXAMPLE = Path(__file__).resolve().parents[1] / "alerts.example.yml"
SECRETS = {
    "BIZSTATS_SMTP_PASSWORD": "pw",
    "BIZSTATS_DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=t",
    "BIZSTATS_WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    "BIZSTATS_FEISHU_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/h",
    "BIZSTATS_SLACK_URL": "https://hooks.slack.com/services/T/B/X",
    "BIZSTATS_SMS_TOKEN": "sms-token",
    "BIZSTATS_DINGTALK_SECRET": "SECd",
    "BIZSTATS_FEISHU_SECRET": "f-secret",
}


@pytest.fixture
def secrets(monkeypatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_the_example_config_loads(secrets):
    config = load_alert_config(EXAMPLE)
    assert config.cool_down == timedelta(hours=6)
    assert config.retry == RetryPolicy(attempts=3, backoff_seconds=2.0, timeout_seconds=10.0)
    assert config.routes == {
        "critical": ("oncall-mail", "dingtalk", "sms"),
        "general": ("oncall-mail", "dingtalk"),
        "minor": ("ops-mail",),
    }
    assert config.channels["oncall-mail"] == EmailChannel(
        name="oncall-mail", host="smtp.example.com", port=587, security="starttls",
        user="bizstats@example.com", password="pw", sender="bizstats@example.com",
        recipients=("lead@example.com", "oncall@example.com"),
    )
    assert config.channels["ops-mail"].recipients == ("ops@example.com",)
    assert config.channels["ops-mail"].port == 587
    assert config.channels["dingtalk"] == WebhookChannel(
        name="dingtalk", type="dingtalk", url=SECRETS["BIZSTATS_DINGTALK_URL"], secret="SECd"
    )
    assert config.channels["feishu"].secret == "f-secret"
    assert config.channels["sms"].headers == {"Authorization": "Bearer sms-token"}
    assert [c.name for c in config.channels_for("critical")] == ["oncall-mail", "dingtalk", "sms"]
    assert not any(secret in repr(config) for secret in ("pw", "access_token", "SECd", "sms-token"))


def test_where_the_config_is_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BIZSTATS_ALERTS_CONFIG", raising=False)
    assert load_alert_config().channels == {} and load_alert_config().source is None

    (tmp_path / "alerts.yml").write_text("cool_down_minutes: 30\n", encoding="utf-8")
    assert load_alert_config().cool_down == timedelta(minutes=30)

    other = tmp_path / "other.yml"
    other.write_text("cool_down_minutes: 5\n", encoding="utf-8")
    monkeypatch.setenv("BIZSTATS_ALERTS_CONFIG", str(other))
    assert load_alert_config().source == other and load_alert_config().cool_down == timedelta(minutes=5)

    monkeypatch.setenv("BIZSTATS_ALERTS_CONFIG", str(tmp_path / "missing.yml"))
    with pytest.raises(BizstatsError, match=r"^BIZSTATS_ALERTS_CONFIG='.*missing.yml': no such file$"):
        load_alert_config()


MAIL = "  m:\n    type: email\n    host: smtp.example.com\n    from: a@example.com\n    to: b@example.com\n"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("channels: [a\n", r":2: not valid YAML: expected ',' or ']'"),
        ("chanels: {}\n", r":1: chanels: unknown field; expected one of channels, routes"),
        ("channels:\n" + MAIL + "routes:\n  critical: [m, pager]\n",
         r":8: routes\.critical\.1: unknown channel 'pager' \(channels: m\)"),
        ("routes:\n  urgent: []\n",
         r":2: routes\.urgent: unknown field; expected one of critical, general, minor"),
        ("channels:\n" + MAIL + "    port: smtp\n",
         r":7: channels\.m\.port: must be a whole number from 1 to 65535"),
        ("channels:\n" + MAIL + "    security: tls\n",
         r":7: channels\.m\.security: must be one of starttls, ssl, none, got 'tls'"),
        ("channels:\n" + MAIL + "    password_env: NO_SUCH_VAR_X\n",
         r":7: channels\.m\.password_env: environment variable NO_SUCH_VAR_X is not set"),
        ("channels:\n" + MAIL.replace("b@example.com", "[b@example, c@example.com]"),
         r":6: channels\.m\.to\.0: not an e-mail address: 'b@example'"),
        ("channels:\n" + MAIL + "    pasword: x\n", r":7: channels\.m\.pasword: unknown field"),
        ("channels:\n  d:\n    type: dingding\n", r":3: channels\.d\.type: must be one of email, dingtalk"),
        ("channels:\n  d:\n    type: slack\n", r":2: channels\.d\.url: required: a non-empty text"),
        ("channels:\n  d:\n    type: slack\n    url: hooks.slack.com/x\n",
         r":4: channels\.d\.url: must be an http:// or https:// URL"),
        ("channels:\n  d:\n    type: webhook\n    url: ${NO_SUCH_URL_X}\n",
         r":4: channels\.d\.url: environment variable NO_SUCH_URL_X is not set"),
        ("channels:\n  w:\n    type: wecom\n    url: https://qyapi.weixin.qq.com/x\n    secret: s\n",
         r":5: channels\.w\.secret: unknown field; expected one of type, url, headers$"),
        ("cool_down_minutes: -5\n", r":1: cool_down_minutes: must be a number from 0 to 10080, got -5"),
        ("retry:\n  attempts: 0\n", r":2: retry\.attempts: must be a whole number from 1 to 10, got 0"),
        ("routes:\n  minor: ops-mail\n", r":2: routes\.minor: must be a list of channel names"),
    ],
)
def test_a_bad_config_is_one_line_naming_file_line_and_field(tmp_path, text, error):
    path = tmp_path / "alerts.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BizstatsError) as caught:
        load_alert_config(path)
    message = str(caught.value)
    assert message.startswith(f"alert config {path}:") and "\n" not in message
    assert re.search(error, message), message


def test_an_alert_with_an_unknown_severity_is_refused():
    with pytest.raises(BizstatsError, match="unknown severity 'urgent'; use one of critical, general, minor"):
        Alert("outlier", "urgent", "pv", "浏览量 PV", "", None, None, None, "", "")
