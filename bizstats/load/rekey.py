"""Key rotation of the personal numbers encrypted in extra_data (密钥轮换, 个人信息保护).

With a Fernet key (BIZSTATS_COLLECT_FERNET_KEY) the scrubber (bizstats.privacy) stores each
phone or id number found in `extra_data` as `enc:<Fernet token>`. The setting is a
comma-separated list of keys: the first encrypts, every one decrypts. Rotating is three steps:
put the new key first (`NEW,OLD`), run `bizstats pii rotate` (`rotate_pii`), then drop the old
key from the list.

`rotate_pii` re-encrypts with the first key every token that another key of the list
encrypted, in every table that holds `extra_data`, found by their columns: the raw
`event_logs`, the quarantined events (`_quarantined_events`, admitted later) and the models'
copy (`stg_event_logs`). The rules:

- a token the first key already decrypts is left as it is, so a re-run changes nothing
  (counts 0), and a run killed midway is finished by the next one;
- rows are read in batches of `BATCH` by key (keyset: `event_logs.id`, the quarantine's
  `quarantine_id`, a model's `event_id`), each batch's rewritten rows updated and committed in
  one transaction, one progress line per batch;
- only the token changes: the rest of the text, `_loaded_at` and every other column stay,
  so no day becomes pending and no build is needed;
- a token no key of the list decrypts stops the run with one line naming the table and
  the row (the key it was encrypted with is missing from the list);
- it holds the warehouse lock (bizstats.lock), so no load or build runs meanwhile.

Not rewritten: what is stored outside the warehouse's tables. The archive's Parquet files
(数据归档, bizstats.retention) and the backups (备份) keep the tokens of the keys they were
written under, and the DuckDB collector's spool keeps ingested rows a few days: keep an old
key in the list (after the new one) while archived days may be restored or such a backup
restored with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bizstats.config import Target
from bizstats.contract import TABLES
from bizstats.db import connect, fetch_all, placeholder, qualified, quote
from bizstats.errors import BizstatsError
from bizstats.load.quarantine import TABLE as QUARANTINE
from bizstats.lock import warehouse_lock
from bizstats.privacy import fernet_keys, privacy_keys

BATCH = 500  # rows read (and at most rewritten) per transaction
RAW_KEYS = {"event_logs": "id", QUARANTINE: "quarantine_id"}  # raw tables with extra_data, their keys
COLUMN = "extra_data"
# a Fernet token is url-safe base64 of bytes starting with 0x80 (its version): "gAAAAA..."
TOKEN = re.compile(r"enc:(gAAAAA[A-Za-z0-9_-]+={0,2})")

Progress = Callable[[str], None]


@dataclass
class TableRotation:
    """What a rotation did to one table: rows read (those holding `enc:`), rows rewritten,
    tokens re-encrypted with the first key, tokens already under it."""

    table: str
    rows_read: int = 0
    rows_rewritten: int = 0
    reencrypted: int = 0
    current: int = 0


@dataclass
class Rotation:
    """Every table's rotation, in the order they were rotated."""

    tables: list[TableRotation] = field(default_factory=list)

    @property
    def reencrypted(self) -> int:
        return sum(t.reencrypted for t in self.tables)

    @property
    def current(self) -> int:
        return sum(t.current for t in self.tables)


def rotate_text(text: str, keys: list[Fernet], counts: TableRotation) -> str:
    """`text` with every `enc:` token not under the first of `keys` re-encrypted with it;
    `counts` hears how many were re-encrypted and how many were current. InvalidToken when
    no key decrypts one."""
    first, every = keys[0], MultiFernet(keys)

    def one(found: re.Match[str]) -> str:
        token = found.group(1).encode()
        try:
            first.decrypt(token)
        except InvalidToken:
            rotated = every.rotate(token)  # InvalidToken: no key of the list decrypts it
            counts.reencrypted += 1
            return "enc:" + rotated.decode()
        counts.current += 1
        return found.group(0)

    return TOKEN.sub(one, text)


def _tables(con: Any, target: Target) -> list[tuple[str, str, str]]:
    """(schema, table, key column) of every table holding `extra_data`: the raw event_logs
    (key `id`) and quarantine (`quarantine_id`) and, in the models schema, the copies keyed
    by `event_id`; the build's temporary tables (a `__` in the name) are left out."""
    ph = placeholder(target)
    rows = fetch_all(
        con,
        "select table_schema, table_name from information_schema.columns "
        f"where column_name = {ph} and table_schema in ({ph}, {ph}) order by table_schema, table_name",
        (COLUMN, target.raw_schema, target.models_schema),
    )
    found: list[tuple[str, str, str]] = []
    for schema, table in rows:
        if "__" in table:
            continue
        if schema == target.raw_schema and table in RAW_KEYS:
            found.append((schema, table, RAW_KEYS[table]))
        elif schema == target.models_schema:
            found.append((schema, table, "event_id"))
    return found


def _rotate_table(
    con: Any, target: Target, where: tuple[str, str, str], keys: list[Fernet], say: Progress, batch: int
) -> TableRotation:
    schema, name, key = where
    table = qualified(target, schema, name)
    ph = placeholder(target)
    key_q, column = quote(target, key), quote(target, COLUMN)
    counts = TableRotation(f"{schema}.{name}")
    last: Any = None
    while True:
        after = f" and {key_q} > {ph}" if last is not None else ""
        rows = fetch_all(
            con,
            f"select {key_q}, {column} from {table} where {column} like {ph}{after} "
            f"order by {key_q} limit {int(batch)}",
            ["%enc:%", *([last] if last is not None else [])],
        )
        con.commit()
        if not rows:
            break
        changed = []
        for row_key, text in rows:
            try:
                new = rotate_text(str(text), keys, counts)
            except InvalidToken:
                raise BizstatsError(
                    f"{schema}.{name} row {key}={row_key}: a value of {COLUMN} decrypts with no key "
                    "of BIZSTATS_COLLECT_FERNET_KEY; add the key it was encrypted with to the list "
                    "(after the new one) and re-run `bizstats pii rotate`"
                ) from None
            if new != text:
                changed.append((new, row_key))
        if changed:
            cur = con if target.name == "duckdb" else con.cursor()  # a DuckDB cursor is a connection
            if target.name == "duckdb":
                cur.execute("begin transaction")
            cur.executemany(f"update {table} set {column} = {ph} where {key_q} = {ph}", changed)
            con.commit()
        counts.rows_read += len(rows)
        counts.rows_rewritten += len(changed)
        say(
            f"{counts.table}: {counts.rows_read:,} rows read, {counts.rows_rewritten:,} rewritten, "
            f"{counts.reencrypted:,} values re-encrypted, {counts.current:,} already under the first key"
        )
        last = rows[-1][0]
    return counts


def rotate_pii(
    target: Target, fernet_key: str | None = None, progress: Progress | None = None, batch: int = BATCH
) -> Rotation:
    """Re-encrypt with the first key of `fernet_key` (a comma-separated list; default
    BIZSTATS_COLLECT_FERNET_KEY) every extra_data token another key of it encrypted (module
    docstring), under the warehouse lock; returns the counts."""
    text = fernet_key if fernet_key is not None else privacy_keys()[0]
    keys = fernet_keys(text)
    if not keys:
        raise BizstatsError(
            "BIZSTATS_COLLECT_FERNET_KEY is not set: give the new key first, then the old ones "
            "(NEW,OLD), to re-encrypt extra_data with the new key"
        )
    say = progress or (lambda _line: None)
    if target.is_spark:
        # spark: extra_data is rotated where its raw rows live, the control database's landing
        # and quarantine, then the lake is synced (the load days that changed rewritten); the
        # copies in Spark's models (stg_event_logs) are re-made by a full build
        from bizstats.spark.lake import forget_published, sync_lake

        with warehouse_lock(target.control, "pii rotate", progress):
            rotation = rotate_pii(target.control, text, progress, batch)
            # rows changed in place keep their load day's fingerprint: re-write those tables
            changed = {t.table.rsplit(".", 1)[-1] for t in rotation.tables if t.rows_rewritten}
            forget_published(target, sorted(changed & set(TABLES)))
            sync_lake(target, progress=progress)
        return rotation
    rotation = Rotation()
    with warehouse_lock(target, "pii rotate", progress), connect(target) as con:
        for where in _tables(con, target):
            rotation.tables.append(_rotate_table(con, target, where, keys, say, batch))
    return rotation
