"""Users in SQLite.

`user_name_key` is the case-folded `userName`: it carries the uniqueness rule (damstra.md U6) and the
`userName` merge of bulk import. `roles` is a JSON array kept sorted without repeats. Passwords are
stored salted and hashed (U15) and never leave the store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.damstra.emulator.base_store import Database
from lmsform.providers.emulation.sqlite import Conditions, TableDump, placeholders, read_back

ACTIVE_STATUS = 56
INACTIVE_STATUS = 57

USER_TABLES = (
    """CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY,
        user_name TEXT NOT NULL,
        user_name_key TEXT NOT NULL UNIQUE,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        email_address TEXT NOT NULL,
        phone_number TEXT NOT NULL DEFAULT '',
        mobile_number TEXT NOT NULL DEFAULT '',
        employee_number TEXT NOT NULL DEFAULT '',
        password_hash TEXT,
        roles TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        client_status_id INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        last_logged_in_at TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS users_by_employee_number ON users(employee_number)",
)
USER_DUMPS = (
    TableDump(
        "users",
        "users",
        order_by="id",
        json_columns=frozenset({"roles"}),
        hidden=frozenset({"password_hash", "user_name_key"}),
    ),
)

_UPDATABLE = frozenset(
    {
        "user_name",
        "first_name",
        "last_name",
        "email_address",
        "phone_number",
        "mobile_number",
        "employee_number",
        "password_hash",
        "roles",
        "time_zone",
        "client_status_id",
        "modified_at",
    }
)
_COLUMNS = (
    "id, user_name, first_name, last_name, email_address, phone_number, mobile_number, employee_number, "
    "password_hash, roles, time_zone, client_status_id, created_at, modified_at, last_logged_in_at"
)


def user_name_key(user_name: str) -> str:
    return user_name.casefold()


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    return f"{salt}${_digest(salt, password)}"


def password_matches(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        return False
    salt, _, digest = password_hash.partition("$")
    return hmac.compare_digest(digest, _digest(salt, password))


def _digest(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


@dataclass(frozen=True)
class UserRecord:
    id: int
    user_name: str
    first_name: str
    last_name: str
    email_address: str
    phone_number: str
    mobile_number: str
    employee_number: str
    password_hash: str | None
    roles: tuple[int, ...]
    time_zone: str
    client_status_id: int
    created_at: str
    modified_at: str
    last_logged_in_at: str | None

    @property
    def active(self) -> bool:
        return self.client_status_id == ACTIVE_STATUS

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _user_from_row(row: Sequence[Any]) -> UserRecord:
    values = list(row)
    values[9] = tuple(json.loads(values[9]))
    return UserRecord(*values)


def encode_roles(roles: Sequence[int]) -> str:
    return json.dumps(sorted(set(roles)))


@dataclass(frozen=True)
class UserFilter:
    """`GET /user` filters, combined with AND (damstra.md U5)."""

    text: str | None = None
    """Case-insensitive substring of userName, firstName or lastName (U3)."""
    email_address: str | None = None
    """Exact, ignoring case (U4)."""
    employee_number: str | None = None
    """Exact, case-sensitive (U4)."""
    role_id: int | None = None
    status_ids: tuple[int, ...] = (ACTIVE_STATUS,)


def _where(user_filter: UserFilter) -> Conditions:
    where = Conditions()
    where.add(f"client_status_id IN ({placeholders(len(user_filter.status_ids))})", *user_filter.status_ids)
    if user_filter.text is not None:
        needle = user_filter.text.casefold()
        where.add(
            "(instr(casefold(user_name), ?) OR instr(casefold(first_name), ?) "
            "OR instr(casefold(last_name), ?))",
            needle,
            needle,
            needle,
        )
    if user_filter.email_address is not None:
        where.add("casefold(email_address) = ?", user_filter.email_address.casefold())
    if user_filter.employee_number is not None:
        where.add("employee_number = ?", user_filter.employee_number)
    if user_filter.role_id is not None:
        where.add("EXISTS (SELECT 1 FROM json_each(users.roles) WHERE value = ?)", user_filter.role_id)
    return where


class UserStore(Database):
    def insert_user(self, user_id: int, columns: Mapping[str, Any]) -> UserRecord:
        self._insert(
            "users", {"id": user_id, **columns, "user_name_key": user_name_key(columns["user_name"])}
        )
        return self.require_user(user_id)

    def get_user(self, user_id: int) -> UserRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,))
        return None if row is None else _user_from_row(row)

    def require_user(self, user_id: int) -> UserRecord:
        return read_back(self.get_user(user_id))

    def get_users(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        rows = self._all(
            f"SELECT {_COLUMNS} FROM users WHERE id IN ({placeholders(len(user_ids))})", tuple(user_ids)
        )
        return {user.id: user for user in map(_user_from_row, rows)}

    def find_users(
        self, user_filter: UserFilter, offset: int = 0, limit: int = -1
    ) -> tuple[int, list[UserRecord]]:
        """How many users match, and the matching users from `offset` on (at most `limit`), by id."""
        where = _where(user_filter)
        with self.transaction():
            total = self._count(f"SELECT id FROM users WHERE {where.sql}", where.params)
            rows = self._all(
                f"SELECT {_COLUMNS} FROM users WHERE {where.sql} ORDER BY id LIMIT ? OFFSET ?",
                [*where.params, limit, offset],
            )
        return total, [_user_from_row(row) for row in rows]

    def users_matching(self, user_filter: UserFilter) -> list[UserRecord]:
        return self.find_users(user_filter)[1]

    def user_by_user_name(self, user_name: str) -> UserRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM users WHERE user_name_key = ?", (user_name_key(user_name),))
        return None if row is None else _user_from_row(row)

    def update_user(self, user_id: int, changes: Mapping[str, Any]) -> UserRecord:
        values = dict(changes)
        if "user_name" in values:
            values["user_name_key"] = user_name_key(values["user_name"])
        self._update("users", values, _UPDATABLE | {"user_name_key"}, {"id": user_id})
        return self.require_user(user_id)

    def delete_users_except(self, user_id: int | None) -> None:
        self._run("DELETE FROM users WHERE id IS NOT ?", (user_id,))
