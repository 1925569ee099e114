"""Users (global accounts) and their membership of organisations, in SQLite.

A user exists once, whatever the organisations it belongs to; the e-mail is unique ignoring case
(`email_key` holds it case-folded), and so is the `username`. A membership carries the org roles as a
comma-separated list in the canonical order admin, instructor, learner; the empty string is a
role-less member (versal.md D1, D2). Optional profile fields are NULL when unset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lmsform.providers.emulation.sqlite import TableDump, placeholders, read_back
from lmsform.providers.versal.emulator.base_store import Database

ORG_ROLES = ("admin", "instructor", "learner")
"""Org roles in their canonical (precedence) order."""
PROFILE_FIELDS = ("firstname", "lastname", "fullname", "long_desc", "short_desc")

USER_TABLES = (
    """CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        username TEXT NOT NULL UNIQUE,
        firstname TEXT,
        lastname TEXT,
        fullname TEXT,
        long_desc TEXT,
        short_desc TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS memberships (
        org_id INTEGER NOT NULL REFERENCES orgs (id),
        user_id INTEGER NOT NULL REFERENCES users (id),
        roles TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (org_id, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS memberships_by_user ON memberships (user_id)",
)
USER_DUMPS = (
    TableDump("users", "users", "id"),
    TableDump("memberships", "memberships", "org_id, user_id"),
)


@dataclass(frozen=True)
class UserRecord:
    id: int
    email: str
    username: str
    firstname: str | None
    lastname: str | None
    fullname: str | None
    long_desc: str | None
    short_desc: str | None


@dataclass(frozen=True)
class MemberRecord:
    user: UserRecord
    roles: tuple[str, ...]


USER_COLUMNS = "u.id, u.email, u.username, u.firstname, u.lastname, u.fullname, u.long_desc, u.short_desc"


def encode_roles(roles: Sequence[str]) -> str:
    return ",".join(role for role in ORG_ROLES if role in roles)


def decode_roles(text: str) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


def email_key(email: str) -> str:
    return email.casefold()


class UserStore(Database):
    def user(self, user_id: int) -> UserRecord | None:
        row = self._one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
        return None if row is None else UserRecord(*row)

    def users(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        if not user_ids:
            return {}
        rows = self._all(
            f"SELECT {USER_COLUMNS} FROM users u WHERE u.id IN ({placeholders(len(user_ids))})",
            tuple(user_ids),
        )
        return {row[0]: UserRecord(*row) for row in rows}

    def user_by_email(self, email: str) -> UserRecord | None:
        row = self._one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.email_key = ?", (email_key(email),))
        return None if row is None else UserRecord(*row)

    def free_username(self, wanted: str) -> str:
        """`wanted`, or `wanted` with the first numeric suffix (2, 3, …) no user has (versal.md D17)."""
        candidate, suffix = wanted, 1
        while self._one("SELECT 1 FROM users WHERE username = ?", (candidate,)) is not None:
            suffix += 1
            candidate = f"{wanted}{suffix}"
        return candidate

    def insert_user(
        self, email: str, username: str, profile: Mapping[str, str | None], now: str
    ) -> UserRecord:
        user = UserRecord(
            self.next_id("user"), email, username, *(profile.get(name) for name in PROFILE_FIELDS)
        )
        self._run(
            f"""INSERT INTO users (id, email, email_key, username, {", ".join(PROFILE_FIELDS)}, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                user.id,
                email,
                email_key(email),
                username,
                *(profile.get(name) for name in PROFILE_FIELDS),
                now,
            ),
        )
        return user

    def update_profile(self, user_id: int, changes: Mapping[str, str | None]) -> UserRecord:
        columns = [name for name in PROFILE_FIELDS if name in changes]
        if columns:
            assignments = ", ".join(f"{name} = ?" for name in columns)
            self._run(
                f"UPDATE users SET {assignments} WHERE id = ?", (*(changes[c] for c in columns), user_id)
            )
        return read_back(self.user(user_id))

    # --- memberships ---

    def member(self, org_id: int, user_id: int) -> MemberRecord | None:
        row = self._one(
            f"""SELECT {USER_COLUMNS}, m.roles FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.org_id = ? AND m.user_id = ?""",
            (org_id, user_id),
        )
        return None if row is None else MemberRecord(UserRecord(*row[:-1]), decode_roles(row[-1]))

    def member_by_email(self, org_id: int, email: str) -> UserRecord | None:
        """The member of the org with this e-mail (ignoring case)."""
        row = self._one(
            f"""SELECT {USER_COLUMNS} FROM users u JOIN memberships m ON m.user_id = u.id
                WHERE u.email_key = ? AND m.org_id = ?""",
            (email_key(email), org_id),
        )
        return None if row is None else UserRecord(*row)

    def is_member(self, org_id: int, user_id: int) -> bool:
        found = self._one("SELECT 1 FROM memberships WHERE org_id = ? AND user_id = ?", (org_id, user_id))
        return found is not None

    def non_members(self, org_id: int, user_ids: Sequence[int]) -> list[int]:
        """The ids in `user_ids` that are not members of `org_id`."""
        members = {
            user_id
            for (user_id,) in self._all(
                "SELECT user_id FROM memberships WHERE org_id = ? "
                f"AND user_id IN ({placeholders(len(user_ids))})",
                (org_id, *user_ids),
            )
        }
        return [user_id for user_id in user_ids if user_id not in members]

    def add_member(self, org_id: int, user: UserRecord, roles: Sequence[str], now: str) -> MemberRecord:
        """Make `user` (not yet a member) a member of the org with `roles`."""
        encoded = encode_roles(roles)
        self._run(
            "INSERT INTO memberships (org_id, user_id, roles, added_at) VALUES (?, ?, ?, ?)",
            (org_id, user.id, encoded, now),
        )
        return MemberRecord(user, decode_roles(encoded))

    def set_member_roles(self, org_id: int, user_id: int, roles: Sequence[str]) -> MemberRecord:
        self._run(
            "UPDATE memberships SET roles = ? WHERE org_id = ? AND user_id = ?",
            (encode_roles(roles), org_id, user_id),
        )
        return read_back(self.member(org_id, user_id))

    def delete_memberships(self, org_id: int, user_ids: Sequence[int]) -> None:
        self._run_many(
            "DELETE FROM memberships WHERE org_id = ? AND user_id = ?", [(org_id, u) for u in user_ids]
        )

    def count_members(self, org_id: int) -> int:
        count: int = self._scalar("SELECT COUNT(*) FROM memberships WHERE org_id = ?", (org_id,))
        return count

    def members_page(self, org_id: int, limit: int, offset: int) -> list[MemberRecord]:
        rows = self._all(
            f"""SELECT {USER_COLUMNS}, m.roles FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.org_id = ? ORDER BY m.user_id LIMIT ? OFFSET ?""",
            (org_id, limit, offset),
        )
        return [MemberRecord(UserRecord(*row[:-1]), decode_roles(row[-1])) for row in rows]
