"""The backups' settings section (备份): where backups go, the key that encrypts them and how
long they are kept, parsed once from an environment mapping.

- BIZSTATS_BACKUP_KEY: 32 random bytes, url-safe base64 (44 characters, the shape of a Fernet
  key), or a passphrase of 16 characters or more (stretched with scrypt); required by every
  backup command, never echoed in a message.
- BIZSTATS_BACKUP_DIR: a folder or any fsspec URL (`file:///srv/backups`, `s3://bucket/x`,
  `memory://b` in tests); default `./backups`.
- BIZSTATS_BACKUP_KEEP_DAYS: backups older than this many days are deleted after each backup
  (1 to 3650; default 30); the newest complete backup is always kept.

The section lives in the core layer (it imports nothing of bizstats but errors), so the one
settings object can hold it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bizstats.errors import BizstatsError

KEY_ENV = "BIZSTATS_BACKUP_KEY"
DIR_ENV = "BIZSTATS_BACKUP_DIR"
KEEP_DAYS_ENV = "BIZSTATS_BACKUP_KEEP_DAYS"
DEFAULT_DIR = "backups"
DEFAULT_KEEP_DAYS = 30
KEY_BYTES = 32
MIN_PASSPHRASE = 16
MAKE_KEY = "python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"


@dataclass(frozen=True)
class BackupSettings:
    """The backups' destination, retention and key (`key` is None when unset: the commands that
    need it say so in one line, `require_key`)."""

    directory: str
    keep_days: int
    key: bytes | None = field(default=None, repr=False)  # never in a repr or a message

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BackupSettings:
        """The section from `env` (e.g. os.environ), validated: a bad value is one
        BizstatsError naming the variable (never the key's value)."""
        directory = env.get(DIR_ENV, "").strip() or DEFAULT_DIR
        raw_days = env.get(KEEP_DAYS_ENV, "").strip() or str(DEFAULT_KEEP_DAYS)
        if not re.fullmatch(r"[0-9]{1,4}", raw_days) or not 1 <= int(raw_days) <= 3650:
            raise BizstatsError(
                f"{KEEP_DAYS_ENV} must be a whole number of days from 1 to 3650, got {raw_days!r}"
            )
        return cls(directory=directory, keep_days=int(raw_days), key=_key(env.get(KEY_ENV, "").strip()))

    def require_key(self) -> bytes:
        """The key, or one line saying how to set it."""
        if self.key is None:
            raise BizstatsError(
                f"{KEY_ENV} is not set: backups are encrypted with it; make one with {MAKE_KEY}"
            )
        return self.key


def _key(raw: str) -> bytes | None:
    """The 32-byte key: a key in url-safe base64 as is, or a passphrase (16 characters or more)
    stretched with scrypt (the same passphrase always gives the same key)."""
    if not raw:
        return None
    if len(raw) == 44:
        try:
            key = base64.urlsafe_b64decode(raw.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            key = b""
        if len(key) == KEY_BYTES:
            return key
    if len(raw) < MIN_PASSPHRASE:
        raise BizstatsError(
            f"{KEY_ENV} is not a backup key: give {KEY_BYTES} random bytes in url-safe base64 "
            f"(44 characters), e.g. from {MAKE_KEY}, or a passphrase of {MIN_PASSPHRASE} characters or more"
        )
    stretch = {"n": 1 << 15, "r": 8, "p": 1, "maxmem": 1 << 26, "dklen": KEY_BYTES}
    return hashlib.scrypt(raw.encode("utf-8"), salt=b"bizstats-backup-v1", **stretch)
