"""HTTP Basic authentication, as DRF's `BasicAuthentication` does it (training-records.md Auth).

* No `Authorization` header, or one of another scheme (`Bearer …`), is "no credentials": 401
  "Authentication credentials were not provided.".
* A Basic header without credentials, with spaces in them, or that is not base64 of `user:key`
  answers 401 with DRF's "Invalid basic header. …" messages.
* The username and key must match the configured pair (both compared in constant time); with
  `api_key=None` any non-empty username and key pass. Anything else: 401 "Invalid username/password.".

Every 401 carries `WWW-Authenticate: Basic realm="api"`.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from lmsform.providers.training_records.emulator.errors import authentication_failed, not_authenticated

_NO_CREDENTIALS = "Invalid basic header. No credentials provided."
_SPACES = "Invalid basic header. Credentials string should not contain spaces."
_NOT_BASE64 = "Invalid basic header. Credentials not correctly base64 encoded."


class BasicAuth:
    """The username and key a caller must present; `api_key=None` accepts any non-empty pair."""

    def __init__(self, username: str, api_key: str | None) -> None:
        self._username = username
        self._api_key = api_key

    def check(self, header: str | None) -> None:
        """Return when `header` (the `Authorization` value) carries acceptable credentials; else 401."""
        username, key = read_basic(header)
        if not username or not key:
            raise authentication_failed()
        if self._api_key is None:
            return
        # Both comparisons run, so the time taken does not tell which part was wrong.
        same_user = hmac.compare_digest(username.encode(), self._username.encode())
        same_key = hmac.compare_digest(key.encode(), self._api_key.encode())
        if not (same_user and same_key):
            raise authentication_failed()


def read_basic(header: str | None) -> tuple[str, str]:
    """The username and key of a Basic `Authorization` header."""
    parts = (header or "").split()
    if not parts or parts[0].lower() != "basic":
        raise not_authenticated()
    if len(parts) == 1:
        raise authentication_failed(_NO_CREDENTIALS)
    if len(parts) > 2:
        raise authentication_failed(_SPACES)
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise authentication_failed(_NOT_BASE64) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, colon, key = text.partition(":")
    if not colon:
        raise authentication_failed(_NOT_BASE64)
    return username, key
