"""Real local receivers for what bizstats sends: an SMTP server (aiosmtpd) keeping every
message, and an HTTP server recording every JSON POST: the fixtures `smtp` and `http`, which
conftest.py makes every test file's."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests_py.support.network import free_port


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class Receiver:
    """Records every POST; answers `replies[path]` (status, JSON), else 200 with errcode 0."""

    port: int
    posts: list[Post] = field(default_factory=list)
    replies: dict[str, tuple[int, dict]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[dict]:
        """The JSON bodies posted to `path` (its query string ignored)."""
        return [p.body for p in self.posts if p.path.split("?")[0] == path]


@pytest.fixture
def http() -> Iterator[Receiver]:
    receiver = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            receiver.posts.append(Post(self.path, dict(self.headers), body))
            ok = (200, {"errcode": 0, "errmsg": "ok"})
            status, answer = receiver.replies.get(self.path.split("?")[0], ok)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver
    server.shutdown()
    server.server_close()


def alert_config(tmp_path, smtp_port: int, http: Receiver) -> str:
    """An alert config file: every severity to one mailbox and one JSON webhook; the
    `reports` channel (not routed) for the daily report. Its path."""
    path = tmp_path / "alerts.yml"
    path.write_text(
        f"""
retry: {{attempts: 2, backoff_seconds: 0.01, timeout_seconds: 5}}
channels:
  oncall-mail:
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    from: bizstats@example.com
    to: oncall@example.com
  reports:
    type: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    from: bizstats@example.com
    to: [boss@example.com, analyst@example.com]
  hook: {{type: webhook, url: "{http.url('/hook')}"}}
routes:
  critical: [oncall-mail, hook]
  general: [oncall-mail, hook]
  minor: [oncall-mail, hook]
""",
        encoding="utf-8",
    )
    return str(path)
