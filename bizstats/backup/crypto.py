"""How a backup file is compressed and encrypted, streaming: gzip, then AES-256-GCM in chunks.

A stored file is a header and a sequence of sealed chunks:

    header  = b"BZSBAK\\x00\\x01" (8 bytes) + salt (16 random bytes)
    chunk   = length (4 bytes, big-endian; the top bit set on the last chunk) + ciphertext

Each chunk seals up to 1 MiB of the gzip stream with AES-256-GCM under a key of this file
alone (HKDF-SHA256 of BIZSTATS_BACKUP_KEY with the salt). Its 12-byte nonce is the chunk's
number (11 bytes) and a last-chunk flag (1 byte), and the header is its associated data, so a
flipped byte, chunks swapped, dropped or moved from another file, or a file cut after any
chunk (no chunk marked last) fails to open: the reader refuses it with one line and yields no
byte of a chunk it could not authenticate. Memory stays at about one chunk however large the
dump. The key's id (an HMAC of the key, not the key) goes into the manifest, so a wrong key is
told apart from a damaged file.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bizstats.errors import BizstatsError

MAGIC = b"BZSBAK\x00\x01"
SALT_BYTES = 16
HEADER_BYTES = len(MAGIC) + SALT_BYTES
CHUNK = 1 << 20  # plaintext bytes per sealed chunk
TAG = 16
LAST = 1 << 31
_READ = 1 << 16


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> Any: ...


class Damaged(BizstatsError):
    """A stored backup file that is not whole: truncated, altered, or sealed with another key."""


def key_id(key: bytes) -> str:
    """A name for `key` that reveals nothing of it: 16 hex of HMAC-SHA256(key, a label)."""
    return hmac.new(key, b"bizstats-backup-v1 key id", hashlib.sha256).hexdigest()[:16]


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"bizstats-backup-v1 chunk key")
    return AESGCM(derived.derive(key))


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _Sealer:
    """Writes the header, then the sealed chunks of what it is given, to `out`."""

    def __init__(self, out: Writable, key: bytes) -> None:
        salt = os.urandom(SALT_BYTES)
        self.header = MAGIC + salt
        self.aead = _file_key(key, salt)
        self.out = out
        self.buffer = bytearray()
        self.number = 0
        out.write(self.header)

    def write(self, data: bytes) -> None:
        self.buffer += data
        while (
            len(self.buffer) > CHUNK
        ):  # keep at least one byte back: the last chunk is never empty-but-unmarked
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _seal(self, plain: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.number, last), plain, self.header)
        self.out.write((len(sealed) | (LAST if last else 0)).to_bytes(4, "big") + sealed)
        self.number += 1


def seal(chunks: Iterable[bytes], out: Writable, key: bytes) -> tuple[int, str]:
    """Gzip and encrypt `chunks` into `out`; (bytes of the content, its SHA-256)."""
    digest, size = hashlib.sha256(), 0
    gzip = zlib.compressobj(6, zlib.DEFLATED, 31)
    sealer = _Sealer(out, key)
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        sealer.write(gzip.compress(chunk))
    sealer.write(gzip.flush())
    sealer.close()
    return size, digest.hexdigest()


def _exactly(stream: Readable, size: int, what: str) -> bytes:
    data = bytearray()
    while len(data) < size:
        piece = stream.read(size - len(data))
        if not piece:
            raise Damaged(f"{what} is truncated: it ends before its last chunk")
        data += piece
    return bytes(data)


def _chunks(stream: Readable, key: bytes, what: str) -> Iterator[bytes]:
    """The authenticated plaintext chunks (the gzip stream) of a sealed file."""
    header = stream.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
        raise Damaged(f"{what} is not a bizstats backup file (no header): damaged or truncated")
    aead = _file_key(key, header[len(MAGIC) :])
    number = 0
    while True:
        prefix = _exactly(stream, 4, what)
        word = int.from_bytes(prefix, "big")
        last, size = bool(word & LAST), word & (LAST - 1)
        if not TAG <= size <= CHUNK + TAG:
            raise Damaged(f"{what} is damaged: chunk {number} has an impossible length")
        sealed = _exactly(stream, size, what)
        try:
            plain = aead.decrypt(_nonce(number, last), sealed, header)
        except InvalidTag:
            raise Damaged(
                f"{what} does not decrypt at chunk {number}: the file was altered or damaged, "
                "or sealed with another BIZSTATS_BACKUP_KEY"
            ) from None
        yield plain
        number += 1
        if last:
            break
    if stream.read(1):
        raise Damaged(f"{what} is damaged: bytes follow its last chunk")


def unseal(stream: Readable, key: bytes, what: str) -> Iterator[bytes]:
    """The content of a sealed file, decrypted and gunzipped, in pieces; a damaged file raises
    Damaged (naming `what`) before any unauthenticated byte is yielded."""
    gunzip = zlib.decompressobj(31)
    for chunk in _chunks(stream, key, what):
        try:
            data = gunzip.decompress(chunk)
        except zlib.error:
            raise Damaged(f"{what} is damaged: its content is not gzip") from None
        if data:
            yield data
    if not gunzip.eof:
        raise Damaged(f"{what} is damaged: its gzip stream ends early")


class HashingReader:
    """A read-only stream that hashes (SHA-256) and counts what is read through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(_READ):
            pass


class HashingWriter:
    """A write-only stream that hashes (SHA-256) and counts what is written through it."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.raw.write(data)
        return len(data)
