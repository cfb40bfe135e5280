"""The warehouse's identity: a random id created once and stored in the warehouse itself (the
one-row table `bizstats_warehouse` of the models schema; on DuckDB inside the database file,
so its snapshots carry it too).

What names a warehouse for a cache must not be how a client reached it: a build connecting to
127.0.0.1:3306 and a query API connecting through a proxy, a DNS name or another path to the
same file see the same id, and a warehouse dropped and created again at the same address gets
a new one (bizstats.publish.cache names the cached answers by it)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bizstats.config import Target
from bizstats.db import fetch_all, placeholder, qualified, using
from bizstats.errors import BizstatsError

TABLE = "bizstats_warehouse"
_ROW = "warehouse"  # the one row's key


def _table(target: Target) -> str:
    return qualified(target, target.models_schema, TABLE)


def _select(target: Target) -> tuple[str, list[Any]]:
    return f"select warehouse_id from {_table(target)} where id_key = {placeholder(target)}", [_ROW]


def ensure_warehouse_id(target: Target, con: Any | None = None) -> str:
    """The id of `target`'s warehouse, created (once, whoever comes first) when it has none.
    For a process that may write the warehouse: a build, under the warehouse lock, over its
    own connection `con` (or a new one when None). The spark target's id is in its control
    database (Target.control), with the rest of its bookkeeping."""
    target = target.control
    ph = placeholder(target)
    ignore = "insert or ignore" if target.name == "duckdb" else "insert ignore"
    stamp = "timestamp" if target.name == "duckdb" else "datetime"
    with using(target, con) as live:
        cur = live.cursor()
        cur.execute(
            f"create table if not exists {_table(target)} (id_key varchar(20) not null primary key, "
            f"warehouse_id varchar(32) not null, created_at {stamp} not null)"
        )
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        cur.execute(
            f"{ignore} into {_table(target)} values ({ph}, {ph}, {ph})", [_ROW, secrets.token_hex(16), now]
        )
        live.commit()
        (found,) = fetch_all(live, *_select(target))[0]
        live.commit()
    return str(found)


def read_warehouse_id(
    fetch: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]], target: Target
) -> str | None:
    """The id as a read-only reader sees it (`fetch(sql, params)`, e.g. the query API's
    reader), or None when the warehouse has none yet (never built by this version) or cannot
    be read."""
    try:
        rows = fetch(*_select(target))
    except BizstatsError:
        return None
    return str(rows[0][0]) if rows else None
