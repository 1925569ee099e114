"""Who is calling: HTTP Basic with the API key as username, answered as Django REST Framework does.

* No `Authorization` header, or one of another scheme, answers 401 "Authentication credentials were
  not provided."; a `Bearer` token answers 401 "Invalid token." (no token authentication is set up).
* A Basic header without credentials, or not base64, answers 401 with DRF's "Invalid basic header. …"
  messages.
* The username must be the configured API key (compared in constant time; the password is ignored);
  with `api_key=None` any non-empty username passes. Anything else: 401 "Invalid username/password.".

Every 401 carries `{"detail": "<message>"}` and `WWW-Authenticate: Basic realm="api"`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import ClassVar

from lmsform.providers.skilljar.emulator.errors import ApiError


class Authenticator:
    """HTTP Basic with the API key as username (skilljar.md Auth); Bearer tokens are not configured."""

    _CHALLENGE: ClassVar[Mapping[str, str]] = {"WWW-Authenticate": 'Basic realm="api"'}

    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key

    def check(self, header: str | None) -> None:
        scheme, _, credentials = (header or "").strip().partition(" ")
        if scheme.lower() == "bearer":
            raise self._reject("Invalid token.")
        if scheme.lower() != "basic":
            raise self._reject("Authentication credentials were not provided.")
        if not credentials.strip():
            raise self._reject("Invalid basic header. No credentials provided.")
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise self._reject("Invalid basic header. Credentials not correctly base64 encoded.") from None
        key = decoded.partition(":")[0]
        if not self._accepts(key):
            raise self._reject("Invalid username/password.")

    def _accepts(self, key: str) -> bool:
        if self._api_key is None:
            return bool(key)
        return hmac.compare_digest(key.encode(), self._api_key.encode())

    def _reject(self, detail: str) -> ApiError:
        return ApiError(401, {"detail": detail}, self._CHALLENGE)
