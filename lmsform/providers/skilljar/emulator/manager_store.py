"""Student-manager access (one record per user per domain) in SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.base_store import Database, now_timestamp, table_dump

MANAGER_TABLES = (
    # Deleting the managed group keeps the record with no group, as the nullable `group_id` allows.
    """CREATE TABLE IF NOT EXISTS manager_access (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        user_id TEXT NOT NULL REFERENCES users(id),
        group_id TEXT REFERENCES student_groups(id) ON DELETE SET NULL,
        can_create_users INTEGER NOT NULL,
        course_access_level TEXT NOT NULL,
        course_ids TEXT NOT NULL,
        path_access_level TEXT NOT NULL,
        path_ids TEXT NOT NULL,
        license_ids TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        UNIQUE (domain_name, user_id)
    )""",
)
MANAGER_RESET_ORDER = ("manager_access",)
MANAGER_DUMPS = (
    table_dump(
        "manager_access",
        "manager_access",
        booleans=frozenset({"can_create_users"}),
        json_columns=frozenset({"course_ids", "path_ids", "license_ids"}),
    ),
)


@dataclass(frozen=True)
class ManagerAccessRecord:
    domain_name: str
    user_id: str
    group_id: str | None
    can_create_users: bool
    course_access_level: str
    course_ids: list[str]
    path_access_level: str
    path_ids: list[str]
    license_ids: list[str]


_COLUMNS = (
    "domain_name, user_id, group_id, can_create_users, course_access_level, course_ids, "
    "path_access_level, path_ids, license_ids"
)


def _access_from_row(row: Sequence[Any]) -> ManagerAccessRecord:
    return ManagerAccessRecord(
        domain_name=row[0],
        user_id=row[1],
        group_id=row[2],
        can_create_users=bool(row[3]),
        course_access_level=row[4],
        course_ids=json.loads(row[5]),
        path_access_level=row[6],
        path_ids=json.loads(row[7]),
        license_ids=json.loads(row[8]),
    )


class ManagerAccessStore(Database):
    def get_manager_access(self, domain_name: str, user_id: str) -> ManagerAccessRecord | None:
        row = self._one(
            f"SELECT {_COLUMNS} FROM manager_access WHERE domain_name = ? AND user_id = ?",
            (domain_name, user_id),
        )
        return None if row is None else _access_from_row(row)

    def put_manager_access(self, access: ManagerAccessRecord) -> ManagerAccessRecord:
        """Grant the access, replacing whatever record the user had on that domain."""
        with self.transaction():
            self.revoke_manager_access(access.domain_name, access.user_id)
            self._run(
                f"INSERT INTO manager_access ({_COLUMNS}, granted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    access.domain_name,
                    access.user_id,
                    access.group_id,
                    access.can_create_users,
                    access.course_access_level,
                    json.dumps(access.course_ids),
                    access.path_access_level,
                    json.dumps(access.path_ids),
                    json.dumps(access.license_ids),
                    now_timestamp(),
                ),
            )
            return read_back(self.get_manager_access(access.domain_name, access.user_id))

    def revoke_manager_access(self, domain_name: str, user_id: str) -> bool:
        return (
            self._run(
                "DELETE FROM manager_access WHERE domain_name = ? AND user_id = ?", (domain_name, user_id)
            )
            > 0
        )
