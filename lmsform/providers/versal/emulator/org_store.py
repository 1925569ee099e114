"""Organisations and user sessions in SQLite.

The primary organisation (from the options) has no key in the file: its API key is whatever the app
was created with. Organisations added by the seed hook carry their own key. A session belongs to one
user in one organisation (the one whose key created it) and lives `session_days` after its last use.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from lmsform.providers.emulation.sqlite import TableDump
from lmsform.providers.versal.emulator.base_store import Database

ORG_TABLES = (
    """CREATE TABLE IF NOT EXISTS orgs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        api_key TEXT UNIQUE,
        is_primary INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        org_id INTEGER NOT NULL REFERENCES orgs (id),
        user_id INTEGER NOT NULL REFERENCES users (id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS sessions_by_member ON sessions (org_id, user_id)",
)
ORG_DUMPS = (
    TableDump("orgs", "orgs", "id", booleans=frozenset({"is_primary"})),
    TableDump("sessions", "sessions", "created_at, id"),
)


@dataclass(frozen=True)
class Org:
    id: int
    name: str


@dataclass(frozen=True)
class SessionRecord:
    id: str
    org_id: int
    user_id: int
    expires_at: str


class OrgStore(Database):
    def open_primary_org(self, org_id: int, name: str) -> None:
        """Make `org_id` the primary organisation (created if missing, renamed to `name`)."""
        with self.transaction():
            self._run("UPDATE orgs SET is_primary = 0 WHERE id != ?", (org_id,))
            self._run(
                """INSERT INTO orgs (id, name, api_key, is_primary) VALUES (?, ?, NULL, 1)
                   ON CONFLICT (id) DO UPDATE SET name = excluded.name, api_key = NULL, is_primary = 1""",
                (org_id, name),
            )

    def primary_org(self) -> Org:
        row = self._one("SELECT id, name FROM orgs WHERE is_primary = 1")
        assert row is not None, "the store sets up its primary org when it opens"
        return Org(*row)

    def org(self, org_id: int) -> Org | None:
        row = self._one("SELECT id, name FROM orgs WHERE id = ?", (org_id,))
        return None if row is None else Org(*row)

    def org_with_key(self, presented: str) -> Org | None:
        """The seeded (non-primary) organisation whose key is `presented`; keys compared in constant time."""
        found = None
        for org_id, name, key in self._all("SELECT id, name, api_key FROM orgs WHERE api_key IS NOT NULL"):
            if hmac.compare_digest(presented.encode(), key.encode()):
                found = Org(org_id, name)
        return found

    def put_seeded_org(self, org_id: int, name: str, api_key: str) -> Org:
        self._run(
            """INSERT INTO orgs (id, name, api_key, is_primary) VALUES (?, ?, ?, 0)
               ON CONFLICT (id) DO UPDATE SET name = excluded.name, api_key = excluded.api_key""",
            (org_id, name, api_key),
        )
        return Org(org_id, name)

    def delete_seeded_orgs(self) -> None:
        self._run("DELETE FROM orgs WHERE is_primary = 0")

    def insert_session(self, session: SessionRecord, created_at: str) -> None:
        self._run(
            "INSERT INTO sessions (id, org_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (session.id, session.org_id, session.user_id, created_at, session.expires_at),
        )

    def session(self, session_id: str) -> SessionRecord | None:
        row = self._one("SELECT id, org_id, user_id, expires_at FROM sessions WHERE id = ?", (session_id,))
        return None if row is None else SessionRecord(*row)

    def extend_session(self, session_id: str, expires_at: str) -> None:
        self._run("UPDATE sessions SET expires_at = ? WHERE id = ?", (expires_at, session_id))

    def delete_member_sessions(self, org_id: int, user_ids: list[int]) -> None:
        self._run_many(
            "DELETE FROM sessions WHERE org_id = ? AND user_id = ?", [(org_id, u) for u in user_ids]
        )
