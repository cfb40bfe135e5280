"""Realistic, reproducible demo data: one `<table>.csv` per raw table of the source contract.

The generator simulates a consumer finance/membership site, one local day at a time (the
statistics time zone: dbt var `stats_utc_offset_hours`, UTC+8 by default):

- Traffic: visitors arrive in sessions with a daily profile (busy local evenings, quiet
  nights), a weekly profile (weekends busier) and a slow growth trend. A session is a run of
  `page_view` events, most followed by a `page_leave` carrying the view's duration. Visitors
  are anonymous devices (`device_id` only; new or returning) or registered users coming back
  logged in.
- Funnel: some anonymous sessions register a user. At registration the user's whole future
  within the window is drawn: real-name verification (with retries after rejection), card
  binding, membership purchases (with upgrades and auto-renewals), orders, fee deductions and
  refunds, and the matching backend events in `event_logs`. Anything after the end of the
  window is dropped (only a `page_leave` or an event's `created_at` may fall just after); a
  verification still under review at the end is `pending`.
- Dirt (optional): odd channel/device spellings, duplicate event deliveries, a user unknown
  to `users`, a refund of a failed deduction and a few malformed rows the loader must reject.
  Dirt is drawn from its own random stream, so `dirty=False` yields exactly the same data
  without the dirty rows.

Every value comes from random generators seeded by `DemoConfig.seed`, so one config always
gives byte-identical files. Datetimes are UTC `YYYY-MM-DD HH:MM:SS`, money is formatted
from `decimal.Decimal` with two decimals, and an empty field means NULL.
"""

from __future__ import annotations

import bisect
import csv
import heapq
import itertools
import json
import math
import random
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Generic, TextIO, TypeVar

from bizstats.contract import TABLES
from bizstats.local_time import local_yesterday
from bizstats.project_vars import project_vars

T = TypeVar("T")

DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)
SECONDS = tuple(f"{second:02d}" for second in range(60))

# Shape of the traffic.
WEEKLY = (0.95, 0.93, 0.94, 0.96, 1.01, 1.15, 1.06)  # Monday first; mean 1.0
# fmt: off
WEEKDAY_HOURS = (
    3.0, 1.8, 1.0, 0.6, 0.5, 0.7, 1.5, 3.0, 4.5, 5.5, 6.0, 6.5,
    7.0, 6.0, 5.5, 5.5, 5.5, 6.0, 6.5, 7.5, 9.0, 9.5, 7.5, 5.0,
)  # local hours 0..23
WEEKEND_HOURS = (
    4.0, 2.6, 1.4, 0.8, 0.6, 0.7, 1.0, 1.6, 2.8, 4.5, 6.0, 7.0,
    7.5, 7.0, 7.0, 7.0, 6.8, 6.8, 7.2, 8.0, 9.2, 9.6, 8.2, 6.2,
)
# fmt: on
DAILY_GROWTH = 1.006  # trend factor per day, centred on the middle of the window
DAY_NOISE = 0.04  # standard deviation of the random day-to-day factor
ROWS_PER_VIEW = 1.93  # event_logs rows per page view (views, leaves, business events)
BOUNCE_RATE = 0.35  # sessions with a single page view
EXTRA_PAGES_MEAN = 3.5  # mean extra pages of a non-bounce session (after the second)
MEAN_PAGES = BOUNCE_RATE + (1 - BOUNCE_RATE) * (2 + 1 / math.expm1(1 / EXTRA_PAGES_MEAN))
MAX_PAGES = 40
LEAVE_RATE, LAST_LEAVE_RATE = 0.92, 0.75  # page views followed by a page_leave
NEW_DEVICE_RATE = 0.6  # anonymous sessions from a never-seen device
NO_DEVICE_RATE = 0.003  # anonymous sessions without a device id (storage blocked)
USER_ACTIVE_RATE = 0.25  # registered users coming back on a given day
LOGGED_IN_CAP = 0.45  # at most this share of a day's sessions is logged in
REGISTER_RATE = {True: 0.08, False: 0.05}  # per anonymous session: new device / returning

CHANNELS = (("wechat", 32), ("app", 30), ("h5", 15), ("official", 15), ("other", 8))
DEVICES_BY_CHANNEL = {
    "wechat": (("mobile", 90), ("pc", 6), ("tablet", 4)),
    "app": (("mobile", 85), ("tablet", 12), ("other", 3)),
    "h5": (("mobile", 88), ("tablet", 8), ("pc", 4)),
    "official": (("pc", 60), ("mobile", 33), ("tablet", 6), ("other", 1)),
    "other": (("mobile", 55), ("pc", 30), ("other", 10), ("tablet", 5)),
}
USER_AGENTS = {
    "pc": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.2 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 13; V2219A) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/116.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; HUAWEI NOH-AN00) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/99.0.4844.88 Mobile Safari/537.36",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Mobile/15E148",
        "Mozilla/5.0 (Linux; Android 13; Xiaomi Pad 6) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/118.0.0.0 Safari/537.36",
    ),
    "other": (
        "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
    ),
}
# fmt: off
IP_FIRST_OCTETS = (
    36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116, 117,
    118, 119, 120, 121, 122, 123, 124, 125, 180, 182, 183, 211, 218, 220, 221, 222, 223,
)
# fmt: on
LANDING_PAGES = (
    (("/", "首页"), 40),
    (("/products/{}", "商品详情"), 25),
    (("/activity/{}", "活动页"), 20),
    (("/credit", "额度中心"), 10),
    (("/member", "会员中心"), 5),
)
PAGES = (
    (("/", "首页"), 14),
    (("/products", "商品列表"), 12),
    (("/products/{}", "商品详情"), 20),
    (("/search", "搜索"), 6),
    (("/member", "会员中心"), 7),
    (("/member/buy", "开通会员"), 3),
    (("/credit", "额度中心"), 6),
    (("/orders", "我的订单"), 5),
    (("/orders/confirm", "确认订单"), 3),
    (("/user/profile", "个人中心"), 5),
    (("/auth/real-name", "实名认证"), 2),
    (("/cards/bind", "绑定银行卡"), 2),
    (("/help", "帮助中心"), 2),
    (("/activity/{}", "活动页"), 6),
)
PAGE_ITEMS = 300  # product and activity ids in `{}` URLs

# Shape of the business: shares of users reaching each step, given the previous one.
VERIFY_RATE = 0.7  # registered users who submit a real-name verification
BIND_RATE = 0.75  # approved users who try to bind a card
MEMBER_RATE = 0.5  # users with a bound card who buy a membership
AUTO_RENEW_RATE = 0.7  # members whose membership renews automatically
UPGRADE_RATE = 0.2  # monthly or quarterly members who upgrade to a longer plan
ORDER_RATE = 0.6  # approved users who place orders
ORDER_GAP_MEAN = 4 * DAY  # mean time between two orders of a user
AUTH_METHODS = (("id_card", 50), ("face", 35), ("bank_card", 15))
AUTH_REVIEW_SECONDS = {"face": (5, 120), "bank_card": (10, 600), "id_card": (60, 4 * HOUR)}
CARD_TYPES = (("debit", 70), ("credit", 30))
MEMBER_TYPES = (("monthly", 60), ("quarterly", 25), ("yearly", 15))
MEMBER_PRICE_CENTS = {"monthly": 3000, "quarterly": 8000, "yearly": 29800}
MEMBER_DAYS = {"monthly": 30, "quarterly": 90, "yearly": 365}
MEMBER_PAYMENTS = (("wechat", 45), ("alipay", 35), ("bank_card", 20))
ORDER_PAYMENTS = (("credit", 40), ("wechat", 25), ("alipay", 25), ("bank_card", 10))
REFUND_RATES = {"member": 0.12, "goods": 0.1, "other": 0.05}

# Dirt: rates per row, applied by `_Dirt` from its own random stream.
DIRTY_CHANNELS = (" WeChat ", "APP", "tiktok", "", "Official", "H5 ")
DIRTY_DEVICES = (" Mobile", "PC", "", "Tablet", "smart-tv")
DIRTY_EVENT_CHANNEL, DIRTY_EVENT_DEVICE, DIRTY_EVENT_DUPLICATE = 0.0008, 0.0004, 0.0006
DIRTY_EVENT_RATE = DIRTY_EVENT_CHANNEL + DIRTY_EVENT_DEVICE + DIRTY_EVENT_DUPLICATE
DIRTY_USER_RATE = 0.006  # users rows with a misspelt channel or device type
FIRST_DIRTY_USER = 20  # the first one is among the first users
ORPHAN_USER_BASE = 9_000_000  # generated user ids stay far below this
WRITE_BUFFER = 1 << 20  # bytes buffered per output file


@dataclass(frozen=True)
class DemoConfig:
    """What to generate: a window of `days` local days ending on `end_date`."""

    days: int = 30
    events_per_day: int = 5000  # approximate number of event_logs rows per day
    end_date: date | None = None  # last local day of data; None = yesterday (local)
    seed: int = 42
    dirty: bool = True  # include a few dirty rows (see the module docstring)

    def window(self) -> tuple[date, date]:
        """The first and last local day of the data."""
        end = self.end_date
        if end is None:
            end = local_yesterday()
        return end - timedelta(days=self.days - 1), end


def generate(
    config: DemoConfig, out_dir: Path, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Write `<table>.csv` for every raw table into `out_dir`; return rows written per table."""
    if config.days < 1:
        raise ValueError(f"days must be at least 1, got {config.days}")
    if config.events_per_day < 0:
        raise ValueError(f"events_per_day must not be negative, got {config.events_per_day}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tables = {}
        for name, table in TABLES.items():
            handle = stack.enter_context(
                (out_dir / f"{name}.csv").open(
                    "w", newline="", encoding="utf-8", buffering=WRITE_BUFFER
                )
            )
            tables[name] = _Table(handle, table.column_names)
        _Generator(config, tables, progress).run()
    return {name: table.rows for name, table in tables.items()}


def _money(cents: int) -> str:
    """Cents as a DECIMAL(18,2) string, e.g. 3000 -> '30.00'."""
    return str(Decimal(cents).scaleb(-2))


def _as_uuid(bits: int) -> str:
    """128 random bits formatted like a version-4 UUID."""
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _local_offset() -> int:
    """Seconds from UTC to the statistics time zone (dbt var `stats_utc_offset_hours`)."""
    return project_vars().utc_offset_hours * HOUR


def _utc_midnight_of_local(day: date, offset: int) -> int:
    """Epoch seconds of the local midnight starting `day`, `offset` seconds ahead of UTC."""
    return (day - EPOCH).days * DAY - offset


class _Picker(Generic[T]):
    """Weighted random choice via bisection over cumulative weights."""

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in weighted]
        self.cumulative = list(itertools.accumulate(weight for _, weight in weighted))
        self.last = len(self.values) - 1

    def __call__(self, rng: random.Random) -> T:
        x = rng.random() * self.cumulative[-1]
        return self.values[bisect.bisect_right(self.cumulative, x, 0, self.last)]


class _Clock:
    """Formats epoch seconds as UTC `YYYY-MM-DD HH:MM:SS`, caching the minute prefixes."""

    def __init__(self, offset: int) -> None:
        self.offset = offset  # seconds from UTC to local time, for `local_day`
        self._minutes: dict[int, str] = {}
        self._local_days: dict[int, str] = {}

    def __call__(self, t: int) -> str:
        minute, second = divmod(t, 60)
        prefix = self._minutes.get(minute)
        if prefix is None:
            moment = datetime.fromtimestamp(minute * 60, UTC)
            prefix = self._minutes[minute] = moment.strftime("%Y-%m-%d %H:%M:")
        return prefix + SECONDS[second]

    def local_day(self, t: int) -> str:
        """The local date of `t` as `YYYYMMDD`, for readable business ids."""
        day = (t + self.offset) // DAY
        text = self._local_days.get(day)
        if text is None:
            text = self._local_days[day] = (EPOCH + timedelta(days=day)).strftime("%Y%m%d")
        return text


class _Table:
    """A CSV writer for one raw table that counts its rows."""

    def __init__(self, handle: TextIO, header: Sequence[str]) -> None:
        self._writer = csv.writer(handle, lineterminator="\n")
        self._writer.writerow(header)
        self.rows = 0

    def write(self, row: Sequence[str]) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def write_many(self, rows: Sequence[Sequence[str]]) -> None:
        self._writer.writerows(rows)
        self.rows += len(rows)


class _Device:
    """A browser or app install; anonymous visitors are known by its id only."""

    __slots__ = ("device_id", "device_type", "channel", "ip", "user_agent")

    def __init__(
        self, device_id: str, device_type: str, channel: str, ip: str, user_agent: str
    ) -> None:
        self.device_id = device_id
        self.device_type = device_type
        self.channel = channel
        self.ip = ip
        self.user_agent = user_agent


class _User:
    """A registered user, acquired on `channel`/`device.device_type`."""

    __slots__ = ("user_id", "device", "channel", "registered")

    def __init__(self, user_id: str, device: _Device, channel: str, registered: int) -> None:
        self.user_id = user_id
        self.device = device
        self.channel = channel
        self.registered = registered


EventRow = list[str]
TimedRow = tuple[int, EventRow]


class _Dirt:
    """Deterministic dirty rows, drawn from a random stream of their own."""

    def __init__(self, seed: int, clock: _Clock) -> None:
        self.rng = random.Random(f"bizstats-demo-dirt:{seed}")
        self.clock = clock
        self.bad_json_done = False
        self.channels = itertools.cycle(DIRTY_CHANNELS)  # every spelling shows up early
        self.devices = itertools.cycle(DIRTY_DEVICES)
        self.seen = 0  # event rows passed through so far
        self.next_dirty = self._gap(DIRTY_EVENT_RATE)  # position of the next dirty event row
        self.users = 0  # users rows passed through so far
        self.next_dirty_user = self.rng.randrange(FIRST_DIRTY_USER)

    def _gap(self, rate: float) -> int:
        """Clean rows before the next dirty one: geometric with the given rate."""
        return int(math.log(1.0 - self.rng.random()) / math.log(1.0 - rate))

    def events(self, rows: list[EventRow]) -> list[EventRow]:
        """Spoil a few of `rows` in place and return them with duplicate deliveries added."""
        rng = self.rng
        start = self.seen
        self.seen += len(rows)
        out: list[EventRow] = []
        done = 0
        while self.next_dirty < self.seen:
            index = self.next_dirty - start
            row = rows[index]
            kind = rng.random() * DIRTY_EVENT_RATE
            if not self.bad_json_done and row[1] == "page_leave":
                row[9] = row[9][:-1]  # a truncated JSON object, once
                self.bad_json_done = True
            elif kind < DIRTY_EVENT_CHANNEL:
                row[11] = next(self.channels)
            elif kind < DIRTY_EVENT_CHANNEL + DIRTY_EVENT_DEVICE:
                row[10] = next(self.devices)
            else:
                stored = datetime.fromisoformat(row[15]).replace(tzinfo=UTC)
                duplicate = row.copy()
                duplicate[15] = self.clock(int(stored.timestamp()) + 30 + rng.randrange(2 * HOUR))
                out.extend(rows[done : index + 1])
                out.append(duplicate)
                done = index + 1
            self.next_dirty += 1 + self._gap(DIRTY_EVENT_RATE)
        if not out:
            return rows
        out.extend(rows[done:])
        return out

    def user(self, row: list[str]) -> None:
        """Maybe misspell the acquisition channel or device type of a users row."""
        self.users += 1
        if self.users <= self.next_dirty_user:
            return
        self.next_dirty_user += 1 + self._gap(DIRTY_USER_RATE)
        if self.rng.random() < 0.6:
            row[2] = next(self.channels)
        else:
            row[3] = next(self.devices)


class _Generator:
    """Simulates the site day by day and streams rows into the table writers."""

    def __init__(
        self,
        config: DemoConfig,
        tables: dict[str, _Table],
        progress: Callable[[str], None] | None,
    ) -> None:
        self.config = config
        self.tables = tables
        self.progress = progress
        self.rng = random.Random(config.seed)
        self.offset = _local_offset()
        self.clock = _Clock(self.offset)
        self.first_day, self.last_day = config.window()
        self.start = _utc_midnight_of_local(self.first_day, self.offset)
        self.end = _utc_midnight_of_local(self.last_day, self.offset) + DAY - 1  # inclusive
        self.dirt = _Dirt(config.seed, self.clock) if config.dirty else None
        self.channel = _Picker(CHANNELS)
        self.device_by_channel = {c: _Picker(d) for c, d in DEVICES_BY_CHANNEL.items()}
        self.landing = _Picker(LANDING_PAGES)
        self.page = _Picker(PAGES)
        self.weekday_hours = _Picker(list(enumerate(WEEKDAY_HOURS)))
        self.weekend_hours = _Picker(list(enumerate(WEEKEND_HOURS)))
        self.auth_method = _Picker(AUTH_METHODS)
        self.card_type = _Picker(CARD_TYPES)
        self.member_type = _Picker(MEMBER_TYPES)
        self.member_payment = _Picker(MEMBER_PAYMENTS)
        self.order_payment = _Picker(ORDER_PAYMENTS)
        self.devices: list[_Device] = []  # anonymous devices that may come back
        self.users: list[_User] = []
        self.ids: dict[str, int] = {}
        self.future: list[tuple[int, int, EventRow]] = []  # heap of backend events
        self.sequence = itertools.count()
        self.carry: list[TimedRow] = []  # events past the last flushed day

    # -- driving ---------------------------------------------------------------------------

    def run(self) -> None:
        """Generate every day of the window, then the dirty extras."""
        middle = (self.config.days - 1) / 2
        for index in range(self.config.days):
            day = self.first_day + timedelta(days=index)
            factor = (
                DAILY_GROWTH ** (index - middle)
                * WEEKLY[day.weekday()]
                * max(0.5, self.rng.gauss(1.0, DAY_NOISE))
            )
            budget = round(self.config.events_per_day * factor / ROWS_PER_VIEW)
            before = self.tables["event_logs"].rows
            self._day(day, budget)
            if self.progress is not None:
                written = self.tables["event_logs"].rows - before
                self.progress(f"{day.isoformat()}: {written} events")
        self._flush([], None)
        if self.dirt is not None:
            self._dirty_extras(self.dirt)

    def _day(self, day: date, view_budget: int) -> None:
        """Simulate the sessions of one local day and write its events."""
        rng = self.rng
        start = _utc_midnight_of_local(day, self.offset)
        hours = self.weekend_hours if day.weekday() >= 5 else self.weekday_hours
        rows: list[TimedRow] = []
        views = 0
        returning = min(
            int(len(self.users) * USER_ACTIVE_RATE),
            int(view_budget / MEAN_PAGES * LOGGED_IN_CAP),
        )
        for user in rng.sample(self.users, returning):
            for _ in range(2 if rng.random() < 0.15 else 1):
                channel = user.channel if rng.random() < 0.8 else self.channel(rng)
                at = start + hours(rng) * HOUR + int(rng.random() * HOUR)
                if at > user.registered:  # (registered in a session that crossed midnight)
                    views += self._session(rows, at, user.device, channel, user)
        while views < view_budget:
            device, new = self._anonymous_device()
            channel = device.channel if new or rng.random() < 0.85 else self.channel(rng)
            at = start + hours(rng) * HOUR + int(rng.random() * HOUR)
            views += self._session(rows, at, device, channel, None, REGISTER_RATE[new])
        self._flush(rows, start + DAY)

    def _flush(self, rows: list[TimedRow], until: int | None) -> None:
        """Write pending events before `until` (all of them if None) in time order."""
        batch = self.carry
        batch.extend(rows)
        future = self.future
        while future and (until is None or future[0][0] < until):
            at, _, row = heapq.heappop(future)
            batch.append((at, row))
        batch.sort(key=itemgetter(0))
        cut = len(batch) if until is None else bisect.bisect_left(batch, until, key=itemgetter(0))
        ready = [row for _, row in batch[:cut]]
        self.carry = batch[cut:]
        self.tables["event_logs"].write_many(self.dirt.events(ready) if self.dirt else ready)

    # -- small helpers ---------------------------------------------------------------------

    def _uuid(self) -> str:
        """A random UUID-like event id from the seeded generator."""
        return _as_uuid(self.rng.getrandbits(128))

    def _id(self, prefix: str, at: int) -> str:
        """The next business id with `prefix`, e.g. `OD20240115000042`."""
        number = self.ids.get(prefix, 0) + 1
        self.ids[prefix] = number
        return f"{prefix}{self.clock.local_day(at)}{number:06d}"

    def _lag(self, at: int) -> int:
        """Seconds between an event at `at` and its storage by the collector."""
        rng = self.rng
        if rng.random() < 0.002:  # an app that was offline uploads later, but by the time the
            # data is taken (a minute after the window): never a storage time in the future,
            # which the loader would refuse or not depending on the hour the demo runs
            return max(0, min(600 + rng.randrange(2 * DAY), self.end + 60 - at))
        return int(-1.5 * math.log(1.0 - rng.random()))

    def _delay(self, quick_share: float, quick: int, mean: float) -> int:
        """A delay in seconds: `quick_share` of them within `quick`, else exponential."""
        rng = self.rng
        if rng.random() < quick_share:
            return 1 + rng.randrange(quick)
        return quick + int(rng.expovariate(1 / mean))

    def _new_device(self) -> _Device:
        """A never-seen device with its acquisition channel, type, IP and user agent."""
        rng = self.rng
        channel = self.channel(rng)
        device_type = self.device_by_channel[channel](rng)
        agent = rng.choice(USER_AGENTS[device_type])
        if channel == "wechat":
            agent += " MicroMessenger/8.0.44"
        elif channel == "app":
            agent = f"BizApp/3.8.{rng.randrange(6)} {agent}"
        ip = (
            f"{rng.choice(IP_FIRST_OCTETS)}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{1 + rng.randrange(254)}"
        )
        return _Device(f"dev_{rng.getrandbits(96):024x}", device_type, channel, ip, agent)

    def _anonymous_device(self) -> tuple[_Device, bool]:
        """A device for an anonymous session and whether it is new."""
        rng = self.rng
        if not self.devices or rng.random() < NEW_DEVICE_RATE:
            device = self._new_device()
            if rng.random() < NO_DEVICE_RATE:
                device.device_id = ""
            else:
                self.devices.append(device)
            return device, True
        return rng.choice(self.devices), False

    def _duration_ms(self, last: bool) -> int:
        """How long a page stays open; the last page of a session has a long tail."""
        rng = self.rng
        if last:
            r = rng.random()
            if r < 0.0003:  # a tab forgotten for more than a day
                return 90_000_000 + rng.randrange(60_000_000)
            if r < 0.003:  # a tab left open for hours
                return HOUR * 1000 + rng.randrange(9 * HOUR * 1000)
        return max(1000, int(math.exp(rng.gauss(10.1, 0.95))))

    # -- traffic ---------------------------------------------------------------------------

    def _session(
        self,
        out: list[TimedRow],
        at: int,
        device: _Device,
        channel: str,
        user: _User | None,
        register_rate: float = 0.0,
    ) -> int:
        """Append one session's events to `out`; return its number of page views."""
        rng = self.rng
        rnd, bits, clock = rng.random, rng.getrandbits, self.clock
        session_id = f"sess_{bits(80):020x}"
        pages = 1
        if rnd() >= BOUNCE_RATE:
            pages = min(MAX_PAGES, 2 + int(rng.expovariate(1 / EXTRA_PAGES_MEAN)))
        register_at = -1
        if pages >= 2 and rnd() < register_rate:
            register_at = 1 + rng.randrange(pages - 1)
        if user and rnd() < 0.4:
            login = ("/login", "登录")
            self._backend_event(at, "user_login", user, channel, session_id, login)
            at += 1 + rng.randrange(5)
        who = [user.user_id if user else "", device.device_id, session_id]
        where = [device.device_type, channel, device.ip, device.user_agent]
        views = 0
        for k in range(pages):
            if at > self.end:
                break
            if k == register_at:
                url, title = "/register", "注册"
            else:
                url, title = (self.page if k else self.landing)(rng)
                if "{}" in url:
                    url = url.format(1 + int(rnd() * PAGE_ITEMS))
            view_id = _as_uuid(bits(128))
            stamp = clock(at)
            lag = self._lag(at)
            page = [url, title, "", "", ""]
            times = [stamp, clock(at + lag) if lag else stamp]
            out.append((at, [view_id, "page_view", *who, *page, *where, *times]))
            views += 1
            last = k == pages - 1
            duration = self._duration_ms(last)
            seconds = duration // 1000
            if rnd() < (LAST_LEAVE_RATE if last else LEAVE_RATE):
                left = at + seconds
                leave_id = _as_uuid(bits(128))
                page[4] = f'{{"page_view_id": "{view_id}", "duration_ms": {duration}}}'
                stamp = clock(left)
                lag = self._lag(left)
                times = [stamp, clock(left + lag) if lag else stamp]
                out.append((left, [leave_id, "page_leave", *who, *page, *where, *times]))
            registered = at + max(1, seconds - 1)
            if k == register_at and registered <= self.end:
                user = self._register(registered, device, channel, session_id)
                who[0] = user.user_id
            at += seconds + int(rnd() * 4)
        return views

    def _backend_event(
        self,
        at: int,
        event_type: str,
        user: _User,
        channel: str | None = None,
        session_id: str = "",
        page: tuple[str, str] = ("", ""),
        *,
        order_id: str = "",
        cents: int | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        """Queue a business event; it is written with the day it falls on."""
        device = user.device
        in_session = bool(session_id)
        row = [
            self._uuid(),
            event_type,
            user.user_id,
            device.device_id,
            session_id,
            page[0],
            page[1],
            order_id,
            "" if cents is None else _money(cents),
            "" if extra is None else json.dumps(extra, ensure_ascii=False),
            device.device_type,
            channel or user.channel,
            device.ip if in_session else "",
            device.user_agent if in_session else "",
            self.clock(at),
            self.clock(at + self._lag(at)),
        ]
        heapq.heappush(self.future, (at, next(self.sequence), row))

    # -- the funnel ------------------------------------------------------------------------

    def _register(self, at: int, device: _Device, channel: str, session_id: str) -> _User:
        """Create a user registered at `at` and draw their whole future in the window."""
        user = _User(f"u{len(self.users) + 1:07d}", device, channel, at)
        self.users.append(user)
        row = [user.user_id, self.clock(at), channel, device.device_type]
        if self.dirt is not None:
            self.dirt.user(row)
        self.tables["users"].write(row)
        self._backend_event(
            at, "user_register", user, session_id=session_id, page=("/register", "注册")
        )
        approved = self._real_name(user, at)
        if approved is None:
            return user
        bound = self._bind_cards(user, approved)
        if bound is not None:
            self._membership(user, bound)
        self._orders(user, approved, bound)
        return user

    def _real_name(self, user: _User, registered: int) -> int | None:
        """Verification attempts; return when the user was approved, if they were."""
        rng = self.rng
        if rng.random() >= VERIFY_RATE:
            return None
        at = registered + self._delay(0.45, 600, 2 * DAY)
        for _ in range(3):
            if at > self.end:
                return None
            method = self.auth_method(rng)
            low, high = AUTH_REVIEW_SECONDS[method]
            reviewed = at + low + rng.randrange(high - low)
            r = rng.random()
            status = "approved" if r < 0.78 else "rejected" if r < 0.92 else "pending"
            if status != "pending" and reviewed > self.end:
                status = "pending"  # still under review when the data ends
            approved_at = self.clock(reviewed) if status == "approved" else ""
            auth_id = self._id("RA", at)
            self.tables["real_name_auths"].write(
                [auth_id, user.user_id, method, status, self.clock(at), approved_at]
            )
            if status == "approved":
                self._backend_event(
                    reviewed,
                    "real_name_auth",
                    user,
                    extra={"auth_id": auth_id, "auth_method": method},
                )
                return reviewed
            if status == "pending" or rng.random() >= 0.6:
                return None
            at = reviewed + self._delay(0.5, HOUR, 2 * DAY)  # try again after a rejection
        return None

    def _bind_cards(self, user: _User, approved: int) -> int | None:
        """Card bind attempts; return the first successful bind time, if any."""
        rng = self.rng
        if rng.random() >= BIND_RATE:
            return None
        first: int | None = None
        at = approved + self._delay(0.5, 30 * 60, 3 * DAY)
        attempts = 0
        while at <= self.end and attempts < 5:
            attempts += 1
            card_type = self.card_type(rng)
            bind_id = self._id("BC", at)
            if rng.random() < 0.18:
                self.tables["bank_cards"].write(
                    [bind_id, user.user_id, card_type, "failed", self.clock(at), ""]
                )
                if rng.random() >= 0.65:
                    break
                at += 60 + rng.randrange(HOUR)
                continue
            unbound = ""
            if rng.random() < 0.08:
                later = at + HOUR + int(rng.expovariate(1 / (10 * DAY)))
                unbound = self.clock(later) if later <= self.end else ""
            self.tables["bank_cards"].write(
                [bind_id, user.user_id, card_type, "success", self.clock(at), unbound]
            )
            self._backend_event(
                at, "bind_card", user, extra={"bind_id": bind_id, "card_type": card_type}
            )
            if first is None:
                first = at
            if rng.random() >= 0.12:  # most users bind a single card
                break
            at += HOUR + int(rng.expovariate(1 / (7 * DAY)))
        return first

    def _member_order(
        self,
        user: _User,
        at: int,
        member_type: str,
        payment: str,
        paid: int | None,
        status: str,
        effective: int | None,
    ) -> str:
        """One member_orders row (and its event once paid); return its id."""
        order_id = self._id("MO", at)
        self.tables["member_orders"].write(
            [
                order_id,
                user.user_id,
                member_type,
                payment,
                _money(MEMBER_PRICE_CENTS[member_type]),
                status,
                self.clock(at),
                "" if paid is None else self.clock(paid),
                "" if effective is None else self.clock(effective),
            ]
        )
        if paid is not None:
            self._backend_event(
                paid,
                "member_purchase",
                user,
                order_id=order_id,
                cents=MEMBER_PRICE_CENTS[member_type],
                extra={"member_type": member_type, "payment_method": payment},
            )
        return order_id

    def _membership(self, user: _User, bound: int) -> None:
        """A first membership purchase (checkouts may fail and be retried), then renewals."""
        rng = self.rng
        if rng.random() >= MEMBER_RATE:
            return
        at = bound + self._delay(0.3, HOUR, 4 * DAY)
        for _ in range(3):
            if at + 200 > self.end:
                return
            member_type = self.member_type(rng)
            payment = self.member_payment(rng)
            r = rng.random()
            if r < 0.86:
                paid = at + 3 + rng.randrange(120)
                effective = None if rng.random() < 0.6 else paid
                order_id = self._member_order(
                    user, at, member_type, payment, paid, "paid", effective
                )
                self._deduction(
                    user,
                    paid,
                    "member",
                    MEMBER_PRICE_CENTS[member_type],
                    "manual",
                    "success",
                    order_id,
                )
                self._upgrade_or_renew(user, member_type, payment, paid)
                return
            status = "failed" if r < 0.94 else "cancelled"
            self._member_order(user, at, member_type, payment, None, status, None)
            if rng.random() >= 0.5:
                return
            at += 300 + rng.randrange(HOUR)

    def _upgrade_or_renew(self, user: _User, member_type: str, payment: str, paid: int) -> None:
        """Some members upgrade to a longer plan (effective at once); others may renew."""
        rng = self.rng
        expiry = paid + MEMBER_DAYS[member_type] * DAY
        at = paid + HOUR + int(rng.expovariate(1 / (10 * DAY)))
        upgrade = member_type != "yearly" and rng.random() < UPGRADE_RATE
        if not upgrade or at >= min(expiry, self.end - 200):
            self._renewals(user, member_type, payment, paid)
            return
        longer = "yearly" if member_type == "quarterly" or rng.random() < 0.5 else "quarterly"
        upgraded = at + 3 + rng.randrange(120)
        order_id = self._member_order(user, at, longer, payment, upgraded, "paid", upgraded)
        cents = MEMBER_PRICE_CENTS[longer]
        self._deduction(user, upgraded, "member", cents, "manual", "success", order_id)
        self._renewals(user, longer, payment, upgraded)

    def _renewals(self, user: _User, member_type: str, payment: str, start: int) -> None:
        """Automatic renewals charged around each expiry, retried a few hours apart."""
        rng = self.rng
        if rng.random() >= AUTO_RENEW_RATE:
            return
        expiry = start + MEMBER_DAYS[member_type] * DAY
        while expiry <= self.end:
            at = expiry - rng.randrange(DAY)
            for attempt in range(3):
                if at + 60 > self.end:
                    return
                if rng.random() < 0.88:
                    paid = at + 1 + rng.randrange(59)
                    order_id = self._member_order(
                        user, at, member_type, payment, paid, "paid", max(expiry, paid)
                    )
                    self._deduction(
                        user,
                        paid,
                        "member",
                        MEMBER_PRICE_CENTS[member_type],
                        "auto",
                        "success",
                        order_id,
                    )
                    break
                order_id = self._member_order(user, at, member_type, payment, None, "failed", None)
                status = "failed" if attempt == 2 else "retrying"
                self._deduction(
                    user, at, "member", MEMBER_PRICE_CENTS[member_type], "auto", status, order_id
                )
                at += 4 * HOUR + rng.randrange(4 * HOUR)
            else:
                return  # the membership lapses
            expiry += MEMBER_DAYS[member_type] * DAY

    def _orders(self, user: _User, approved: int, bound: int | None) -> None:
        """Orders placed from time to time, with their payments and deductions."""
        rng = self.rng
        if rng.random() >= ORDER_RATE:
            return
        at = approved + self._delay(0.2, HOUR, 2 * DAY)
        while at <= self.end:
            payment = self.order_payment(rng)
            if payment in ("credit", "bank_card") and (bound is None or at < bound):
                payment = "wechat" if rng.random() < 0.55 else "alipay"
            cents = max(990, int(rng.lognormvariate(9.6, 0.8)))
            r = rng.random()
            status = "success" if r < 0.86 else "failed" if r < 0.94 else "cancelled"
            order_id = self._id("OD", at)
            self.tables["orders"].write(
                [order_id, user.user_id, payment, status, _money(cents), self.clock(at)]
            )
            self._backend_event(
                at,
                "order_create",
                user,
                order_id=order_id,
                cents=cents,
                extra={"pay_method": payment},
            )
            if status == "success":
                paid = at + 2 + rng.randrange(60)
                if paid <= self.end:
                    self._backend_event(
                        paid,
                        "payment_success",
                        user,
                        order_id=order_id,
                        cents=cents,
                        extra={"pay_method": payment},
                    )
                if payment == "credit":  # repaid by an automatic deduction, plus a service fee
                    due = at + 3 * DAY + rng.randrange(17 * DAY)
                    if due <= self.end:
                        r = rng.random()
                        state = "success" if r < 0.85 else "retrying" if r < 0.92 else "failed"
                        self._deduction(user, due, "goods", cents, "auto", state, order_id)
                        fee = max(1, cents * (5 + rng.randrange(11)) // 1000)
                        self._deduction(user, due, "other", fee, "auto", state, order_id)
                elif payment == "bank_card" and paid <= self.end:
                    state = "success" if rng.random() < 0.97 else "failed"
                    self._deduction(user, paid, "goods", cents, "manual", state, order_id)
            at += 600 + int(rng.expovariate(1 / ORDER_GAP_MEAN))

    def _deduction(
        self,
        user: _User,
        at: int,
        service: str,
        cents: int,
        mode: str,
        status: str,
        source_order: str,
    ) -> None:
        """One deduction row; a successful one is announced and may later be refunded."""
        deduction_id = self._id("DD", at)
        self.tables["deductions"].write(
            [deduction_id, user.user_id, service, _money(cents), mode, status, self.clock(at)]
        )
        if status != "success":
            return
        self._backend_event(
            at,
            "deduction_success",
            user,
            order_id=source_order,
            cents=cents,
            extra={"deduction_id": deduction_id, "service_type": service, "mode": mode},
        )
        rng = self.rng
        if rng.random() >= REFUND_RATES[service]:
            return
        refund = cents if cents < 2 or rng.random() < 0.6 else 1 + rng.randrange(cents - 1)
        refunded = at + HOUR + rng.randrange(5 * DAY)
        for attempt in range(2):
            if refunded > self.end:
                return
            ok = rng.random() < (0.88 if attempt == 0 else 0.95)
            self.tables["refunds"].write(
                [
                    self._id("RF", refunded),
                    deduction_id,
                    _money(refund),
                    "success" if ok else "failed",
                    self.clock(refunded),
                ]
            )
            if ok or rng.random() >= 0.7:
                return
            refunded += DAY + rng.randrange(HOUR)

    # -- dirt ------------------------------------------------------------------------------

    def _dirty_extras(self, dirt: _Dirt) -> None:
        """Rows that only exist in dirty data: malformed rows and a user unknown to `users`."""
        rng, clock, tables = dirt.rng, self.clock, self.tables
        at = self.start + rng.randrange(self.end - self.start - 3 * HOUR)
        day = clock.local_day(at)
        event_id = _as_uuid(rng.getrandbits(128))
        device_id, session_id = (
            f"dev_{rng.getrandbits(96):024x}",
            f"sess_{rng.getrandbits(80):020x}",
        )
        where = ["mobile", "wechat", "", ""]
        tables["event_logs"].write(
            [event_id, "page_view", "", device_id, session_id, "/", "首页", "", "", "", *where]
            + ["not-a-date", clock(at)]
        )
        known = self.users[0].user_id if self.users else "u0000001"
        tables["orders"].write([f"OD{day}999999", known, "wechat", "success", "12.345", clock(at)])
        # An orphan: business rows of a user missing from `users`.
        orphan = f"u{ORPHAN_USER_BASE + rng.randrange(ORPHAN_USER_BASE // 10):07d}"
        at = self.start + rng.randrange(self.end - self.start - 3 * HOUR)
        day = clock.local_day(at)
        paid = at + 2 * HOUR
        price, goods = _money(MEMBER_PRICE_CENTS["monthly"]), _money(15_999)
        tables["real_name_auths"].write(
            [f"RA{day}999999", orphan, "face", "approved", clock(at), clock(at + 30)]
        )
        tables["bank_cards"].write(
            [f"BC{day}999999", orphan, "debit", "success", clock(at + HOUR), ""]
        )
        tables["member_orders"].write(
            [f"MO{day}999999", orphan, "monthly", "wechat", price, "paid"]
            + [clock(paid - 10), clock(paid), ""]
        )
        tables["deductions"].write(
            [f"DD{day}999999", orphan, "member", price, "manual", "success", clock(paid)]
        )
        tables["orders"].write(
            [f"OD{day}999998", orphan, "bank_card", "success", goods, clock(paid + 600)]
        )
        # A deduction that failed yet was "refunded": the metrics must ignore the refund.
        tables["deductions"].write(
            [f"DD{day}999998", orphan, "goods", goods, "manual", "failed", clock(paid + 1200)]
        )
        tables["refunds"].write(
            [f"RF{day}999999", f"DD{day}999998", goods, "success", clock(paid + 2400)]
        )
