"""Who is calling: the `SID` header, as an API key or a user session (versal.md Auth).

* A missing or empty `SID`, or one that is neither a live session nor a known key, answers 401.
* A session id (a UUID made by `POST /sessions`) acts for its user in the org whose key made it. It
  lives `session_days` after its last use; each use pushes the expiry out, an expired one answers
  401.
* A seeded organisation's key acts for that organisation; the primary organisation's key is the one
  the app was created with (compared in constant time), or, with `api_key=None`, any other non-empty
  value.
* Which token an operation takes (versal.md Operations): `key` (a session gets 403), `session` (a key
  gets 401, versal.md D16) or `any`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from lmsform.providers.versal.emulator.dates import later_stored, now_stored
from lmsform.providers.versal.emulator.errors import insufficient_permissions, invalid_credentials
from lmsform.providers.versal.emulator.org_store import SessionRecord
from lmsform.providers.versal.emulator.store import VersalStore

SID_HEADER = "SID"
Rights = Literal["key", "session", "any"]


@dataclass(frozen=True)
class Caller:
    org_id: int
    session: SessionRecord | None = None
    """None when the caller presented an API key."""

    @property
    def is_key(self) -> bool:
        return self.session is None

    @property
    def user_id(self) -> int | None:
        return None if self.session is None else self.session.user_id


class KeyCheck:
    """The primary organisation's key (`None`: any non-empty value)."""

    def __init__(self, api_key: str | None) -> None:
        self._api_key = api_key

    def accepts(self, presented: str) -> bool:
        if self._api_key is None:
            return True
        return hmac.compare_digest(presented.encode(), self._api_key.encode())


class Authenticator:
    def __init__(self, store: VersalStore, keys: KeyCheck, session_days: int) -> None:
        self._store = store
        self._keys = keys
        self._session_days = session_days

    def identify(self, sid: str | None) -> Caller:
        if not sid:
            raise invalid_credentials()
        session = self._store.session(sid)
        if session is not None:
            if session.expires_at <= now_stored():
                raise invalid_credentials()
            self._store.extend_session(sid, later_stored(self._session_days))
            return Caller(session.org_id, session)
        org = self._store.org_with_key(sid)
        if org is not None:
            return Caller(org.id)
        if self._keys.accepts(sid):
            return Caller(self._store.primary_org().id)
        raise invalid_credentials()

    def authorise(self, sid: str | None, rights: Rights) -> Caller:
        caller = self.identify(sid)
        if rights == "key" and not caller.is_key:
            raise insufficient_permissions()
        if rights == "session" and caller.is_key:
            raise invalid_credentials()
        return caller
