"""Groups, group membership and group supervision in SQLite.

Membership and supervision are two relations (user, group); they are the single source of truth for
both a user's `groups`/`groupsSupervised` arrays and the group-side endpoints (damstra.md Model). They are
independent: a user may be member and supervisor of one group (damstra.md G13).

Inactivating a group (irreversible) marks it inactive and deletes both relations for it, which drops
it from every user's arrays (G5); child groups keep their `parentId`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from lmsform.providers.damstra.emulator.base_store import Database
from lmsform.providers.damstra.emulator.user_store import ACTIVE_STATUS
from lmsform.providers.emulation.sqlite import TableDump, placeholders, read_back

Relation = Literal["memberships", "supervisions"]

GROUP_TABLES = (
    """CREATE TABLE IF NOT EXISTS user_groups (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        parent_id INTEGER,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS memberships (
        group_id INTEGER NOT NULL REFERENCES user_groups(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        PRIMARY KEY (group_id, user_id)
    )""",
    """CREATE TABLE IF NOT EXISTS supervisions (
        group_id INTEGER NOT NULL REFERENCES user_groups(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        PRIMARY KEY (group_id, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS memberships_by_user ON memberships(user_id)",
    "CREATE INDEX IF NOT EXISTS supervisions_by_user ON supervisions(user_id)",
)
GROUP_RESET_ORDER = ("memberships", "supervisions", "user_groups")
GROUP_DUMPS = (
    TableDump("groups", "user_groups", order_by="id", booleans=frozenset({"active"})),
    TableDump("memberships", "memberships", order_by="group_id, user_id"),
    TableDump("supervisions", "supervisions", order_by="group_id, user_id"),
)

_COLUMNS = "id, name, description, parent_id, active, created_at"


@dataclass(frozen=True)
class GroupRecord:
    id: int
    name: str
    description: str
    parent_id: int | None
    active: bool
    created_at: str


def _group_from_row(row: Sequence[Any]) -> GroupRecord:
    return GroupRecord(row[0], row[1], row[2], row[3], bool(row[4]), row[5])


class GroupStore(Database):
    def insert_group(
        self, group_id: int, name: str, description: str, parent_id: int | None, now: str
    ) -> GroupRecord:
        self._run(
            "INSERT INTO user_groups (id, name, description, parent_id, created_at) VALUES (?, ?, ?, ?, ?)",
            (group_id, name, description, parent_id, now),
        )
        return self.require_group(group_id)

    def get_group(self, group_id: int) -> GroupRecord | None:
        """The group if it exists and is active: inactive groups are gone as far as the API can tell."""
        row = self._one(f"SELECT {_COLUMNS} FROM user_groups WHERE id = ? AND active = 1", (group_id,))
        return None if row is None else _group_from_row(row)

    def require_group(self, group_id: int) -> GroupRecord:
        return read_back(self.get_group(group_id))

    def find_groups(
        self, name_part: str | None, offset: int = 0, limit: int = -1
    ) -> tuple[int, list[GroupRecord]]:
        """Active groups whose name contains `name_part` ignoring case (damstra.md G1), by id."""
        where, params = "active = 1", []
        if name_part is not None:
            where += " AND instr(casefold(name), ?)"
            params.append(name_part.casefold())
        with self.transaction():
            total = self._count(f"SELECT id FROM user_groups WHERE {where}", params)
            rows = self._all(
                f"SELECT {_COLUMNS} FROM user_groups WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        return total, [_group_from_row(row) for row in rows]

    def groups_named(self, name: str) -> list[GroupRecord]:
        rows = self._all(
            f"SELECT {_COLUMNS} FROM user_groups WHERE active = 1 AND name = ? ORDER BY id", (name,)
        )
        return [_group_from_row(row) for row in rows]

    def update_group(self, group_id: int, name: str, description: str, parent_id: int | None) -> GroupRecord:
        self._run(
            "UPDATE user_groups SET name = ?, description = ?, parent_id = ? WHERE id = ?",
            (name, description, parent_id, group_id),
        )
        return self.require_group(group_id)

    def ancestors(self, group_id: int) -> list[int]:
        """The chain of parents above a group (any status), nearest first."""
        chain: list[int] = []
        row = self._one("SELECT parent_id FROM user_groups WHERE id = ?", (group_id,))
        while row is not None and row[0] is not None and row[0] not in chain:
            chain.append(row[0])
            row = self._one("SELECT parent_id FROM user_groups WHERE id = ?", (row[0],))
        return chain

    def inactivate_group(self, group_id: int) -> None:
        with self.transaction():
            self._run("UPDATE user_groups SET active = 0 WHERE id = ?", (group_id,))
            self._run("DELETE FROM memberships WHERE group_id = ?", (group_id,))
            self._run("DELETE FROM supervisions WHERE group_id = ?", (group_id,))

    # --- the two relations ---

    def relate(self, relation: Relation, group_id: int, user_ids: Sequence[int]) -> None:
        for user_id in user_ids:
            self._run(
                f"INSERT OR IGNORE INTO {relation} (group_id, user_id) VALUES (?, ?)", (group_id, user_id)
            )

    def unrelate(self, relation: Relation, group_id: int, user_ids: Sequence[int]) -> None:
        self._run(
            f"DELETE FROM {relation} WHERE group_id = ? AND user_id IN ({placeholders(len(user_ids))})",
            (group_id, *user_ids),
        )

    def replace_user_groups(self, relation: Relation, user_id: int, group_ids: Sequence[int]) -> None:
        """Make `group_ids` the user's whole set in `relation` (damstra.md U11)."""
        with self.transaction():
            self._run(f"DELETE FROM {relation} WHERE user_id = ?", (user_id,))
            for group_id in group_ids:
                self._run(
                    f"INSERT OR IGNORE INTO {relation} (group_id, user_id) VALUES (?, ?)", (group_id, user_id)
                )

    def groups_of_users(self, relation: Relation, user_ids: Sequence[int]) -> dict[int, list[int]]:
        """Each user's group ids in `relation`, ascending; users without any map to []."""
        found: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
        rows = self._all(
            f"SELECT user_id, group_id FROM {relation} WHERE user_id IN ({placeholders(len(user_ids))}) "
            "ORDER BY group_id",
            tuple(user_ids),
        )
        for user_id, group_id in rows:
            found[user_id].append(group_id)
        return found

    def related_active_users(
        self, relation: Relation, group_id: int, offset: int = 0, limit: int = -1
    ) -> tuple[int, list[int]]:
        """Active users in `relation` to the group (inactive ones are left out, damstra.md U19), by id."""
        source = (
            f"FROM {relation} JOIN users ON users.id = {relation}.user_id "
            f"WHERE {relation}.group_id = ? AND users.client_status_id = {ACTIVE_STATUS}"
        )
        with self.transaction():
            total = self._count(f"SELECT users.id {source}", (group_id,))
            rows = self._all(
                f"SELECT users.id {source} ORDER BY users.id LIMIT ? OFFSET ?", (group_id, limit, offset)
            )
        return total, [row[0] for row in rows]

    def member_counts(self, group_ids: Sequence[int]) -> dict[int, int]:
        """Active members per group (damstra.md G6)."""
        counts = dict.fromkeys(group_ids, 0)
        rows = self._all(
            "SELECT group_id, COUNT(*) FROM memberships JOIN users ON users.id = memberships.user_id "
            f"WHERE users.client_status_id = {ACTIVE_STATUS} "
            f"AND group_id IN ({placeholders(len(group_ids))}) GROUP BY group_id",
            tuple(group_ids),
        )
        counts.update(dict(rows))
        return counts
