"""API keys of the query API: one per consumer, stored hashed, created, listed and revoked
with `bizstats keys create|list|revoke`.

A key is `bzs_<key id>_<secret>`; only the id and the SHA-256 of the secret are stored (the
secret is 32 random bytes: a fast hash is enough, there is nothing to brute-force). Each key
has a scope: `read` keys read the stats; a `write` key (the collector's kind) never does.

Where they are kept: MySQL/MariaDB, the table `bizstats_api_keys` of the models schema;
DuckDB, the SQLite file `<warehouse>.keys.sqlite` beside the warehouse (the API never writes
the DuckDB file, and SQLite lets `bizstats keys` write while the API reads). A revoked key is
refused by every request that arrives CHECK_SECONDS after `bizstats keys revoke` returned: the
API keeps a verdict CHECK_SECONDS from the moment it *began* reading the store (not from when
the read came back: a slow store, e.g. a busy MySQL, once stretched that to 6 s and more).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymysql

from bizstats.config import Target
from bizstats.db import create_mysql_database, mysql_connect, mysql_exists, qualified
from bizstats.errors import BizstatsError
from bizstats.settings import settings

TABLE = "bizstats_api_keys"
SCOPES = ("read", "write")
CHECK_SECONDS = 5.0
_TOKEN = re.compile(r"^bzs_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
_COLUMNS = "key_id, consumer, scope, key_hash, created_at, revoked_at"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    consumer: str
    scope: str
    created_at: datetime  # naive UTC
    revoked_at: datetime | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sqlite_path(target: Target) -> Path:
    path = target.duckdb_path
    return path.with_name(path.name + ".keys.sqlite")


@contextlib.contextmanager
def _store(target: Target) -> Iterator[tuple[Any, str, str]]:
    """(connection, table name, placeholder) of the key store, its table created; committed
    on a clean exit. Spark's keys are in its control database's store (a DuckDB file's)."""
    target = target.control
    if target.name == "duckdb":
        path = sqlite_path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        con: Any = sqlite3.connect(path, timeout=10)
        table, ph = TABLE, "?"
        ddl = (f"create table if not exists {table} (key_id text primary key, consumer text not null, "
               "scope text not null, key_hash text not null, created_at timestamp not null, "
               "revoked_at timestamp)")
        errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    else:
        con = mysql_connect(settings().mysql)
        table, ph = qualified(target, target.models_schema, TABLE), "%s"
        ddl = (f"create table if not exists {table} (key_id varchar(12) not null primary key, "
               "consumer varchar(100) not null, scope varchar(10) not null, key_hash char(64) not null, "
               "created_at datetime not null, revoked_at datetime null) "
               "engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin")
        errors = (pymysql.err.MySQLError,)
    try:
        cur = con.cursor()
        if target.name == "duckdb":
            cur.execute(ddl)
        elif not mysql_exists(cur, target.models_schema, TABLE):  # the reader account has no CREATE
            create_mysql_database(cur, target, target.models_schema)
            cur.execute(ddl)
        yield con, table, ph
        con.commit()
    except errors as exc:
        raise BizstatsError(f"the API key store of {target.name}: {exc}") from exc
    finally:
        con.close()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def create_key(target: Target, consumer: str, scope: str = "read") -> tuple[ApiKey, str]:
    """A new key for `consumer`: (its record, the token, shown this once)."""
    consumer = consumer.strip()
    if not consumer or len(consumer) > 100:
        raise BizstatsError("name the consumer of the key: 1 to 100 characters, e.g. --name finance-bi")
    if scope not in SCOPES:
        raise BizstatsError(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    record = ApiKey(key_id, consumer, scope, _now(), None)
    with _store(target) as (con, table, ph):
        con.cursor().execute(
            f"insert into {table} ({_COLUMNS}) values ({', '.join([ph] * 6)})",
            (key_id, consumer, scope, _digest(secret), f"{record.created_at:%Y-%m-%d %H:%M:%S}", None),
        )
    return record, f"bzs_{key_id}_{secret}"


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _as_datetime(value: Any) -> datetime | None:
    return None if value is None else _datetime(value)


def list_keys(target: Target) -> list[ApiKey]:
    """Every key, revoked ones too, oldest first (never the secrets)."""
    with _store(target) as (con, table, _):
        cur = con.cursor()
        cur.execute(f"select key_id, consumer, scope, created_at, revoked_at from {table} "
                    "order by created_at, key_id")
        rows = cur.fetchall()
    return [ApiKey(r[0], r[1], r[2], _datetime(r[3]), _as_datetime(r[4])) for r in rows]


def revoke_key(target: Target, key_id: str) -> ApiKey:
    """Revoke the key with this id (the part after `bzs_` of the token, or as listed)."""
    with _store(target) as (con, table, ph):
        cur = con.cursor()
        cur.execute(f"update {table} set revoked_at = {ph} where key_id = {ph} and revoked_at is null",
                    (f"{_now():%Y-%m-%d %H:%M:%S}", key_id))
    keys = {k.key_id: k for k in list_keys(target)}
    if key_id not in keys:
        raise BizstatsError(f"no API key {key_id!r}: `bizstats keys list` shows them")
    return keys[key_id]


class KeyVerifier:
    """Checks tokens against the store, keeping each verdict CHECK_SECONDS."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._seen: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def _lookup(self, key_id: str, secret: str) -> ApiKey | None:
        with _store(self._target) as (con, table, ph):
            cur = con.cursor()
            cur.execute(f"select {_COLUMNS} from {table} where key_id = {ph}", (key_id,))
            row = cur.fetchone()
        if row is None or row[5] is not None or not hmac.compare_digest(row[3], _digest(secret)):
            return None
        return ApiKey(row[0], row[1], row[2], _datetime(row[4]), None)

    def remembered(self, token: str) -> tuple[bool, ApiKey | None]:
        """(True, what `verify` answered) when it did so in the last CHECK_SECONDS, else
        (False, None): the answer without touching the key store."""
        with self._lock:
            seen = self._seen.get(_digest(token))
        if seen is not None and time.monotonic() - seen[0] < CHECK_SECONDS:
            return True, seen[1]
        return False, None

    def verify(self, token: str) -> ApiKey | None:
        """The live key `token` is, or None (unknown, wrong secret, revoked, malformed)."""
        match = _TOKEN.match(token.strip())
        if match is None:
            return None
        known, key = self.remembered(token)
        if known:
            return key
        began = time.monotonic()  # what the store says is at least this fresh
        key = self._lookup(*match.groups())
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[_digest(token)] = (began, key)
        return key
