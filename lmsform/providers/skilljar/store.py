"""SQLite persistence for the Skilljar emulator.

One database file holds one emulator state. The HTTP server is threaded, so the store keeps a single
connection guarded by a re-entrant lock; the emulator wraps each request in `transaction()` so a
failed request never leaves partial writes. Reopening the same file keeps every row.

Each table gets a record type and a few small methods, one per operation; later tables (courses,
publications, enrollments, webhooks) follow the same pattern.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

SCHEMA_VERSION = 1
ID_LENGTH = 13
_ID_ALPHABET = string.ascii_lowercase + string.digits

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS domains (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        catalog_title TEXT NOT NULL DEFAULT '',
        access TEXT NOT NULL DEFAULT 'PUBLIC',
        access_code_message_html TEXT NOT NULL DEFAULT '',
        marketing_message TEXT NOT NULL DEFAULT ''
    )""",
    # email_key is the lower-cased e-mail: uniqueness and lookups ignore case, `email` keeps the original.
    """CREATE TABLE IF NOT EXISTS users (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        first_name TEXT NOT NULL DEFAULT '',
        last_name TEXT NOT NULL DEFAULT '',
        signed_up_at TEXT NOT NULL,
        inactive_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS domain_users (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        user_id TEXT NOT NULL REFERENCES users(id),
        active INTEGER NOT NULL,
        marketing_optin INTEGER,
        enrolled_at TEXT NOT NULL,
        expires_at TEXT,
        UNIQUE (domain_name, user_id)
    )""",
    # GROUPS is an SQL keyword (window frames), hence the table name.
    """CREATE TABLE IF NOT EXISTS student_groups (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        discount_percent INTEGER,
        group_category_id TEXT,
        sign_up_field_rule TEXT NOT NULL,
        rule_email_domains TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS group_users (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id TEXT NOT NULL REFERENCES student_groups(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL,
        UNIQUE (group_id, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS group_users_by_user ON group_users(user_id)",
    "CREATE INDEX IF NOT EXISTS domain_users_by_user ON domain_users(user_id)",
)

T = TypeVar("T")


def new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and `Z`, e.g. `2015-01-29T00:22:00.590250Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))


def email_key(email: str) -> str:
    return email.lower()


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Which rows of a list to return, in creation order; `limit=None` means all of them."""

    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class Slice(Generic[T]):
    """The rows inside a window, and how many rows match in total."""

    total: int
    items: list[T]


@dataclass(frozen=True)
class DomainRecord:
    id: str
    name: str
    catalog_title: str
    access: str
    access_code_message_html: str
    marketing_message: str


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    first_name: str
    last_name: str
    signed_up_at: str
    inactive_at: str | None


@dataclass(frozen=True)
class DomainUserRecord:
    domain_name: str
    user: UserRecord
    active: bool
    marketing_optin: bool | None
    enrolled_at: str
    expires_at: str | None


@dataclass(frozen=True)
class GroupRecord:
    id: str
    name: str
    user_count: int
    discount_percent: int | None
    group_category_id: str | None
    sign_up_field_rule: dict[str, Any]
    rule_email_domains: list[str]


@dataclass(frozen=True)
class GroupMemberRecord:
    group_id: str
    user: UserRecord
    created_at: str


@dataclass(frozen=True)
class DomainUserFilter:
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class UserFilter:
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_inactive: bool | None = None


@dataclass
class _Conditions:
    """WHERE clauses and their parameters, built up one filter at a time."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"


_USER_COLUMNS = "u.id, u.email, u.first_name, u.last_name, u.signed_up_at, u.inactive_at"
_GROUP_COLUMNS = (
    "g.id, g.name, (SELECT COUNT(*) FROM group_users gu WHERE gu.group_id = g.id) AS user_count, "
    "g.discount_percent, g.group_category_id, g.sign_up_field_rule, g.rule_email_domains"
)
_UPDATABLE_USER_COLUMNS = frozenset({"email", "first_name", "last_name", "inactive_at"})
_UPDATABLE_DOMAIN_USER_COLUMNS = frozenset({"active", "expires_at"})
_UPDATABLE_GROUP_COLUMNS = frozenset({"name", "discount_percent", "group_category_id", "sign_up_field_rule"})
# State-dump keys and the tables behind them.
_DUMPED_TABLES = {
    "domains": "domains",
    "users": "users",
    "domain_users": "domain_users",
    "groups": "student_groups",
    "group_users": "group_users",
}


def _user_from_row(row: Sequence[Any], start: int = 0) -> UserRecord:
    return UserRecord(*row[start : start + 6])


def _group_from_row(row: Sequence[Any]) -> GroupRecord:
    return GroupRecord(
        id=row[0],
        name=row[1],
        user_count=row[2],
        discount_percent=row[3],
        group_category_id=row[4],
        sign_up_field_rule=json.loads(row[5]),
        rule_email_domains=json.loads(row[6]),
    )


def _limit_clause(window: Window) -> tuple[str, list[int]]:
    return " LIMIT ? OFFSET ?", [-1 if window.limit is None else window.limit, window.offset]


def _set_clause(changes: Mapping[str, Any], allowed: frozenset[str]) -> str:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return ", ".join(f"{column} = ?" for column in changes)


class SkilljarStore:
    """All emulator state in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        # WAL with NORMAL sync is durable across process restarts and far faster than the defaults.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        with self.transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.transaction():
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction():
            return self._db.execute(sql, params).fetchall()

    def _slice(
        self,
        columns: str,
        source: str,
        where: _Conditions,
        order_by: str,
        window: Window,
        convert: Callable[[Sequence[Any]], T],
    ) -> Slice[T]:
        """One window of a filtered list, with the count of the whole list."""
        with self.transaction():
            total = self._one(f"SELECT COUNT(*) FROM {source} WHERE {where.sql}", where.params)[0]
            limit, params = _limit_clause(window)
            rows = self._all(
                f"SELECT {columns} FROM {source} WHERE {where.sql} ORDER BY {order_by}{limit}",
                [*where.params, *params],
            )
            return Slice(total, [convert(row) for row in rows])

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.transaction():
            return self._db.execute(sql, params).rowcount

    # --- domains --------------------------------------------------------------------------------

    def ensure_domain(self, name: str) -> DomainRecord:
        with self.transaction():
            existing = self.get_domain(name)
            if existing is not None:
                return existing
            self._run("INSERT INTO domains (id, name) VALUES (?, ?)", (new_id(), name))
            created = self.get_domain(name)
            assert created is not None
            return created

    def get_domain(self, name: str) -> DomainRecord | None:
        row = self._one(
            "SELECT id, name, catalog_title, access, access_code_message_html, marketing_message "
            "FROM domains WHERE name = ?",
            (name,),
        )
        return None if row is None else DomainRecord(*row)

    def list_domains(self, window: Window = Window()) -> Slice[DomainRecord]:
        columns = "id, name, catalog_title, access, access_code_message_html, marketing_message"
        return self._slice(columns, "domains", _Conditions(), "seq", window, lambda row: DomainRecord(*row))

    # --- global users ---------------------------------------------------------------------------

    def get_user(self, user_id: str) -> UserRecord | None:
        row = self._one(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
        return None if row is None else _user_from_row(row)

    def find_user_by_email(self, email: str) -> UserRecord | None:
        row = self._one(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.email_key = ?", (email_key(email),))
        return None if row is None else _user_from_row(row)

    def create_user(self, email: str, first_name: str = "", last_name: str = "") -> UserRecord:
        user_id = new_id()
        with self.transaction():
            self._run(
                "INSERT INTO users (id, email, email_key, first_name, last_name, signed_up_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, email, email_key(email), first_name, last_name, now_timestamp()),
            )
            created = self.get_user(user_id)
            assert created is not None
            return created

    def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord | None:
        """Apply column changes (`email`, `first_name`, `last_name`, `inactive_at`); None if unknown."""
        with self.transaction():
            if changes:
                columns = dict(changes)
                assignments = _set_clause(columns, _UPDATABLE_USER_COLUMNS)
                params = list(columns.values())
                if "email" in columns:
                    assignments += ", email_key = ?"
                    params.append(email_key(columns["email"]))
                self._run(f"UPDATE users SET {assignments} WHERE id = ?", (*params, user_id))
            return self.get_user(user_id)

    def list_users(self, filters: UserFilter = UserFilter(), window: Window = Window()) -> Slice[UserRecord]:
        """Users registered on at least one domain, as the vendor's global user list shows them."""
        where = _Conditions()
        where.add("EXISTS (SELECT 1 FROM domain_users du WHERE du.user_id = u.id)")
        if filters.email is not None:
            where.add("u.email_key = ?", email_key(filters.email))
        if filters.first_name is not None:
            where.add("u.first_name = ?", filters.first_name)
        if filters.last_name is not None:
            where.add("u.last_name = ?", filters.last_name)
        if filters.is_inactive is not None:
            where.add("u.inactive_at IS NOT NULL" if filters.is_inactive else "u.inactive_at IS NULL")
        return self._slice(_USER_COLUMNS, "users u", where, "u.seq", window, _user_from_row)

    # --- domain users (a user's membership of a domain) -----------------------------------------

    _DOMAIN_USER_COLUMNS = (
        f"du.domain_name, {_USER_COLUMNS}, du.active, du.marketing_optin, du.enrolled_at, du.expires_at"
    )
    _DOMAIN_USER_SOURCE = "domain_users du JOIN users u ON u.id = du.user_id"
    _DOMAIN_USER_SELECT = f"SELECT {_DOMAIN_USER_COLUMNS} FROM {_DOMAIN_USER_SOURCE} "

    @staticmethod
    def _domain_user_from_row(row: Sequence[Any]) -> DomainUserRecord:
        return DomainUserRecord(
            domain_name=row[0],
            user=_user_from_row(row, 1),
            active=bool(row[7]),
            marketing_optin=None if row[8] is None else bool(row[8]),
            enrolled_at=row[9],
            expires_at=row[10],
        )

    def get_domain_user(self, domain_name: str, user_id: str) -> DomainUserRecord | None:
        row = self._one(
            self._DOMAIN_USER_SELECT + "WHERE du.domain_name = ? AND du.user_id = ?", (domain_name, user_id)
        )
        return None if row is None else self._domain_user_from_row(row)

    def create_domain_user(
        self,
        domain_name: str,
        user_id: str,
        *,
        active: bool = True,
        marketing_optin: bool | None = None,
        expires_at: str | None = None,
    ) -> DomainUserRecord:
        with self.transaction():
            self._run(
                "INSERT INTO domain_users "
                "(domain_name, user_id, active, marketing_optin, enrolled_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (domain_name, user_id, active, marketing_optin, now_timestamp(), expires_at),
            )
            created = self.get_domain_user(domain_name, user_id)
            assert created is not None
            return created

    def update_domain_user(
        self, domain_name: str, user_id: str, changes: Mapping[str, Any]
    ) -> DomainUserRecord | None:
        """Apply column changes (`active`, `expires_at`); None if the user is not on the domain."""
        with self.transaction():
            if changes:
                assignments = _set_clause(changes, _UPDATABLE_DOMAIN_USER_COLUMNS)
                self._run(
                    f"UPDATE domain_users SET {assignments} WHERE domain_name = ? AND user_id = ?",
                    (*changes.values(), domain_name, user_id),
                )
            return self.get_domain_user(domain_name, user_id)

    def list_domain_users(
        self, domain_name: str, filters: DomainUserFilter = DomainUserFilter(), window: Window = Window()
    ) -> Slice[DomainUserRecord]:
        where = _Conditions()
        where.add("du.domain_name = ?", domain_name)
        if filters.email is not None:
            where.add("u.email_key = ?", email_key(filters.email))
        if filters.first_name is not None:
            where.add("u.first_name = ?", filters.first_name)
        if filters.last_name is not None:
            where.add("u.last_name = ?", filters.last_name)
        if filters.active is not None:
            where.add("du.active = ?", filters.active)
        return self._slice(
            self._DOMAIN_USER_COLUMNS,
            self._DOMAIN_USER_SOURCE,
            where,
            "du.seq",
            window,
            self._domain_user_from_row,
        )

    # --- groups ---------------------------------------------------------------------------------

    def get_group(self, group_id: str) -> GroupRecord | None:
        row = self._one(f"SELECT {_GROUP_COLUMNS} FROM student_groups g WHERE g.id = ?", (group_id,))
        return None if row is None else _group_from_row(row)

    def find_group_by_name(self, name: str) -> GroupRecord | None:
        row = self._one(f"SELECT {_GROUP_COLUMNS} FROM student_groups g WHERE g.name = ?", (name,))
        return None if row is None else _group_from_row(row)

    def create_group(
        self,
        name: str,
        *,
        discount_percent: int | None = None,
        group_category_id: str | None = None,
        sign_up_field_rule: Mapping[str, Any],
        rule_email_domains: Sequence[str] = (),
    ) -> GroupRecord:
        group_id = new_id()
        with self.transaction():
            self._run(
                "INSERT INTO student_groups (id, name, discount_percent, group_category_id, "
                "sign_up_field_rule, rule_email_domains, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    group_id,
                    name,
                    discount_percent,
                    group_category_id,
                    json.dumps(sign_up_field_rule),
                    json.dumps(list(rule_email_domains)),
                    now_timestamp(),
                ),
            )
            created = self.get_group(group_id)
            assert created is not None
            return created

    def update_group(self, group_id: str, changes: Mapping[str, Any]) -> GroupRecord | None:
        """Apply column changes (`name`, `discount_percent`, `group_category_id`, `sign_up_field_rule`)."""
        with self.transaction():
            if changes:
                columns = dict(changes)
                if "sign_up_field_rule" in columns:
                    columns["sign_up_field_rule"] = json.dumps(columns["sign_up_field_rule"])
                assignments = _set_clause(columns, _UPDATABLE_GROUP_COLUMNS)
                self._run(
                    f"UPDATE student_groups SET {assignments} WHERE id = ?", (*columns.values(), group_id)
                )
            return self.get_group(group_id)

    def delete_group(self, group_id: str) -> bool:
        """Delete the group and all its memberships; False if there was no such group."""
        with self.transaction():
            self._run("DELETE FROM group_users WHERE group_id = ?", (group_id,))
            return self._run("DELETE FROM student_groups WHERE id = ?", (group_id,)) > 0

    def list_groups(self, name: str | None = None, window: Window = Window()) -> Slice[GroupRecord]:
        where = _Conditions()
        if name is not None:
            where.add("g.name = ?", name)
        return self._slice(_GROUP_COLUMNS, "student_groups g", where, "g.seq", window, _group_from_row)

    # --- group memberships ----------------------------------------------------------------------

    _MEMBER_COLUMNS = f"gu.group_id, {_USER_COLUMNS}, gu.created_at"
    _MEMBER_SOURCE = "group_users gu JOIN users u ON u.id = gu.user_id"
    _MEMBER_SELECT = f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_SOURCE} "

    @staticmethod
    def _member_from_row(row: Sequence[Any]) -> GroupMemberRecord:
        return GroupMemberRecord(group_id=row[0], user=_user_from_row(row, 1), created_at=row[7])

    def get_group_member(self, group_id: str, user_id: str) -> GroupMemberRecord | None:
        row = self._one(self._MEMBER_SELECT + "WHERE gu.group_id = ? AND gu.user_id = ?", (group_id, user_id))
        return None if row is None else self._member_from_row(row)

    def add_group_member(self, group_id: str, user_id: str) -> GroupMemberRecord:
        with self.transaction():
            self._run(
                "INSERT INTO group_users (group_id, user_id, created_at) VALUES (?, ?, ?)",
                (group_id, user_id, now_timestamp()),
            )
            created = self.get_group_member(group_id, user_id)
            assert created is not None
            return created

    def remove_group_member(self, group_id: str, user_id: str) -> bool:
        return (
            self._run("DELETE FROM group_users WHERE group_id = ? AND user_id = ?", (group_id, user_id)) > 0
        )

    def list_group_members(self, group_id: str, window: Window = Window()) -> Slice[GroupMemberRecord]:
        where = _Conditions()
        where.add("gu.group_id = ?", group_id)
        return self._slice(
            self._MEMBER_COLUMNS, self._MEMBER_SOURCE, where, "gu.seq", window, self._member_from_row
        )

    # --- whole-state operations (test hooks) ----------------------------------------------------

    def reset(self) -> None:
        """Remove every row except the domains."""
        with self.transaction():
            for table in ("group_users", "student_groups", "domain_users", "users"):
                self._run(f"DELETE FROM {table}")

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every table's rows in creation order, as plain JSON-ready dicts."""
        with self.transaction():
            return {key: self._dump_table(table) for key, table in _DUMPED_TABLES.items()}

    def _dump_table(self, table: str) -> list[dict[str, Any]]:
        cursor = self._db.execute(f"SELECT * FROM {table} ORDER BY seq")
        columns = [description[0] for description in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            del row["seq"]
            _decode_dumped_row(row)
        return rows


_BOOLEAN_COLUMNS = frozenset({"active", "marketing_optin"})
_JSON_COLUMNS = frozenset({"sign_up_field_rule", "rule_email_domains"})


def _decode_dumped_row(row: dict[str, Any]) -> None:
    row.pop("email_key", None)
    for column in _BOOLEAN_COLUMNS & row.keys():
        if row[column] is not None:
            row[column] = bool(row[column])
    for column in _JSON_COLUMNS & row.keys():
        row[column] = json.loads(row[column])
