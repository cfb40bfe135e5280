"""Mail the daily report: an HTML e-mail with the trend chart as a CID inline image, a plain
text part and the CSV attached, sent through the SMTP server of each alert-config e-mail
channel named in BIZSTATS_REPORT_CHANNELS, to that channel's recipients."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import cast

from bizstats.alerts import load_alert_config
from bizstats.alerts.config import EmailChannel
from bizstats.errors import BizstatsError
from bizstats.ops.report_data import DailyReport
from bizstats.ops.report_html import render_csv, render_html, render_text
from bizstats.ops.settings import REPORT_CHANNELS_ENV, report_channels


def report_message(
    report: DailyReport, chart_png: bytes, sender: str, recipients: tuple[str, ...]
) -> EmailMessage:
    """The report e-mail: text and HTML alternatives (the chart related to the HTML), CSV attached."""
    message = EmailMessage()
    message["Subject"] = f"bizstats 日报 daily report {report.day}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(render_text(report))
    cid = make_msgid(domain="bizstats.local")
    message.add_alternative(render_html(report, chart_png, chart_cid=cid[1:-1]), subtype="html")
    html = cast(list[EmailMessage], message.get_payload())[1]
    html.add_related(chart_png, "image", "png", cid=cid, filename="trend.png")
    message.add_attachment(render_csv(report), maintype="text", subtype="csv", filename=f"{report.name}.csv")
    return message


def _channels() -> list[EmailChannel]:
    names = report_channels()
    if not names:
        raise BizstatsError(
            f"no report recipients: set {REPORT_CHANNELS_ENV} to the names of e-mail channels of "
            "the alert config (BIZSTATS_ALERTS_CONFIG), e.g. ops-mail"
        )
    config = load_alert_config()
    channels = []
    for name in names:
        channel = config.channels.get(name)
        if not isinstance(channel, EmailChannel):
            where = config.source or "(no alert config found)"
            raise BizstatsError(f"{REPORT_CHANNELS_ENV}: {name!r} is not an e-mail channel of {where}")
        channels.append(channel)
    return channels


def send_report(report: DailyReport, chart_png: bytes) -> tuple[str, ...]:
    """Send the report through every report channel; the addresses it went to."""
    sent: list[str] = []
    timeout = load_alert_config().retry.timeout_seconds
    for channel in _channels():
        message = report_message(report, chart_png, channel.sender, channel.recipients)
        try:
            _smtp_send(channel, message, timeout)
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{channel.name} ({channel.host}:{channel.port})"
            raise BizstatsError(f"daily report via {where}: {exc}") from exc
        sent += channel.recipients
    return tuple(sent)


def _smtp_send(channel: EmailChannel, message: EmailMessage, timeout: float) -> None:
    if channel.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(channel.host, channel.port, timeout=timeout,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(channel.host, channel.port, timeout=timeout)
    with smtp:
        if channel.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if channel.user:
            smtp.login(channel.user, channel.password)
        smtp.send_message(message)
