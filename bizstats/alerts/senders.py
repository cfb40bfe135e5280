"""One send per channel type; each raises SendError with the reason when it fails.

E-mail and the generic webhook go through apprise (`mailto://` / `mailtos://`, `json://` /
`jsons://`): both take any host, port and scheme. The IM robots are posted here with
`requests`, each in its vendor's documented JSON: apprise's dingtalk, wecombot and feishu
plugins post to a fixed vendor host (oapi.dingtalk.com, qyapi.weixin.qq.com,
open.feishu.cn), so they cannot be pointed at a proxy or a local receiver, and its slack
plugin also sends blocks/attachments rather than an incoming webhook's plain `{"text"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import apprise
import requests

from bizstats.alerts.config import Channel, EmailChannel, WebhookChannel
from bizstats.alerts.message import markdown, number, plain_text, subject
from bizstats.alerts.model import StoredAlert

_NOTIFY_TYPES = {
    "critical": apprise.NotifyType.FAILURE,
    "general": apprise.NotifyType.WARNING,
    "minor": apprise.NotifyType.INFO,
}
_APPRISE_MODES = {"starttls": "starttls", "ssl": "ssl", "none": "insecure"}


class SendError(Exception):
    """A channel did not take the message; the text says why."""


def send(channel: Channel, stored: StoredAlert, timeout: float) -> None:
    """Deliver one alert to one channel, once."""
    if isinstance(channel, EmailChannel):
        _send_apprise(_email_url(channel, timeout), stored)
    elif channel.type == "webhook":
        _send_apprise(_webhook_url(channel, stored, timeout), stored)
    else:
        url, body = _signed(channel, _robot_body(channel.type, stored), time.time())
        _post_robot(channel, url, body, timeout)


def _q(text: str) -> str:
    return quote(text, safe="")


def _email_url(channel: EmailChannel, timeout: float) -> str:
    scheme = "mailto" if channel.security == "none" else "mailtos"
    login = f"{_q(channel.user)}:{_q(channel.password)}@" if channel.user else ""
    query = {
        "smtp": channel.host,
        "mode": _APPRISE_MODES[channel.security],
        "from": channel.sender,
        "to": ",".join(channel.recipients),
        "format": "text",
        "cto": f"{timeout:g}",
    }
    params = "&".join(f"{k}={_q(v)}" for k, v in query.items())
    return f"{scheme}://{login}{channel.host}:{channel.port}?{params}"


def _webhook_url(channel: WebhookChannel, stored: StoredAlert, timeout: float) -> str:
    """apprise's json:// URL: the gateway's query string as `-name`, the headers as `+Name`
    and the alert's fields as `:name` (extra keys of the JSON body)."""
    parts = urlsplit(channel.url)
    scheme = "jsons" if parts.scheme == "https" else "json"
    a = stored.alert
    fields = {
        "alert_id": str(stored.id),
        "severity": a.severity,
        "check": a.check,
        "metric": a.metric,
        "slice": a.slice,
        "stat_date": a.stat_date.isoformat() if a.stat_date else "",
        "actual": number(a.actual) if a.actual is not None else "",
        "baseline": number(a.baseline) if a.baseline is not None else "",
    }
    query = [(f"-{k}", v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query += [(f"+{k}", v) for k, v in channel.headers.items()]
    query += [(f":{k}", v) for k, v in fields.items()]
    query += [("method", "POST"), ("cto", f"{timeout:g}"), ("rto", f"{timeout:g}")]
    params = "&".join(f"{_q(k)}={_q(v)}" for k, v in query)
    return f"{scheme}://{parts.netloc}{parts.path or '/'}?{params}"


def _send_apprise(url: str, stored: StoredAlert) -> None:
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise SendError("apprise cannot use this channel's settings (check host, port and addresses)")
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
        ok = plugin.notify(
            body=plain_text(stored),
            title=subject(stored),
            notify_type=_NOTIFY_TYPES[stored.alert.severity],
            body_format=apprise.NotifyFormat.TEXT,
        )
        reasons = [line for line in log.getvalue().splitlines() if line.strip()]
    if not ok:
        raise SendError(reasons[-1] if reasons else "apprise could not deliver it")


def _robot_body(kind: str, stored: StoredAlert) -> dict[str, Any]:
    """The vendor's documented webhook JSON."""
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject(stored), "text": markdown(stored)}}
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": markdown(stored)}}
    text = f"{subject(stored)}\n{plain_text(stored)}"
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    return {"text": text}  # slack


def _signed(channel: WebhookChannel, body: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    """The URL and body with the robot's signature (加签), if it has a secret: DingTalk signs
    `timestamp` (ms) in the query string, Feishu `timestamp` (s) in the body."""
    if not channel.secret:
        return channel.url, body
    if channel.type == "dingtalk":
        stamp = str(int(now * 1000))
        digest = hmac.new(channel.secret.encode(), f"{stamp}\n{channel.secret}".encode(), hashlib.sha256)
        sign = quote(base64.b64encode(digest.digest()).decode(), safe="")
        joiner = "&" if urlsplit(channel.url).query else "?"
        return f"{channel.url}{joiner}timestamp={stamp}&sign={sign}", body
    stamp = str(int(now))
    digest = hmac.new(f"{stamp}\n{channel.secret}".encode(), b"", hashlib.sha256)
    return channel.url, {"timestamp": stamp, "sign": base64.b64encode(digest.digest()).decode(), **body}


def _post_robot(channel: WebhookChannel, url: str, body: dict[str, Any], timeout: float) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8", **channel.headers}
    try:
        response = requests.post(
            url,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers=headers,
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise SendError(f"cannot reach {urlsplit(channel.url).hostname}: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise SendError(f"HTTP {response.status_code} from {urlsplit(channel.url).hostname}")
    _check_answer(response)


def _check_answer(response: requests.Response) -> None:
    """DingTalk and WeCom answer `errcode`, Feishu `code`, with HTTP 200 even on refusal
    (bad token, keyword or signature, rate limit): non-zero is a failure."""
    try:
        answer = response.json()
    except ValueError:
        return  # Slack answers the text `ok`
    if not isinstance(answer, dict):
        return
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        message = answer.get("errmsg", answer.get("msg", answer.get("StatusMessage", "")))
        raise SendError(f"the robot refused the message: {code} {message}".rstrip())
