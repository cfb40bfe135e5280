"""A backup's manifest (`manifest.json`, written last: a backup without one is incomplete):
what it holds, each file's size and SHA-256 (stored and decrypted), and every table's row count
and checksum at backup time, which a restore must reproduce exactly.

The manifest is plain JSON so `bizstats backup list` reads it without the key; it holds no
secret (no password, no key: the key's id only) and carries an HMAC-SHA256 under the backup
key (`mac`), so an altered manifest is refused like an altered file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from bizstats.backup.crypto import Damaged

FORMAT = "bizstats-backup/1"
NAME = "manifest.json"
ID = re.compile(r"(?P<stamp>[0-9]{8}T[0-9]{6}Z)-(?P<target>duckdb|mysql)-[0-9a-f]{4}")


@dataclass(frozen=True)
class Member:
    """One stored file of a backup: `name` as restored (e.g. `warehouse.duckdb`), `stored` the
    object's name in the backup's folder; sizes and SHA-256 of the stored (encrypted) bytes and
    of the content."""

    name: str
    stored: str
    size: int
    sha256: str
    content_size: int
    content_sha256: str


@dataclass(frozen=True)
class TableFigure:
    """A table's row count and order-independent checksum. `schema`: the DuckDB schema, or on
    MySQL/MariaDB the role of its database (`models`, `raw`), so a restore under other names
    compares alike. A MySQL table written while it was dumped (by the collector, say: it takes
    no warehouse lock) has no checksum and its rows counted before (`rows`) and after
    (`rows_after`) the dump; the copy's count must lie between them."""

    schema: str
    table: str
    rows: int
    checksum: str
    rows_after: int | None = None

    @property
    def changing(self) -> bool:
        return self.rows_after is not None


@dataclass(frozen=True)
class Manifest:
    id: str
    created_at: str  # UTC, ISO 8601 with Z
    target: str
    source: str  # the warehouse as a user knows it (file, or host:port/schema): no secret
    key_id: str
    versions: dict[str, str]
    schemas: dict[str, str]  # MySQL: role -> the source's database name
    members: tuple[Member, ...]
    tables: tuple[TableFigure, ...]
    mac: str = field(default="", compare=False)

    @property
    def created(self) -> datetime:
        return datetime.strptime(self.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)

    def _body(self) -> dict[str, Any]:
        body = asdict(self)
        body.pop("mac")
        return {"format": FORMAT, **body}

    def sealed(self, key: bytes) -> str:
        """The manifest's JSON with its HMAC under `key`."""
        body = self._body()
        body["mac"] = _mac(key, body)
        return json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True) + "\n"

    def check(self, key: bytes) -> None:
        """Refuse a manifest whose HMAC is not the one `key` gives (altered, or another key)."""
        if not hmac.compare_digest(self.mac, _mac(key, self._body())):
            raise Damaged(
                f"backup {self.id}: its manifest was altered or sealed with another BIZSTATS_BACKUP_KEY"
            )


def _mac(key: bytes, body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def parse(text: str, backup_id: str) -> Manifest:
    """A manifest from its JSON; anything malformed is Damaged naming the backup."""
    try:
        data = json.loads(text)
        if data.pop("format") != FORMAT:
            raise ValueError("format")
        return Manifest(
            id=str(data["id"]),
            created_at=str(data["created_at"]),
            target=str(data["target"]),
            source=str(data["source"]),
            key_id=str(data["key_id"]),
            versions={str(k): str(v) for k, v in data["versions"].items()},
            schemas={str(k): str(v) for k, v in data["schemas"].items()},
            members=tuple(Member(**m) for m in data["members"]),
            tables=tuple(TableFigure(**t) for t in data["tables"]),
            mac=str(data["mac"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Damaged(
            f"backup {backup_id}: its manifest is damaged (not a bizstats backup manifest)"
        ) from None


def stamp_of(backup_id: str) -> datetime | None:
    """The UTC time a backup id was made, or None for a name that is not a backup id."""
    match = ID.fullmatch(backup_id)
    if not match:
        return None
    return datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
