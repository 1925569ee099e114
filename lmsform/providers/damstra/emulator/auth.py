"""The `AccessKey` header (damstra.md A1-A3): its name matched ignoring case, its value exactly and in
constant time; with `access_key=None` any non-empty key passes. A missing or wrong key answers 403 E806,
terse (E806S) on the endpoints that say so."""

from __future__ import annotations

import hmac

import flask

from lmsform.providers.damstra.emulator.errors import invalid_access_key

ACCESS_KEY_HEADER = "AccessKey"


class AccessKeyCheck:
    """The one organisation key (`None`: any non-empty key)."""

    def __init__(self, access_key: str | None) -> None:
        self._access_key = access_key

    def accepts(self, presented: str | None) -> bool:
        if not presented:
            return False
        if self._access_key is None:
            return True
        return hmac.compare_digest(presented.encode(), self._access_key.encode())

    def check(self, *, terse: bool) -> None:
        if not self.accepts(flask.request.headers.get(ACCESS_KEY_HEADER)):
            raise invalid_access_key(terse=terse)
