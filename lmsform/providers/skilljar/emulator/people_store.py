"""Domains, users, domain memberships, groups and group memberships in SQLite."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lmsform.providers.emulation.sqlite import Conditions, read_back
from lmsform.providers.skilljar.emulator.base_store import (
    ALL_ROWS,
    Database,
    Slice,
    Window,
    new_id,
    now_timestamp,
    table_dump,
)

PEOPLE_TABLES = (
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
    # A domain's sign-up fields, set up in the dashboard (the API only lists them); `options` is a
    # JSON list of {id, value} for pick-lists.
    """CREATE TABLE IF NOT EXISTS signup_fields (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        type TEXT NOT NULL,
        label TEXT NOT NULL,
        required INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1,
        sort_order INTEGER NOT NULL DEFAULT 0,
        options TEXT NOT NULL DEFAULT '[]'
    )""",
    """CREATE TABLE IF NOT EXISTS signup_values (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        domain_name TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id),
        signup_field_id TEXT NOT NULL REFERENCES signup_fields(id),
        value TEXT NOT NULL,
        UNIQUE (domain_name, user_id, signup_field_id)
    )""",
    """CREATE TABLE IF NOT EXISTS access_code_pools (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        name TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE IF NOT EXISTS access_codes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        pool_id TEXT NOT NULL REFERENCES access_code_pools(id),
        code TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    )""",
    # The code a member joined with (a table of its own, so older state files gain it).
    """CREATE TABLE IF NOT EXISTS domain_user_access_codes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        domain_name TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id),
        access_code_id TEXT NOT NULL REFERENCES access_codes(id),
        UNIQUE (domain_name, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS group_users_by_user ON group_users(user_id)",
    "CREATE INDEX IF NOT EXISTS domain_users_by_user ON domain_users(user_id)",
    "CREATE INDEX IF NOT EXISTS domain_users_in_order ON domain_users(domain_name, seq)",
)
# Children before parents, so deleting in this order never trips a foreign key.
PEOPLE_RESET_ORDER = (
    "signup_values",
    "domain_user_access_codes",
    "access_codes",
    "access_code_pools",
    "signup_fields",
    "group_users",
    "student_groups",
    "domain_users",
    "users",
)
PEOPLE_DUMPS = (
    table_dump("domains", "domains"),
    table_dump("users", "users", hidden=frozenset({"email_key"})),
    table_dump("domain_users", "domain_users", booleans=frozenset({"active", "marketing_optin"})),
    table_dump(
        "groups", "student_groups", json_columns=frozenset({"sign_up_field_rule", "rule_email_domains"})
    ),
    table_dump("group_users", "group_users"),
    table_dump(
        "signup_fields",
        "signup_fields",
        booleans=frozenset({"required", "active"}),
        json_columns=frozenset({"options"}),
    ),
    table_dump("signup_values", "signup_values"),
    table_dump("access_code_pools", "access_code_pools", booleans=frozenset({"active"})),
    table_dump("access_codes", "access_codes", booleans=frozenset({"active"})),
    table_dump("domain_user_access_codes", "domain_user_access_codes"),
)


def email_key(email: str) -> str:
    return email.lower()


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
class AccessCodeRecord:
    id: str
    code: str
    active: bool
    pool_id: str
    pool_name: str


@dataclass(frozen=True)
class SignupFieldRecord:
    id: str
    type: str
    label: str
    required: bool
    active: bool
    order: int
    options: list[dict[str, str]]


@dataclass(frozen=True)
class SignupValueRecord:
    field: SignupFieldRecord
    value: str


@dataclass(frozen=True)
class DomainUserRecord:
    domain_name: str
    user: UserRecord
    active: bool
    marketing_optin: bool | None
    enrolled_at: str
    expires_at: str | None
    access_code: AccessCodeRecord | None = None
    signup_values: tuple[SignupValueRecord, ...] = ()


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
class PersonFilter:
    """The filters both user lists take: e-mail (ignoring case), first and last name (exact)."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def add_to(self, where: Conditions) -> None:
        if self.email is not None:
            where.add("u.email_key = ?", email_key(self.email))
        if self.first_name is not None:
            where.add("u.first_name = ?", self.first_name)
        if self.last_name is not None:
            where.add("u.last_name = ?", self.last_name)


@dataclass(frozen=True)
class DomainUserFilter(PersonFilter):
    active: bool | None = None
    without_access_code: bool = False
    access_code: str | None = None
    access_code_id: str | None = None
    access_code_pool_id: str | None = None
    signup_field_id: str | None = None
    signup_field_label: str | None = None
    signup_field_value: str | None = None

    def add_membership_filters(self, where: Conditions) -> None:
        """The filters on the code a member joined with and on their sign-up field values."""
        code = "SELECT 1 FROM domain_user_access_codes dc JOIN access_codes c ON c.id = dc.access_code_id "
        code += "WHERE dc.domain_name = du.domain_name AND dc.user_id = du.user_id"
        if self.without_access_code:
            where.add(f"NOT EXISTS ({code})")
        for clause, value in (
            (" AND c.code = ?", self.access_code),
            (" AND c.id = ?", self.access_code_id and self.access_code_id.lower()),
            (" AND c.pool_id = ?", self.access_code_pool_id and self.access_code_pool_id.lower()),
        ):
            if value is not None:
                where.add(f"EXISTS ({code}{clause})", value)
        value_clauses = [
            (clause, value)
            for clause, value in (
                (" AND f.id = ?", self.signup_field_id),
                (" AND f.label = ?", self.signup_field_label),
                (" AND v.value = ?", self.signup_field_value),
            )
            if value is not None
        ]
        if value_clauses:
            values = "SELECT 1 FROM signup_values v JOIN signup_fields f ON f.id = v.signup_field_id "
            values += "WHERE v.domain_name = du.domain_name AND v.user_id = du.user_id"
            where.add(
                f"EXISTS ({values}{''.join(clause for clause, _ in value_clauses)})",
                *(value for _, value in value_clauses),
            )


@dataclass(frozen=True)
class UserFilter(PersonFilter):
    is_inactive: bool | None = None


USER_COLUMNS = "u.id, u.email, u.first_name, u.last_name, u.signed_up_at, u.inactive_at"
"""The columns `user_from_row` reads, for any query that joins `users u`."""
USER_COLUMN_COUNT = 6

_DOMAIN_COLUMNS = "id, name, catalog_title, access, access_code_message_html, marketing_message"
_GROUP_COLUMNS = (
    "g.id, g.name, (SELECT COUNT(*) FROM group_users gu WHERE gu.group_id = g.id) AS user_count, "
    "g.discount_percent, g.group_category_id, g.sign_up_field_rule, g.rule_email_domains"
)
_UPDATABLE_USER_COLUMNS = frozenset({"email", "first_name", "last_name", "inactive_at"})
_UPDATABLE_DOMAIN_USER_COLUMNS = frozenset({"active", "expires_at"})
_UPDATABLE_GROUP_COLUMNS = frozenset({"name", "discount_percent", "group_category_id", "sign_up_field_rule"})


_SIGNUP_FIELD_COLUMNS = "f.id, f.type, f.label, f.required, f.active, f.sort_order, f.options"
_ACCESS_CODE_SELECT = (
    "SELECT c.id, c.code, c.active, p.id, p.name FROM access_codes c "
    "JOIN access_code_pools p ON p.id = c.pool_id"
)


def _signup_field_from_row(row: Sequence[Any]) -> SignupFieldRecord:
    return SignupFieldRecord(
        id=row[0],
        type=row[1],
        label=row[2],
        required=bool(row[3]),
        active=bool(row[4]),
        order=row[5],
        options=json.loads(row[6]),
    )


def user_from_row(row: Sequence[Any], start: int = 0) -> UserRecord:
    return UserRecord(*row[start : start + USER_COLUMN_COUNT])


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


class PeopleStore(Database):
    """Domains, users and groups, and who belongs to which."""

    # --- domains --------------------------------------------------------------------------------

    def ensure_domain(self, name: str) -> DomainRecord:
        with self.transaction():
            existing = self.get_domain(name)
            if existing is not None:
                return existing
            self._run("INSERT INTO domains (id, name) VALUES (?, ?)", (new_id(), name))
            return read_back(self.get_domain(name))

    def get_domain(self, name: str) -> DomainRecord | None:
        row = self._one(f"SELECT {_DOMAIN_COLUMNS} FROM domains WHERE name = ?", (name,))
        return None if row is None else DomainRecord(*row)

    def list_domains(self, window: Window = ALL_ROWS) -> Slice[DomainRecord]:
        return self._slice(
            _DOMAIN_COLUMNS, "domains", Conditions(), "seq", window, lambda row: DomainRecord(*row)
        )

    # --- global users ---------------------------------------------------------------------------

    def get_user(self, user_id: str) -> UserRecord | None:
        row = self._one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
        return None if row is None else user_from_row(row)

    def find_user_by_email(self, email: str) -> UserRecord | None:
        row = self._one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.email_key = ?", (email_key(email),))
        return None if row is None else user_from_row(row)

    def create_user(self, email: str, first_name: str = "", last_name: str = "") -> UserRecord:
        user_id = new_id()
        with self.transaction():
            self._run(
                "INSERT INTO users (id, email, email_key, first_name, last_name, signed_up_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, email, email_key(email), first_name, last_name, now_timestamp()),
            )
            return read_back(self.get_user(user_id))

    def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord | None:
        """Apply column changes (`email`, `first_name`, `last_name`, `inactive_at`); None if unknown."""
        with self.transaction():
            columns = dict(changes)
            if "email" in columns:
                columns["email_key"] = email_key(columns["email"])
            self._update("users", columns, _UPDATABLE_USER_COLUMNS | {"email_key"}, {"id": user_id})
            return self.get_user(user_id)

    def list_users(self, filters: UserFilter = UserFilter(), window: Window = ALL_ROWS) -> Slice[UserRecord]:
        """Users registered on at least one domain, as the vendor's global user list shows them."""
        where = Conditions()
        where.add("EXISTS (SELECT 1 FROM domain_users du WHERE du.user_id = u.id)")
        filters.add_to(where)
        if filters.is_inactive is not None:
            where.add("u.inactive_at IS NOT NULL" if filters.is_inactive else "u.inactive_at IS NULL")
        return self._slice(USER_COLUMNS, "users u", where, "u.seq", window, user_from_row)

    # --- domain users (a user's membership of a domain) -----------------------------------------

    _DOMAIN_USER_COLUMNS = (
        f"du.domain_name, {USER_COLUMNS}, du.active, du.marketing_optin, du.enrolled_at, du.expires_at"
    )
    _DOMAIN_USER_SOURCE = "domain_users du JOIN users u ON u.id = du.user_id"
    _DOMAIN_USER_SELECT = f"SELECT {_DOMAIN_USER_COLUMNS} FROM {_DOMAIN_USER_SOURCE} "

    @staticmethod
    def _domain_user_from_row(row: Sequence[Any]) -> DomainUserRecord:
        return DomainUserRecord(
            domain_name=row[0],
            user=user_from_row(row, 1),
            active=bool(row[7]),
            marketing_optin=None if row[8] is None else bool(row[8]),
            enrolled_at=row[9],
            expires_at=row[10],
        )

    def get_domain_user(self, domain_name: str, user_id: str) -> DomainUserRecord | None:
        row = self._one(
            self._DOMAIN_USER_SELECT + "WHERE du.domain_name = ? AND du.user_id = ?", (domain_name, user_id)
        )
        return None if row is None else self._with_access(self._domain_user_from_row(row))

    def _with_access(self, membership: DomainUserRecord) -> DomainUserRecord:
        """The member with the code they joined with and their sign-up field values."""
        key = (membership.domain_name, membership.user.id)
        row = self._one(
            "SELECT c.id, c.code, c.active, p.id, p.name FROM domain_user_access_codes dc "
            "JOIN access_codes c ON c.id = dc.access_code_id JOIN access_code_pools p ON p.id = c.pool_id "
            "WHERE dc.domain_name = ? AND dc.user_id = ?",
            key,
        )
        code = None if row is None else AccessCodeRecord(row[0], row[1], bool(row[2]), row[3], row[4])
        values = tuple(
            SignupValueRecord(_signup_field_from_row(row[:-1]), row[-1])
            for row in self._all(
                f"SELECT {_SIGNUP_FIELD_COLUMNS}, v.value FROM signup_values v "
                "JOIN signup_fields f ON f.id = v.signup_field_id "
                "WHERE v.domain_name = ? AND v.user_id = ? ORDER BY f.sort_order, f.seq",
                key,
            )
        )
        return replace(membership, access_code=code, signup_values=values)

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
            return read_back(self.get_domain_user(domain_name, user_id))

    def update_domain_user(
        self, domain_name: str, user_id: str, changes: Mapping[str, Any]
    ) -> DomainUserRecord | None:
        """Apply column changes (`active`, `expires_at`); None if the user is not on the domain."""
        with self.transaction():
            key = {"domain_name": domain_name, "user_id": user_id}
            self._update("domain_users", changes, _UPDATABLE_DOMAIN_USER_COLUMNS, key)
            return self.get_domain_user(domain_name, user_id)

    def list_domain_users(
        self, domain_name: str, filters: DomainUserFilter = DomainUserFilter(), window: Window = ALL_ROWS
    ) -> Slice[DomainUserRecord]:
        where = Conditions()
        where.add("du.domain_name = ?", domain_name)
        filters.add_to(where)
        if filters.active is not None:
            where.add("du.active = ?", filters.active)
        filters.add_membership_filters(where)
        rows = self._slice(
            self._DOMAIN_USER_COLUMNS,
            self._DOMAIN_USER_SOURCE,
            where,
            "du.seq",
            window,
            self._domain_user_from_row,
        )
        return Slice(rows.total, [self._with_access(row) for row in rows.items])

    def set_access_code(self, domain_name: str, user_id: str, access_code_id: str | None) -> None:
        """Record the code the member joined with; None takes it away."""
        with self.transaction():
            self._run(
                "DELETE FROM domain_user_access_codes WHERE domain_name = ? AND user_id = ?",
                (domain_name, user_id),
            )
            if access_code_id is not None:
                self._run(
                    "INSERT INTO domain_user_access_codes (domain_name, user_id, access_code_id) "
                    "VALUES (?, ?, ?)",
                    (domain_name, user_id, access_code_id),
                )

    # --- sign-up fields and access codes (configured in the dashboard; seeded here) -------------

    def add_signup_field(
        self,
        domain_name: str,
        label: str,
        *,
        type_: str = "TEXT",
        required: bool = False,
        options: Sequence[str] = (),
    ) -> SignupFieldRecord:
        field_id = new_id()
        with self.transaction():
            order = self._scalar("SELECT COUNT(*) FROM signup_fields WHERE domain_name = ?", (domain_name,))
            self._run(
                "INSERT INTO signup_fields (id, domain_name, type, label, required, sort_order, options) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    field_id,
                    domain_name,
                    type_,
                    label,
                    required,
                    7000 + 10 * order,
                    json.dumps([{"id": new_id(), "value": value} for value in options]),
                ),
            )
            return read_back(self.get_signup_field(domain_name, field_id))

    def get_signup_field(self, domain_name: str, field_id: str) -> SignupFieldRecord | None:
        row = self._one(
            f"SELECT {_SIGNUP_FIELD_COLUMNS} FROM signup_fields f WHERE f.domain_name = ? AND f.id = ?",
            (domain_name, field_id),
        )
        return None if row is None else _signup_field_from_row(row)

    def find_signup_field(self, domain_name: str, label: str) -> SignupFieldRecord | None:
        row = self._one(
            f"SELECT {_SIGNUP_FIELD_COLUMNS} FROM signup_fields f WHERE f.domain_name = ? AND f.label = ?",
            (domain_name, label),
        )
        return None if row is None else _signup_field_from_row(row)

    def list_signup_fields(self, domain_name: str, window: Window = ALL_ROWS) -> Slice[SignupFieldRecord]:
        where = Conditions()
        where.add("f.domain_name = ?", domain_name)
        return self._slice(
            _SIGNUP_FIELD_COLUMNS,
            "signup_fields f",
            where,
            "f.sort_order, f.seq",
            window,
            _signup_field_from_row,
        )

    def set_signup_values(self, domain_name: str, user_id: str, values: Mapping[str, str]) -> list[str]:
        """Create or overwrite the member's values by field id; answers the ids whose value changed."""
        changed = []
        with self.transaction():
            for field_id, value in values.items():
                old = self._one(
                    "SELECT value FROM signup_values "
                    "WHERE domain_name = ? AND user_id = ? AND signup_field_id = ?",
                    (domain_name, user_id, field_id),
                )
                if old is not None and old[0] == value:
                    continue
                self._run(
                    "INSERT INTO signup_values (domain_name, user_id, signup_field_id, value) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (domain_name, user_id, signup_field_id) "
                    "DO UPDATE SET value = excluded.value",
                    (domain_name, user_id, field_id, value),
                )
                changed.append(field_id)
        return changed

    def add_access_code_pool(self, domain_name: str, name: str) -> str:
        pool_id = new_id()
        self._run(
            "INSERT INTO access_code_pools (id, domain_name, name) VALUES (?, ?, ?)",
            (pool_id, domain_name, name),
        )
        return pool_id

    def find_access_code_pool(self, domain_name: str, name: str) -> str | None:
        row = self._one(
            "SELECT id FROM access_code_pools WHERE domain_name = ? AND name = ?", (domain_name, name)
        )
        return None if row is None else str(row[0])

    def list_access_code_pools(
        self, domain_name: str, window: Window = ALL_ROWS
    ) -> Slice[tuple[str, str, bool]]:
        where = Conditions()
        where.add("domain_name = ?", domain_name)
        return self._slice(
            "id, name, active",
            "access_code_pools",
            where,
            "seq",
            window,
            lambda row: (row[0], row[1], bool(row[2])),
        )

    def add_access_code(self, pool_id: str, code: str) -> AccessCodeRecord:
        code_id = new_id()
        with self.transaction():
            self._run(
                "INSERT INTO access_codes (id, pool_id, code) VALUES (?, ?, ?)", (code_id, pool_id, code)
            )
            return read_back(self.get_access_code(code_id))

    def get_access_code(self, code_id: str) -> AccessCodeRecord | None:
        row = self._one(f"{_ACCESS_CODE_SELECT} WHERE c.id = ?", (code_id,))
        return None if row is None else AccessCodeRecord(row[0], row[1], bool(row[2]), row[3], row[4])

    def find_access_code(self, domain_name: str, code: str) -> AccessCodeRecord | None:
        row = self._one(f"{_ACCESS_CODE_SELECT} WHERE p.domain_name = ? AND c.code = ?", (domain_name, code))
        return None if row is None else AccessCodeRecord(row[0], row[1], bool(row[2]), row[3], row[4])

    def list_access_codes(self, pool_id: str, window: Window = ALL_ROWS) -> Slice[AccessCodeRecord]:
        where = Conditions()
        where.add("c.pool_id = ?", pool_id)
        return self._slice(
            "c.id, c.code, c.active, p.id, p.name",
            "access_codes c JOIN access_code_pools p ON p.id = c.pool_id",
            where,
            "c.seq",
            window,
            lambda row: AccessCodeRecord(row[0], row[1], bool(row[2]), row[3], row[4]),
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
            return read_back(self.get_group(group_id))

    def update_group(self, group_id: str, changes: Mapping[str, Any]) -> GroupRecord | None:
        """Apply column changes (`name`, `discount_percent`, `group_category_id`, `sign_up_field_rule`)."""
        with self.transaction():
            columns = dict(changes)
            if "sign_up_field_rule" in columns:
                columns["sign_up_field_rule"] = json.dumps(columns["sign_up_field_rule"])
            self._update("student_groups", columns, _UPDATABLE_GROUP_COLUMNS, {"id": group_id})
            return self.get_group(group_id)

    def delete_group(self, group_id: str) -> bool:
        """Delete the group and all its memberships; False if there was no such group."""
        with self.transaction():
            self._run("DELETE FROM group_users WHERE group_id = ?", (group_id,))
            return self._run("DELETE FROM student_groups WHERE id = ?", (group_id,)) > 0

    def list_groups(self, name: str | None = None, window: Window = ALL_ROWS) -> Slice[GroupRecord]:
        where = Conditions()
        if name is not None:
            where.add("g.name = ?", name)
        return self._slice(_GROUP_COLUMNS, "student_groups g", where, "g.seq", window, _group_from_row)

    # --- group memberships ----------------------------------------------------------------------

    _MEMBER_COLUMNS = f"gu.group_id, {USER_COLUMNS}, gu.created_at"
    _MEMBER_SOURCE = "group_users gu JOIN users u ON u.id = gu.user_id"
    _MEMBER_SELECT = f"SELECT {_MEMBER_COLUMNS} FROM {_MEMBER_SOURCE} "

    @staticmethod
    def _member_from_row(row: Sequence[Any]) -> GroupMemberRecord:
        return GroupMemberRecord(group_id=row[0], user=user_from_row(row, 1), created_at=row[7])

    def get_group_member(self, group_id: str, user_id: str) -> GroupMemberRecord | None:
        row = self._one(self._MEMBER_SELECT + "WHERE gu.group_id = ? AND gu.user_id = ?", (group_id, user_id))
        return None if row is None else self._member_from_row(row)

    def add_group_member(self, group_id: str, user_id: str) -> GroupMemberRecord:
        with self.transaction():
            self._run(
                "INSERT INTO group_users (group_id, user_id, created_at) VALUES (?, ?, ?)",
                (group_id, user_id, now_timestamp()),
            )
            return read_back(self.get_group_member(group_id, user_id))

    def remove_group_member(self, group_id: str, user_id: str) -> bool:
        return (
            self._run("DELETE FROM group_users WHERE group_id = ? AND user_id = ?", (group_id, user_id)) > 0
        )

    def list_group_members(self, group_id: str, window: Window = ALL_ROWS) -> Slice[GroupMemberRecord]:
        where = Conditions()
        where.add("gu.group_id = ?", group_id)
        return self._slice(
            self._MEMBER_COLUMNS, self._MEMBER_SOURCE, where, "gu.seq", window, self._member_from_row
        )
