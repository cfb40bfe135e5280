"""Personal data (bizstats.privacy): every way of writing a phone or id number, in every column,
through the collector and through `bizstats load`, on both targets, with the exact stored
value; ordinary values untouched; the loader's SQL filter a superset of what Python masks."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import stat
import sys
import unicodedata
from pathlib import Path

import duckdb
import httpx
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizstats.client import uuid7
from bizstats.config import Target
from bizstats.load.loader import load_dir
from bizstats.privacy import (
    DECIMALS_END,
    JSON_VALUE,
    TEXT,
    Scrubber,
    core_pattern,
    mask_text,
    secret_path,
    sql_may_hold_number,
    warehouse_secret,
)
from tests_py.support.collector import live_app, signed_headers, stored_events
from tests_py.support.raw_files import query_rows, raw_table

# (as written, what stays before the number, the number masked)
FORMATS = [
    ("13800138000", "", "138****8000"),
    ("138-0013-8000", "", "138****8000"),
    ("138 0013 8000", "", "138****8000"),
    ("8613800138000", "86", "138****8000"),
    ("+86 13800138000", "+86 ", "138****8000"),
    ("+86-139-1234-5678", "+86-", "139****5678"),
    ("0086 138 0013 8000", "0086 ", "138****8000"),
    ("%2B86%20138%200013%208000", "%2B86%20", "138****8000"),
    ("%31%33%38%30%30%31%33%38%30%30%30", "", "138****8000"),
    ("１３８００１３８０００", "", "138****8000"),
    ("１５９－１２３４－５６７８", "", "159****5678"),
    ("١٣٨٠٠١٣٨٠٠٠", "", "138****8000"),  # Arabic-Indic digits
    ("110101199003071234", "", "110***********1234"),
    ("11010119900307123X", "", "110***********123X"),
    ("110101 19900307 1234", "", "110***********1234"),
    ("110101900307123", "", "110********7123"),  # the 15-digit id
]
# full-width digits percent-encoded: longer than an id column, so in the free-text columns only
ENCODED_FULL_WIDTH = (
    "%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%90%EF%BC%90%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%90%EF%BC%90%EF%BC%90"
)
# values that hold digits but no phone or id number: stored exactly as sent
ORDINARY = [
    "2024-03-10 15:59:59",
    "1710000000000",  # epoch milliseconds
    "1710000000123456",  # epoch microseconds
    "299.00",
    "19999999.99",
    "192.168.100.200",
    "2001:db8:85a3::8a2e:370:7334",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.109 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) MicroMessenger/8.0.43.2480(0x28002B37)",
    "0190a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b",
    "12800138000",  # 11 digits, but no mobile prefix
    "1380013800",  # 10 digits
    "138001380001",  # 12 digits
    "ORD-2024-0310-1234567",
    "/orders/20240310123456789",  # 17 digits
]
# digit runs the loader's SQL sends to Python (which keeps them): rare in real data
LONG_RUNS = {
    "1710000000000",
    "1710000000123456",
    "12800138000",
    "138001380001",
    "ORD-2024-0310-1234567",
    "/orders/20240310123456789",
}
LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def pseudonym(key: bytes, number: str) -> str:
    """The rule's pseudonym of a number as written, computed here on its own."""
    return (
        "#" + hmac.new(key, b"number\0" + number.encode(), hashlib.sha256).hexdigest().translate(LETTERS)[:20]
    )


def _id(key: bytes, before: str, written: str, kept: str, after: str = "") -> str:
    return before + kept + pseudonym(key, written[len(kept) :]) + after


# ---- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "kept", "masked"), [*FORMATS, (ENCODED_FULL_WIDTH, "", "138****8000")])
def test_each_format_is_masked_in_text_and_pseudonymised_in_ids(written: str, kept: str, masked: str) -> None:
    scrub = Scrubber(None, None, lambda: b"k" * 32)
    assert scrub.text(f"/u?id{written}&a=1") == f"/u?id{kept}{masked}&a=1"
    assert scrub.text(written) == kept + masked
    assert scrub.identifier("device_id", f"dev{written}", 100) == _id(b"k" * 32, "dev", written, kept)
    assert scrub.extra({"note": f"call {written}", f"k{written}": [written]}) == {
        "note": f"call {kept}{masked}",
        f"k{kept}{masked}": [kept + masked],
    }


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_values_stay_exactly_as_sent(value: str) -> None:
    scrub = Scrubber(None, None, lambda: b"k" * 32)
    assert scrub.text(value) == value
    assert scrub.identifier("session_id", value, 1000) == value
    assert scrub.extra({"v": value, value: 1, "price": 299.5, "n": 1710000000000}) == {
        "v": value,
        value: 1,
        "price": 299.5,
        "n": 1710000000000,
    }
    if value not in LONG_RUNS:  # the usual ones: the loader's SQL clears them itself
        with duckdb.connect() as con:
            assert not con.execute(f"select {sql_may_hold_number('?', TEXT, _literal)}", [value]).fetchone()[
                0
            ]


def test_extra_data_integers_keys_and_page_leave_fields() -> None:
    scrub = Scrubber(None, None)
    assert scrub.extra(
        {
            "phone": 13800138000,
            "id": 110101199003071234,
            "13912345678": {"deep": [15912345678, True, 3]},
            "page_view_id": "13800138000",
            "duration_ms": 13800138000,
            "price": 1.38001380e10,
        }
    ) == {
        "phone": "138****8000",
        "id": "110***********1234",
        "139****5678": {"deep": ["159****5678", True, 3]},
        "page_view_id": "13800138000",
        "duration_ms": 13800138000,
        "price": "138****8000.0",
    }
    # the loader keeps a JSON text unless it held a number, numbers as written
    assert scrub.json_text('{"a": 1.50, "b": [1E5]}') == '{"a": 1.50, "b": [1E5]}'
    assert scrub.json_text(
        '{"a": 1.50, "b": 1.3800138e10, "\\u0031\\u0033\\u0039\\u0031\\u0032\\u0033'
        '\\u0034\\u0035\\u0036\\u0037\\u0038": 2}'
    ) == ('{"a":1.50,"b":"138****8000","139****5678":2}')
    with duckdb.connect() as con:  # the loader's SQL sends an exponent and escapes to Python
        for text in ('{"b": 1.3800138e10}', '{"k": "\\u0661\\u0663"}'):
            assert con.execute(f"select {sql_may_hold_number('?', JSON_VALUE, _literal)}", [text]).fetchone()[
                0
            ]


def test_numbers_in_ids_map_one_to_one() -> None:
    """Two ids differing only in their number, or in how it is written, stay two ids; one id
    is always the same pseudonym; one that would outgrow its column is replaced whole."""
    key = b"warehouse-secret"
    scrub = Scrubber(None, None, lambda: key)
    ids = [
        "u13800138000",
        "u13800138001",
        "u138-0013-8000",
        "u１３８００１３８０００",
        "13800138000",
        "u13800138000x",
    ]
    stored = [scrub.identifier("user_id", value, 50) for value in ids]
    assert len(set(stored)) == len(ids)
    assert stored[0] == "u" + pseudonym(key, "13800138000") == scrub.identifier("user_id", "u13800138000", 50)
    assert not any(c.isdigit() for c in stored[4])
    long_id = "x" * 40 + "13800138000"  # 51 characters: the pseudonym would not fit 50
    whole = hmac.new(key, b"id\0" + long_id.encode(), hashlib.sha256).hexdigest().translate(LETTERS)[:32]
    assert scrub.identifier("user_id", long_id, 100) == "x" * 40 + pseudonym(key, "13800138000")
    assert scrub.identifier("user_id", "x" * 29 + "13800138000", 50) == "x" * 29 + pseudonym(
        key, "13800138000"
    )
    assert scrub.identifier("device_id", long_id, 50) == "#" + whole
    # with a pseudonym key every user_id is replaced whole, as before
    keyed = Scrubber(None, b"pepper")
    assert (
        keyed.identifier("user_id", "10001", 50)
        == "u_" + hmac.new(b"pepper", b"10001", hashlib.sha256).hexdigest()[:30]
    )
    assert keyed.identifier("device_id", "d13800138000", 100) == "d" + pseudonym(b"pepper", "13800138000")


# ---- the SQL superset ------------------------------------------------------------------------

_ENCODINGS = [
    lambda d: d,  # ASCII
    lambda d: chr(0xFF10 + int(d)),  # full-width
    lambda d: chr(0x0660 + int(d)),  # Arabic-Indic
    lambda d: chr(0x1D7CE + int(d)),  # mathematical bold
    lambda d: f"%3{d}",
    lambda d: f"%EF%BC%9{d}",
    lambda d: f"\\u003{d}",
    lambda d: f"\\uFF1{d}",
]
_SEPARATORS = ["", "", "", "", " ", "-", "+", "%20", "%2B", "%2d", "－", "\u3000", "\\u0020", "  ", ".", "/"]
_JUNK = st.lists(
    st.sampled_from([*"0123456789", "a", "X", "x", "Ｘ", "%", "%3", "\\u003", "86", "+86", "0086", ":"])
)
_DIGITS = st.one_of(
    st.text("0123456789", min_size=9, max_size=20),
    st.tuples(
        st.sampled_from(["13", "15", "19", "11", "12"]), st.text("0123456789", min_size=8, max_size=10)
    ).map("".join),
    st.tuples(st.sampled_from(["110101", "440300"]), st.text("0123456789X", min_size=9, max_size=12)).map(
        "".join
    ),
)


@st.composite
def _numbers(draw) -> str:
    """A digit run written with a random mix of encodings and separators."""
    digits = draw(_DIGITS)
    parts = []
    for digit in digits:
        encode = draw(st.sampled_from(_ENCODINGS))
        parts.append(digit if digit == "X" else encode(digit))
        parts.append(draw(st.sampled_from(_SEPARATORS)))
    return "".join(parts)


_TEXTS = st.lists(st.one_of(_JUNK.map("".join), _numbers()), max_size=4).map("".join)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def sql() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _flagged(con: duckdb.DuckDBPyConnection, value: str, rule: str) -> bool:
    return con.execute(f"select {sql_may_hold_number('?', rule, _literal)}", [value]).fetchone()[0]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXTS)
def test_the_sql_filter_flags_every_text_python_would_change(sql, text: str) -> None:
    scrub = Scrubber(None, None, lambda: b"k")
    if scrub.text(text) != text or scrub.identifier("device_id", text) != text:
        assert _flagged(sql, text, TEXT), text


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | _TEXTS
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.integers(min_value=10**10, max_value=2 * 10**10)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXTS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_JSON_VALUES, ascii_only=st.booleans())
def test_the_sql_filter_flags_every_json_python_would_change(sql, doc, ascii_only: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only)
    if Scrubber(None, None).json_text(text) != text:
        assert _flagged(sql, text, JSON_VALUE), text


def test_the_core_pattern_reads_alike_in_python_and_duckdb(sql) -> None:
    """One pattern for both engines: the same verdict on each format and ordinary value."""
    import re

    core = re.compile(core_pattern())
    for value in [w for w, _, _ in FORMATS] + ORDINARY:
        assert bool(core.search(value)) == _flagged(sql, value, TEXT), value


# ---- the collector and the loader, on both targets ---------------------------------------------

UA = "Mozilla/5.0 (Linux; Android 13) Chrome/120.0.6099.109 tel:{}"
TS = "2024-03-10 02:00:00"


def _event_fields(written: str) -> dict[str, str]:
    return {
        "user_id": f"u{written}",
        "device_id": f"dev-{written}",
        "session_id": f"s_{written}_1",
        "page_url": f"/u?id{written}&a=1",
        "page_title": f"联系 {written}",
        "channel": f"ch{written}",
    }


def _expected(key: bytes, written: str, kept: str, masked: str, ua: str | None = None) -> tuple:
    """What is stored for _event_fields(written), its user agent (`ua` when given) and
    extra_data."""
    return (
        _id(key, "u", written, kept),
        _id(key, "dev-", written, kept),
        _id(key, "s_", written, kept, "_1"),
        f"/u?id{kept}{masked}&a=1",
        f"联系 {kept}{masked}",
        f"ch{kept}{masked}",
        UA.format(kept + masked) if ua is None else ua,
        {"note": f"call {kept}{masked}", f"k{kept}{masked}": 1},
    )


COLUMNS = "user_id, device_id, session_id, page_url, page_title, channel, user_agent, extra_data"


def _stored(rows: list[tuple]) -> list[tuple]:
    return [(*row[:-1], json.loads(row[-1])) for row in rows]


def test_the_collector_masks_every_format_in_every_column(target: Target, collector_env) -> None:
    events = []
    with live_app(target) as url:
        for written, _, _ in FORMATS:
            event = {
                "event_id": uuid7(),
                "event_type": "page_view",
                "timestamp": TS,
                **_event_fields(written),
                "extra_data": {"note": f"call {written}", f"k{written}": 1},
            }
            body = json.dumps({"events": [event]}).encode()
            headers = {**signed_headers(body), "user-agent": _header_ua(written)}
            answer = httpx.post(f"{url}/api/report/batch", content=body, headers=headers)
            assert answer.json()["stored"] == 1, answer.text
            events.append(event["event_id"])
    key = warehouse_secret(target)
    rows = {r[0]: r[1:] for r in stored_events(target, f"event_id, {COLUMNS}")}
    for event_id, (written, kept, masked) in zip(events, FORMATS, strict=True):
        ua = None if written.isascii() else _header_ua(written)
        assert _stored([rows[event_id]])[0] == _expected(key, written, kept, masked, ua), written


def _header_ua(written: str) -> str:
    """An HTTP header is Latin-1: a format in other characters cannot ride in it."""
    return UA.format(written) if written.isascii() else UA.format("")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def test_the_loader_masks_every_format_in_every_column(target: Target, tmp_path: Path) -> None:
    """The same table of formats through `bizstats load`: the same stored values as the
    collector's (one rule), users.csv's user_id the same pseudonym as event_logs'; the
    ordinary row stays exactly as written (and is cleared in SQL)."""
    header = ["event_id", "event_type", *COLUMNS.split(", "), "ip_address", "event_time"]
    rows = []
    for n, (written, _, _) in enumerate(FORMATS):
        fields = _event_fields(written)
        extra = json.dumps({"note": f"call {written}", f"k{written}": 1}, ensure_ascii=n % 2 == 0)
        rows.append([f"e{n}", "page_view", *fields.values(), UA.format(written), extra, "10.0.0.1", TS])
    ordinary = ORDINARY[7]
    rows.append(
        [
            "plain",
            "page_view",
            "u1",
            "d1",
            "s1",
            "/p?t=1710000000000&v=120.0.6099.109",
            "299.00",
            "wechat",
            ordinary,
            '{"price": 19999.99, "at": "2024-03-10 15:59:59"}',
            "192.168.100.200",
            TS,
        ]
    )
    _write_csv(tmp_path / "event_logs.csv", header, rows)
    _write_csv(tmp_path / "users.csv", ["user_id", "registered_at"], [[f"u{w}", TS] for w, _, _ in FORMATS])
    report = load_dir(target, tmp_path)
    assert not report.rejected and report.loaded == len(rows) + len(FORMATS)
    key = warehouse_secret(target)
    stored = query_rows(
        target, f"select event_id, {COLUMNS}, ip_address from {raw_table(target, 'event_logs')}"
    )
    by_id = {r[0]: r[1:] for r in stored}
    for n, (written, kept, masked) in enumerate(FORMATS):
        row = by_id[f"e{n}"]
        assert _stored([row[:-1]])[0] == _expected(key, written, kept, masked), written
        assert row[-1] == "10.0.0.1"
    plain = by_id["plain"]
    assert plain[:-2] == (
        "u1",
        "d1",
        "s1",
        "/p?t=1710000000000&v=120.0.6099.109",
        "299.00",
        "wechat",
        ordinary,
    )
    assert json.loads(plain[-2]) == {"price": 19999.99, "at": "2024-03-10 15:59:59"}
    users = sorted(r[0] for r in query_rows(target, f"select user_id from {raw_table(target, 'users')}"))
    assert users == sorted(_id(key, "u", w, k) for w, k, _ in FORMATS)


def test_collector_and_loader_give_one_id_the_same_pseudonym(
    target: Target, tmp_path: Path, collector_env
) -> None:
    """Visitors stay one visitor whichever path their events took (UV stays exact)."""
    event = {"event_id": "c1", "event_type": "page_view", "timestamp": TS, "device_id": "d+86 13800138000"}
    body = json.dumps(event).encode()
    headers = signed_headers(body)
    with live_app(target) as url:
        assert httpx.post(f"{url}/api/report", content=body, headers=headers).json()["stored"] == 1
    _write_csv(
        tmp_path / "event_logs.csv",
        ["event_id", "event_type", "device_id", "event_time"],
        [["l1", "page_view", "d+86 13800138000", TS], ["l2", "page_view", "d+86 13800138001", TS]],
    )
    stored_events(target)  # ingests the DuckDB spool first
    load_dir(target, tmp_path)
    devices = dict(query_rows(target, f"select event_id, device_id from {raw_table(target, 'event_logs')}"))
    key = warehouse_secret(target)
    assert devices == {
        "c1": "d+86 " + pseudonym(key, "13800138000"),
        "l1": "d+86 " + pseudonym(key, "13800138000"),
        "l2": "d+86 " + pseudonym(key, "13800138001"),
    }


def test_with_a_pseudonym_key_the_loader_hashes_every_user_id_in_sql_and_python(
    target: Target, tmp_path: Path, monkeypatch
) -> None:
    """BIZSTATS_COLLECT_PSEUDONYM_KEY: the collector's whole-id hash, in the loader too — in SQL
    for the rows SQL clears, in Python for the others; numbers in other ids keyed by it."""
    monkeypatch.setenv("BIZSTATS_COLLECT_PSEUDONYM_KEY", "pepper")
    expect = lambda user: "u_" + hmac.new(b"pepper", user.encode(), hashlib.sha256).hexdigest()[:30]  # noqa: E731
    _write_csv(
        tmp_path / "event_logs.csv",
        ["event_id", "event_type", "user_id", "device_id", "page_url", "event_time"],
        [
            ["a", "page_view", "10001", "d1", "/", TS],  # cleared in SQL
            ["b", "page_view", "10001", "d13800138000", "/p?m=13800138000", TS],  # Python
            ["c", "page_view", "用户 7", "d2", "/", TS],
        ],
    )
    _write_csv(tmp_path / "users.csv", ["user_id"], [["10001"], [" 13800138000 "]])
    load_dir(target, tmp_path)
    stored = query_rows(
        target, f"select event_id, user_id, device_id, page_url from {raw_table(target, 'event_logs')}"
    )
    assert sorted(stored) == [
        ("a", expect("10001"), "d1", "/"),
        ("b", expect("10001"), "d" + pseudonym(b"pepper", "13800138000"), "/p?m=138****8000"),
        ("c", expect("用户 7"), "d2", "/"),
    ]
    users = query_rows(target, f"select user_id from {raw_table(target, 'users')}")
    assert sorted(u for (u,) in users) == sorted([expect("10001"), expect("13800138000")])


def test_the_loader_encrypts_extra_data_numbers_with_a_fernet_key(
    target: Target, tmp_path: Path, monkeypatch
) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", key.decode())
    _write_csv(
        tmp_path / "event_logs.csv",
        ["event_id", "event_type", "page_title", "extra_data", "event_time"],
        [["a", "page_view", "tel 13800138000", '{"contact": "call +86 139-1234-5678", "n": 5}', TS]],
    )
    load_dir(target, tmp_path)
    ((title, extra),) = query_rows(
        target, f"select page_title, extra_data from {raw_table(target, 'event_logs')}"
    )
    assert title == "tel 138****8000"  # a page column is masked: a token would not fit it
    extra = json.loads(extra)
    assert extra["n"] == 5 and extra["contact"].startswith("call +86 enc:")
    assert Fernet(key).decrypt(extra["contact"].removeprefix("call +86 enc:").encode()) == b"13912345678"


def test_rejected_rows_are_quarantined_without_the_numbers(target: Target, tmp_path: Path) -> None:
    _write_csv(
        tmp_path / "event_logs.csv",
        ["event_id", "event_type", "user_id", "page_title", "extra_data", "mobile", "event_time"],
        [
            [
                "a",
                "page_view",
                "13800138000",
                "id 110101199003071234",
                '{"tel": 13912345678}',
                "138 0013 8000",
                "13800138000",
            ]
        ],
    )
    report = load_dir(target, tmp_path)
    (rejected,) = report.rejected
    assert (
        rejected.field == "event_time"
        and "138****8000" in rejected.reason
        and "13800138000" not in rejected.reason
    )
    ((raw, reason),) = query_rows(
        target, f"select raw_values, reason from {raw_table(target, '_rejected_rows')}"
    )
    assert reason == rejected.reason
    assert json.loads(raw) == {
        "event_id": "a",
        "event_type": "page_view",
        "user_id": "138****8000",
        "page_title": "id 110***********1234",
        "extra_data": '{"tel":"139****5678"}',
        "mobile": "138****8000",
        "event_time": "138****8000",
    }


# ---- the warehouse's secret -------------------------------------------------------------------


def test_the_warehouse_secret_is_made_once_and_kept(target: Target) -> None:
    first = warehouse_secret(target)
    assert len(first) == 64 and warehouse_secret(target) == first
    if target.name == "duckdb":
        path = secret_path(target)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.read_text().strip().encode() == first
    else:
        table = raw_table(target, "_privacy_secret")
        assert query_rows(target, f"select secret from {table}") == [(first.decode(),)]


def test_a_bad_fernet_key_is_one_line(monkeypatch, tmp_path: Path, duckdb_target: Target) -> None:
    from bizstats.errors import BizstatsError

    monkeypatch.setenv("BIZSTATS_COLLECT_FERNET_KEY", "not-a-key")
    _write_csv(tmp_path / "users.csv", ["user_id"], [["u1"]])
    with pytest.raises(BizstatsError, match="^BIZSTATS_COLLECT_FERNET_KEY is not a Fernet key") as caught:
        load_dir(duckdb_target, tmp_path)
    assert "\n" not in str(caught.value) and "not-a-key" not in str(caught.value)


def test_masking_needs_no_key() -> None:
    """The quarantine's masking is the free-text rule, with no key."""
    assert (
        mask_text("a 138 0013 8000 b") == Scrubber(None, None).text("a 138 0013 8000 b") == "a 138****8000 b"
    )


def test_every_unicode_decimal_digit_lies_below_the_scan_bound() -> None:
    """The digit units are found by scanning code points up to DECIMALS_END only."""
    beyond = range(DECIMALS_END, sys.maxunicode + 1)
    assert [c for c in beyond if unicodedata.decimal(chr(c), None) is not None] == []
