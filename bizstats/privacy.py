"""Personal data in raw rows (个人信息保护): one rule for the collector and `bizstats load`.

Mainland mobile numbers (`1[3-9]` + 9 digits, maybe after `86`, `+86` or `0086`) and resident
id numbers (18 digits, the last maybe `X`, or 15; grouped 6-8-4 / 6-6-3 or not) are found in
every string a raw row carries, however they are written: with one blank, hyphen or plus
between any two digits (`138-0013-8000`, `138 0013 8000`), in full-width or any other
script's digits (`１３８…`), percent-encoded (`%31%33%38…`, `%EF%BC%91…`), as JSON `\\u0031`
escapes, or right after letters (`id110101199003071234`, `tel13800138000`). A number counts
only whole: a longer digit run (a timestamp in milliseconds, an order number) is no phone.

What replaces a number depends on the column (`column_rule`):

- free text (`page_url`, `page_title`, `user_agent`, the other non-id strings): masked,
  first 3 and last 4 digits kept (`138****8000`, `110***********1234`);
- `extra_data` (every string, integer and number value and every object key, at any depth;
  the page_leave fields `page_view_id` and `duration_ms` excepted): masked, or with a Fernet
  key (BIZSTATS_COLLECT_FERNET_KEY) encrypted, `enc:<token>`. The setting is a
  comma-separated list: the first key encrypts, every one decrypts (MultiFernet), so a key
  is rotated by putting the new one first and re-encrypting (bizstats.load.rekey);
- the ids that identify people and visitors (`user_id`, `device_id`, `session_id`): each
  number is replaced by a keyed pseudonym, `#` + 20 letters a-p of HMAC-SHA256(key, the
  number as written), so one id maps to one stored id and UV, first-time milestones and
  joins stay exact; an id that would outgrow its column becomes `#` + 32 letters of the
  HMAC of the whole id. The key is BIZSTATS_COLLECT_PSEUDONYM_KEY, or else the
  warehouse's own secret, made once (`warehouse_secret`). With
  BIZSTATS_COLLECT_PSEUDONYM_KEY set, every `user_id` is replaced whole by `u_` + 30 hex of
  HMAC-SHA256(key, user_id);
- the other ids (`event_id`, `order_id`, the business keys), datetimes and amounts: kept.

The loader reads files in bulk SQL: `sql_may_hold_number` is a cheap pattern, true for every
value in which this rule could find a number (a superset: any 11 digits with at most one
separator between two), so only those rows take the Python path that applies the rule.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from cryptography.fernet import Fernet, MultiFernet

from bizstats.config import Target
from bizstats.contract import TABLES, Column
from bizstats.db import connect, create_table, qualified
from bizstats.errors import BizstatsError
from bizstats.settings import parse_fernet_keys, settings

TEXT, JSON_VALUE, PSEUDONYM = "text", "json", "pseudonym"  # column rules
PEOPLE_IDS = ("user_id", "device_id", "session_id")  # ids of people and visitors
# page_leave's fields (models/docs/sources.md): an event_id and a duration, kept exact
EXTRA_KEPT = frozenset({"page_view_id", "duration_ms"})
SECRET_TABLE = "_privacy_secret"  # MySQL: the warehouse's pseudonym secret
SECRET_FILE_SUFFIX = ".pseudonym-key"  # DuckDB: beside the database file
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_NUMBER_LETTERS = 20  # 80 bits: no two numbers of a warehouse share a pseudonym
_WHOLE_LETTERS = 32
_MIN_DIGITS = 11  # the shortest number the rule masks
_LARGEST_WRITTEN_OUT = Decimal(10) ** 40  # integers in exponent form checked written out
# JSON that may hide a number from the core pattern: `\u` escapes, numbers in exponent form
_JSON_HIDDEN = r"\\u|(?:^|[:\[,])[ \t\n\r]*-?[0-9]+(?:\.[0-9]+)?[Ee]"


def column_rule(column: Column) -> str | None:
    """What the rule does to a contract column: TEXT, JSON_VALUE, PSEUDONYM or None (kept)."""
    if column.kind == "json":
        return JSON_VALUE
    if column.kind not in ("string", "text"):
        return None
    if column.name in PEOPLE_IDS:
        return PSEUDONYM
    return None if column.is_id else TEXT


# ---- the units a number is written with --------------------------------------------------


_ASCII_DIGIT = r"[0-9]|%3[0-9]|%[Ee][Ff]%[Bb][Cc]%9[0-9]|\\u003[0-9]|\\u[Ff][Ff]1[0-9]"
_ASCII_SEPARATOR = r"[ +-]|%2[0BbDd]|\\u002[0BbDd]"


# Every Unicode decimal digit lies below U+20000 (planes 0 and 1; the last, U+1FBF9): the scan
# for them stops there, a tenth of all code points (tests_py/test_privacy.py checks it).
DECIMALS_END = 0x20000


@functools.cache
def _units() -> tuple[str, str]:
    """(digit unit, separator unit) as regular expressions that Python's `re` and DuckDB's
    RE2 read alike. A digit: any Unicode decimal digit, or an ASCII or full-width digit
    percent-encoded or as a `\\uXXXX` escape; a separator: a blank, hyphen or plus, the same
    encoded."""
    starts = [c for c in range(DECIMALS_END) if unicodedata.decimal(chr(c), None) == 0]
    decimals = "".join(f"{chr(s)}-{chr(s + 9)}" for s in starts if s > 127)
    digit = f"[0-9{decimals}]|{_ASCII_DIGIT.split('|', 1)[1]}"
    separator = f"[ +\u00a0\u2010-\u2015\u2212\u3000\uff0b\uff0d-]|{_ASCII_SEPARATOR.split('|', 1)[1]}"
    return digit, separator


def _core(digit: str, separator: str) -> str:
    return f"(?:{digit})(?:(?:{separator})?(?:{digit})){{{_MIN_DIGITS - 1}}}"


@functools.cache
def core_pattern() -> str:
    """11 digit units with at most one separator unit between two: every number the rule
    finds contains such a run (the SQL superset, `sql_may_hold_number`)."""
    return _core(*_units())


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The core (for any text, and the same for ASCII text only: faster), a run of units
    (with an id's final X) and one unit."""
    digit, separator = _units()
    core = re.compile(core_pattern())
    ascii_core = re.compile(_core(_ASCII_DIGIT, _ASCII_SEPARATOR))
    run = re.compile(f"(?:{digit})(?:(?:{separator})?(?:{digit}))*(?:(?:{separator})?[XxＸｘ])?")
    unit = re.compile(f"(?P<d>{digit})|(?P<s>{separator})|(?P<x>[XxＸｘ])")
    return core, ascii_core, run, unit


# on a run written in plain ASCII: digits, ' ', '-', '+', 'X'
_NUMBER = re.compile(
    r"(?<![0-9])(?:"
    r"(?:(?:\+|00)?86[ +-]?)?(?P<phone>1[ +-]?[3-9](?:[ +-]?[0-9]){9})"
    r"|(?P<id>[0-9]{6}[ +-]?[0-9]{8}[ +-]?[0-9]{3}[0-9X]|[0-9]{6}[ +-]?[0-9]{6}[ +-]?[0-9]{3})"
    r")(?![0-9])"
)
_SPACES = frozenset(" \u00a0\u3000")
_PLUSES = frozenset("+\uff0b")


def _plain(token: str, kind: str) -> str:
    """A unit written as one ASCII character."""
    if kind == "x":
        return "X"
    if kind == "d":
        if len(token) == 1:
            return str(unicodedata.decimal(token))
        return token[-1]  # %3N, %EF%BC%9N, \u003N, \uFF1N
    if len(token) == 1:
        return " " if token in _SPACES else "+" if token in _PLUSES else "-"
    code = token[-1].lower()
    return " " if code == "0" else "+" if code == "b" else "-"


Replace = Callable[[str, str], str]  # (the number as written, its digits) -> replacement


def _rewrite(text: str, replace: Replace) -> str:
    """`text` with every phone and id number replaced."""
    core, ascii_core, run, unit = _patterns()
    if not (ascii_core if text.isascii() else core).search(text):
        return text
    out: list[str] = []
    done = 0
    for found in run.finditer(text):
        tokens = list(unit.finditer(text, found.start(), found.end()))
        plain = "".join(_plain(t.group(), t.lastgroup or "") for t in tokens)
        if sum(c.isdigit() for c in plain) < _MIN_DIGITS:
            continue
        for number in _NUMBER.finditer(plain):
            group = "phone" if number.group("phone") else "id"
            start = tokens[number.start(group)].start()
            end = tokens[number.end(group) - 1].end()
            digits = "".join(c for c in number.group(group) if c.isdigit() or c == "X")
            out += [text[done:start], replace(text[start:end], digits)]
            done = end
    return "".join(out) + text[done:] if out else text


def mask(digits: str) -> str:
    """A number's first 3 and last 4 digits, the others `*`."""
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def _masked(_written: str, digits: str) -> str:
    return mask(digits)


def mask_text(text: str) -> str:
    """Free text with its phone and id numbers masked."""
    return _rewrite(text, _masked)


# ---- the scrubber ---------------------------------------------------------------------------


class JSONNumber:
    """A number of a JSON text as written (the loader keeps a number's text unless masked)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _integer_text(number: str) -> str:
    """A JSON number's text, an integer in exponent form (`1.3800138e10`) written out."""
    if "e" not in number and "E" not in number:
        return number
    with contextlib.suppress(ArithmeticError):
        value = Decimal(number)
        if value == value.to_integral_value() and abs(value) < _LARGEST_WRITTEN_OUT:
            return str(int(value))
    return number


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class SecretUnavailable(BizstatsError):
    """The warehouse's secret could not be read (its database is down): retry later."""


@dataclass
class _Walk:
    changed: bool = False


class Scrubber:
    """The rule, with its keys: a Fernet key (extra_data numbers encrypted rather than
    masked), the configured pseudonym key, and where to get the warehouse's own secret when
    no pseudonym key is set (called once, when an id first holds a number)."""

    def __init__(
        self,
        fernet_key: str | None,
        pseudonym_key: bytes | None,
        secret: Callable[[], bytes] | None = None,
    ) -> None:
        self._fernet = fernet(fernet_key)
        self._pseudonym_key = pseudonym_key
        self._secret = secret
        self._number_key = pseudonym_key
        self._key_lock = threading.Lock()

    @property
    def hashes_user_ids(self) -> bool:
        """Whether every user_id is replaced whole (a pseudonym key is set)."""
        return self._pseudonym_key is not None

    @property
    def pseudonym_key(self) -> bytes | None:
        return self._pseudonym_key

    def number_key(self) -> bytes:
        """The key of the numbers' pseudonyms: the pseudonym key, or the warehouse's secret."""
        if self._number_key is None:
            with self._key_lock:
                if self._number_key is None:
                    if self._secret is None:
                        raise SecretUnavailable("no pseudonym key: set BIZSTATS_COLLECT_PSEUDONYM_KEY")
                    try:
                        self._number_key = self._secret()
                    except BizstatsError as exc:
                        raise SecretUnavailable(str(exc)) from exc
        return self._number_key

    # -- per column

    def text(self, value: str) -> str:
        """A free-text value: numbers masked."""
        return _rewrite(value, _masked)

    def identifier(self, name: str, value: str, length: int | None = None) -> str:
        """An id of a person or visitor (PEOPLE_IDS): numbers replaced by their pseudonym;
        with a pseudonym key, a user_id replaced whole. At most `length` characters."""
        if name == "user_id" and self._pseudonym_key is not None:
            return "u_" + hmac.new(self._pseudonym_key, value.encode(), hashlib.sha256).hexdigest()[:30]
        pseudonymized = _rewrite(value, self._pseudonym)
        if length is not None and len(pseudonymized) > length:
            return "#" + self._letters(b"id\0" + value.encode(), min(_WHOLE_LETTERS, length - 1))
        return pseudonymized

    def _pseudonym(self, written: str, _digits: str) -> str:
        return "#" + self._letters(b"number\0" + written.encode(), _NUMBER_LETTERS)

    def _letters(self, message: bytes, count: int) -> str:
        digest = hmac.new(self.number_key(), message, hashlib.sha256).hexdigest()
        return digest.translate(_LETTERS)[:count]

    def _sealed(self, _written: str, digits: str) -> str:
        assert self._fernet is not None
        return "enc:" + self._fernet.encrypt(digits.encode()).decode()

    def extra_string(self, value: str) -> str:
        """A string inside extra_data: numbers encrypted (with a Fernet key) or masked."""
        return _rewrite(value, self._masked_or_sealed)

    def _masked_or_sealed(self, written: str, digits: str) -> str:
        return self._sealed(written, digits) if self._fernet is not None else mask(digits)

    def extra(self, value: Any) -> Any:
        """extra_data (a decoded JSON value): every string, number and object key inside
        scrubbed, but page_leave's page_view_id and duration_ms."""
        return self._extra(value, _Walk(), top=True)

    def _extra(self, value: Any, walk: _Walk, top: bool = False) -> Any:
        if isinstance(value, str):
            scrubbed = self.extra_string(value)
            walk.changed = walk.changed or scrubbed != value
            return scrubbed
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                new_key = self.extra_string(key) if isinstance(key, str) else key
                walk.changed = walk.changed or new_key != key
                out[new_key] = item if top and key in EXTRA_KEPT else self._extra(item, walk)
            return out
        if isinstance(value, list):
            return [self._extra(item, walk) for item in value]
        if isinstance(value, JSONNumber):
            written = _integer_text(value.text)
            scrubbed = self.extra_string(written)
            if scrubbed != written:
                walk.changed = True
                return scrubbed
            return orjson.Fragment(value.text)
        if isinstance(value, int | float) and not isinstance(value, bool):
            written = str(value) if isinstance(value, int) else repr(value)
            scrubbed = self.extra_string(written)
            if scrubbed != written:
                walk.changed = True
                return scrubbed
        return value

    def json_text(self, text: str) -> str:
        """A JSON text (the loader's extra_data, already valid): the same text when it holds
        no number, else the scrubbed document, compact."""
        doc = json.loads(text, parse_int=JSONNumber, parse_float=JSONNumber, parse_constant=_no_constant)
        walk = _Walk()
        scrubbed = self._extra(doc, walk, top=True)
        if not walk.changed:
            return text
        return orjson.dumps(scrubbed).decode()

    def column(self, rule: str | None, column: Column, value: str) -> str:
        """A raw value of `column` under its rule."""
        if rule == TEXT:
            return self.text(value)
        if rule == PSEUDONYM:
            return self.identifier(column.name, value, column.length)
        if rule == JSON_VALUE:
            return self.json_text(value)
        return value

    def row(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """The string columns of a raw row (a dict by column name) scrubbed in place;
        extra_data is left as it is (the collector scrubs it decoded, `extra`)."""
        for column in TABLES[table].columns:
            value = row.get(column.name)
            rule = column_rule(column)
            if isinstance(value, str) and value and rule in (TEXT, PSEUDONYM):
                row[column.name] = self.column(rule, column, value)
        return row

    def quarantined(self, raw_values: str, reason: str) -> tuple[str, str]:
        """A refused row's `raw_values` (a JSON object or list of raw strings) and reason,
        every number masked: the quarantine keeps why, not who."""
        try:
            raw = json.loads(raw_values)
        except ValueError:
            return mask_text(raw_values), mask_text(reason)
        if isinstance(raw, dict):
            raw = {mask_text(k): _quarantine_value(v) for k, v in raw.items()}
        elif isinstance(raw, list):
            raw = [_quarantine_value(v) for v in raw]
        return json.dumps(raw, ensure_ascii=False), mask_text(reason)


def _quarantine_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value[:1] in ("{", "[") and value[-1:] in ("}", "]"):
        with contextlib.suppress(ValueError, RecursionError):
            doc = json.loads(value, parse_int=JSONNumber, parse_float=JSONNumber)
            walk = _Walk()
            scrubbed = _MASKING._extra(doc, walk)
            value = orjson.dumps(scrubbed).decode() if walk.changed else value
    return mask_text(value)


def fernet_keys(keys: str | None) -> list[Fernet]:
    """The Fernet keys of BIZSTATS_COLLECT_FERNET_KEY, a comma-separated list, in order: the
    first encrypts, every one decrypts (bizstats.settings.parse_fernet_keys: a bad entry is one
    line giving its position, never a key)."""
    return parse_fernet_keys(keys)


def fernet(keys: str | None) -> MultiFernet | None:
    """The MultiFernet of BIZSTATS_COLLECT_FERNET_KEY (`fernet_keys`: the first key encrypts,
    all decrypt), None when unset, or one line saying what is wrong with it."""
    found = fernet_keys(keys)
    return MultiFernet(found) if found else None


_MASKING = Scrubber(None, None)  # masks only (the quarantine): never needs a key


# ---- the SQL superset -----------------------------------------------------------------------


def sql_may_hold_number(value: str, rule: str, literal: Callable[[str], str]) -> str:
    """A DuckDB condition on the text `value`, true whenever the rule could change it (a
    superset: false means surely nothing to mask). JSON may also hide a number in `\\u`
    escapes or in an exponent (`1.3800138e10`): such documents are flagged too."""
    pattern = core_pattern() if rule != JSON_VALUE else f"{core_pattern()}|{_JSON_HIDDEN}"
    return f"regexp_matches({value}, {literal(pattern)})"


def sql_user_id_hash(value: str, key: bytes, literal: Callable[[str], str]) -> str:
    """DuckDB SQL of `Scrubber.identifier('user_id', value)` with a pseudonym key: `u_` +
    30 hex of HMAC-SHA256(key, value), the HMAC spelled out with sha256 over blobs."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    digest = (
        f"sha256(from_hex({literal(outer)}) || "
        f"from_hex(sha256(from_hex({literal(inner)}) || encode({value}))))"
    )
    return f"'u_' || left({digest}, 30)"


# ---- the warehouse's secret -----------------------------------------------------------------


def privacy_keys() -> tuple[str | None, bytes | None]:
    """(BIZSTATS_COLLECT_FERNET_KEY, BIZSTATS_COLLECT_PSEUDONYM_KEY), the Fernet key checked."""
    keys = settings().privacy
    return keys.fernet_key, keys.pseudonym_key


def scrubber_for(target: Target, keys: tuple[str | None, bytes | None] | None = None) -> Scrubber:
    """The warehouse's scrubber with `keys` (Fernet key, pseudonym key; by default from the
    environment, `privacy_keys`); its secret is fetched when first needed."""
    fernet_key, pseudonym_key = privacy_keys() if keys is None else keys
    return Scrubber(fernet_key, pseudonym_key, lambda: warehouse_secret(target))


def secret_path(target: Target) -> Path:
    """DuckDB: the file beside the database that holds its pseudonym secret."""
    return target.duckdb_path.with_name(target.duckdb_path.name + SECRET_FILE_SUFFIX)


def warehouse_secret(target: Target) -> bytes:
    """The warehouse's own pseudonym secret (32 random bytes, hex), made by whoever needs it
    first and the same for every process afterwards: on DuckDB a file beside the database
    (mode 0600: the collector never opens the database), on MySQL/MariaDB a row of
    `<raw schema>._privacy_secret`. Keep it with the warehouse's backups: a new secret
    gives the same numbers other pseudonyms."""
    if target.name == "duckdb":
        return _file_secret(secret_path(target))
    return _mysql_secret(target)


def _file_secret(path: Path) -> bytes:
    with contextlib.suppress(FileNotFoundError):
        return _read_secret(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(draft, path)  # the first process to link wins; the others read its secret
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        return _read_secret(path)
    except OSError as exc:
        raise BizstatsError(
            f"cannot create the warehouse's pseudonym secret ({exc.strerror}): set "
            "BIZSTATS_COLLECT_PSEUDONYM_KEY, or let bizstats write beside the database file"
        ) from exc


def _read_secret(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise BizstatsError(f"the pseudonym secret file {path.name} is damaged: restore it from a backup")
    return text.encode()


def _mysql_secret(target: Target) -> bytes:
    columns = [("name", "varchar", "varchar(64) not null"), ("secret", "varchar", "varchar(128) not null")]
    with connect(target) as con:  # a database error leaves as one BizstatsError
        cur = con.cursor()
        create_table(cur, target, target.raw_schema, SECRET_TABLE, columns, ["primary key (`name`)"])
        table = qualified(target, target.raw_schema, SECRET_TABLE)
        cur.execute(f"insert ignore into {table} values ('pseudonym', %s)", (secrets.token_hex(32),))
        cur.execute(f"select secret from {table} where name = 'pseudonym'")
        (secret,) = cur.fetchone()
        con.commit()
    return str(secret).encode()
