"""The alert config file (YAML): channels, routes by severity, cool-down and retries.

Found at BIZSTATS_ALERTS_CONFIG, else ./alerts.yml; without either, no channel is set and
alerts are only stored. `alerts.example.yml` documents every field. A mistake is one
BizstatsError naming the file, the line and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import yaml

from bizstats.alerts.model import SEVERITIES
from bizstats.errors import BizstatsError
from bizstats.settings import settings

CONFIG_ENV = "BIZSTATS_ALERTS_CONFIG"
DEFAULT_FILE = "alerts.yml"
WEBHOOK_TYPES = ("dingtalk", "wecom", "feishu", "slack", "webhook")
CHANNEL_TYPES = ("email", *WEBHOOK_TYPES)
SIGNED_TYPES = ("dingtalk", "feishu")
SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class EmailChannel:
    """E-mail over SMTP: `security` is starttls, ssl or none."""

    name: str
    host: str
    port: int
    security: str
    user: str
    password: str = field(repr=False)
    sender: str
    recipients: tuple[str, ...]
    type: str = "email"


@dataclass(frozen=True)
class WebhookChannel:
    """An HTTP POST of JSON: a vendor's robot (`type` dingtalk, wecom, feishu, slack) or a
    generic gateway (`webhook`, e.g. SMS / phone calls), with extra headers. `secret`: the
    signing secret of a DingTalk or Feishu robot with signature verification (加签)."""

    name: str
    type: str
    url: str = field(repr=False)  # robot URLs carry their access token
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    secret: str = field(default="", repr=False)


Channel = EmailChannel | WebhookChannel


@dataclass(frozen=True)
class RetryPolicy:
    """Each channel is tried `attempts` times, waiting `backoff_seconds` before the second
    try and twice as long before each next one; one try gives up after `timeout_seconds`."""

    attempts: int = 3
    backoff_seconds: float = 2.0
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AlertConfig:
    channels: Mapping[str, Channel] = field(default_factory=dict)
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    cool_down: timedelta = timedelta(hours=6)
    retry: RetryPolicy = RetryPolicy()
    source: Path | None = None

    def channels_for(self, severity: str) -> list[Channel]:
        """The channels an alert of this severity goes to, in the route's order."""
        return [self.channels[name] for name in self.routes.get(severity, ())]


def load_alert_config(path: Path | None = None) -> AlertConfig:
    """The config at `path`, else BIZSTATS_ALERTS_CONFIG, else ./alerts.yml if present,
    else an empty one (no channels: alerts are only stored)."""
    if path is None:
        configured = settings().alerts.config
        if configured is not None:
            path = configured
        elif Path(DEFAULT_FILE).is_file():
            path = Path(DEFAULT_FILE)
        else:
            return AlertConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BizstatsError(f"alert config {path}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BizstatsError(f"alert config {path}: not UTF-8 text") from None
    return _Parser(path, text).parse()


class _Parser:
    """Reads one file, knowing the line of every field for its error messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise BizstatsError(f"alert config {path}{where}: not valid YAML: {problem}") from None
        self.lines: dict[tuple[str, ...], int] = {}
        if node is not None:
            self._index(node, ())

    def _index(self, node: yaml.Node, at: tuple[str, ...]) -> None:
        self.lines[at] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._index(value, (*at, str(key.value)))
                self.lines[(*at, str(key.value))] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, (*at, str(i)))

    def fail(self, at: tuple[str, ...], problem: str) -> BizstatsError:
        line = next((self.lines[at[:n]] for n in range(len(at), -1, -1) if at[:n] in self.lines), None)
        where = f":{line}" if line else ""
        return BizstatsError(f"alert config {self.path}{where}: {'.'.join(at) or 'file'}: {problem}")

    def mapping(
        self, value: Any, at: tuple[str, ...], allowed: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        """A YAML mapping with string keys; `allowed`: the only keys it may have."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(at, "must be a mapping of `name: value` lines")
        for key in value:
            if allowed is not None and str(key) not in allowed:
                raise self.fail((*at, str(key)), f"unknown field; expected one of {', '.join(allowed)}")
        return {str(k): v for k, v in value.items()}

    def text(self, value: Any, at: tuple[str, ...], required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise self.fail(at, "required: a non-empty text" if value is None else "must be a text")
        return self.expand(str(value).strip(), at)

    def expand(self, value: str, at: tuple[str, ...]) -> str:
        """`${NAME}` replaced by the environment variable NAME (secrets stay out of the file)."""
        environ = settings().environ

        def env(match: re.Match[str]) -> str:
            if match.group(1) not in environ:
                raise self.fail(at, f"environment variable {match.group(1)} is not set")
            return environ[match.group(1)]

        return _ENV_REF.sub(env, value)

    def number(self, value: Any, at: tuple[str, ...], low: float, high: float, whole: bool) -> float:
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
            kind = "a whole number" if whole else "a number"
            raise self.fail(at, f"must be {kind} from {low:g} to {high:g}, got {value!r}")
        return cast(float, value)

    def parse(self) -> AlertConfig:
        top = self.mapping(self.data, (), ("channels", "routes", "cool_down_minutes", "retry"))
        channels = {
            name: self.channel(name, spec)
            for name, spec in self.mapping(top.get("channels"), ("channels",)).items()
        }
        routes = self.routes(top.get("routes"), channels)
        cool = top.get("cool_down_minutes", 360)
        return AlertConfig(
            channels=channels,
            routes=routes,
            cool_down=timedelta(minutes=self.number(cool, ("cool_down_minutes",), 0, 10080, False)),
            retry=self.retry(top.get("retry")),
            source=self.path,
        )

    def retry(self, value: Any) -> RetryPolicy:
        spec = self.mapping(value, ("retry",), ("attempts", "backoff_seconds", "timeout_seconds"))
        default = RetryPolicy()

        def get(name: str, low: float, high: float, whole: bool) -> float:
            return self.number(spec.get(name, getattr(default, name)), ("retry", name), low, high, whole)

        return RetryPolicy(
            attempts=int(get("attempts", 1, 10, True)),
            backoff_seconds=float(get("backoff_seconds", 0, 600, False)),
            timeout_seconds=float(get("timeout_seconds", 0.1, 300, False)),
        )

    def routes(self, value: Any, channels: Mapping[str, Channel]) -> dict[str, tuple[str, ...]]:
        spec = self.mapping(value, ("routes",), SEVERITIES)
        routes = {}
        for severity, names in spec.items():
            at = ("routes", severity)
            if names is None:
                names = []
            if not isinstance(names, list):
                raise self.fail(at, "must be a list of channel names, e.g. [email, dingtalk]")
            for i, name in enumerate(names):
                if str(name) not in channels:
                    known = ", ".join(channels) or "none defined"
                    raise self.fail((*at, str(i)), f"unknown channel {name!r} (channels: {known})")
            routes[severity] = tuple(dict.fromkeys(str(n) for n in names))
        return routes

    def channel(self, name: str, value: Any) -> Channel:
        at = ("channels", name)
        if not isinstance(value, dict):
            raise self.fail(at, f"must be a mapping with a `type` ({', '.join(CHANNEL_TYPES)})")
        kind = value.get("type")
        if kind not in CHANNEL_TYPES:
            raise self.fail((*at, "type"), f"must be one of {', '.join(CHANNEL_TYPES)}, got {kind!r}")
        if kind == "email":
            return self.email(name, value, at)
        signed = ("secret",) if kind in SIGNED_TYPES else ()
        spec = self.mapping(value, at, ("type", "url", "headers", *signed))
        url = self.text(spec.get("url"), (*at, "url"))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self.fail((*at, "url"), "must be an http:// or https:// URL")
        headers = self.mapping(spec.get("headers"), (*at, "headers"))
        return WebhookChannel(
            name=name, type=kind, url=url,
            headers={k: self.text(v, (*at, "headers", k)) for k, v in headers.items()},
            secret=self.text(spec.get("secret"), (*at, "secret"), required=False),
        )

    def email(self, name: str, value: dict[str, Any], at: tuple[str, ...]) -> EmailChannel:
        spec = self.mapping(
            value, at, ("type", "host", "port", "security", "user", "password_env", "from", "to")
        )
        security = spec.get("security", "starttls")
        if security not in SECURITY_PORTS:
            choices = ", ".join(SECURITY_PORTS)
            raise self.fail((*at, "security"), f"must be one of {choices}, got {security!r}")
        port = int(self.number(spec.get("port", SECURITY_PORTS[security]), (*at, "port"), 1, 65535, True))
        password = ""
        if spec.get("password_env") is not None:
            var = self.text(spec["password_env"], (*at, "password_env"))
            environ = settings().environ
            if var not in environ:
                raise self.fail((*at, "password_env"), f"environment variable {var} is not set")
            password = environ[var]
        recipients = spec.get("to")
        if isinstance(recipients, str):
            recipients = [recipients]
        if not isinstance(recipients, list) or not recipients:
            raise self.fail((*at, "to"), "required: a list of e-mail addresses")
        return EmailChannel(
            name=name,
            host=self.text(spec.get("host"), (*at, "host")),
            port=port,
            security=security,
            user=self.text(spec.get("user"), (*at, "user"), required=False),
            password=password,
            sender=self.address(spec.get("from"), (*at, "from")),
            recipients=tuple(self.address(r, (*at, "to", str(i))) for i, r in enumerate(recipients)),
        )

    def address(self, value: Any, at: tuple[str, ...]) -> str:
        text = self.text(value, at)
        if not _ADDRESS.match(text):
            raise self.fail(at, f"not an e-mail address: {text!r}")
        return text
