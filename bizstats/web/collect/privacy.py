"""Personal data in events (design doc §11.4): mainland phone numbers and resident id
numbers found in free-text fields are masked (`138****8000`) or, with a Fernet key,
encrypted (`enc:<token>`, inside extra_data only: a token does not fit the 255-character
page columns); user ids can be replaced by a keyed hash (HMAC-SHA256), which maps one user to
one pseudonym, so UV stays exact."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from cryptography.fernet import Fernet

# an 18-digit id (last may be X) or a 15-digit one; a mobile number 1[3-9] + 9 digits
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_ELEVEN_DIGITS = re.compile(r"\d{11}")  # in every phone and id number: a cheap first test
_PHONE = re.compile(r"(?:(?<=\+86)|(?<!\d))(1[3-9]\d{9})(?!\d)")


def _mask(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


class Scrubber:
    """Masks or encrypts the phone and id numbers of an event's free-text values."""

    def __init__(self, fernet_key: str | None, pseudonym_key: bytes | None) -> None:
        self._fernet = Fernet(fernet_key.encode()) if fernet_key else None
        self._pseudonym_key = pseudonym_key

    def text(self, value: str) -> str:
        """A page column: numbers masked."""
        if not _ELEVEN_DIGITS.search(value):
            return value
        value = _ID_NUMBER.sub(lambda m: _mask(m.group(1)), value)
        return _PHONE.sub(lambda m: _mask(m.group(1)), value)

    def extra(self, value: Any) -> Any:
        """extra_data: every string inside, numbers encrypted (with a key) or masked."""
        if isinstance(value, str):
            if not _ELEVEN_DIGITS.search(value):
                return value
            if self._fernet is None:
                return self.text(value)
            seal = lambda m: "enc:" + self._fernet.encrypt(m.group(1).encode()).decode()  # noqa: E731
            return _PHONE.sub(seal, _ID_NUMBER.sub(seal, value))
        if isinstance(value, dict):
            return {k: self.extra(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.extra(v) for v in value]
        return value

    def user_id(self, user_id: str) -> str:
        """The stored user id: as sent, or `u_` + 30 hex of HMAC-SHA256(key, id) (fits 50)."""
        if self._pseudonym_key is None:
            return user_id
        return "u_" + hmac.new(self._pseudonym_key, user_id.encode(), hashlib.sha256).hexdigest()[:30]
