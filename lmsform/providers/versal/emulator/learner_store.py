"""Who does what in a course, in SQLite: course roles, learner tracking and progress, gadget user data.

* `course_roles`: one row per (course, user, role), `position` keeping the order the roles were sent.
* `course_learners`: the tracking flag and the progress summary `GET /courses/{id}/userdata` shows.
  The progress stays when tracking is switched off; only removing the user from the org clears it.
* `gadget_userdata`: one user's state for one gadget.

`forget_members` is the cascade of removing users from an org (versal.md Removal, D4): it clears all three
for every course of that org.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import TableDump, placeholders
from lmsform.providers.versal.emulator.base_store import Database
from lmsform.providers.versal.emulator.course_store import EDITOR_ROLES
from lmsform.providers.versal.emulator.user_store import USER_COLUMNS, UserRecord

LEARNER_TABLES = (
    """CREATE TABLE IF NOT EXISTS course_roles (
        course_id INTEGER NOT NULL REFERENCES courses (id),
        user_id INTEGER NOT NULL REFERENCES users (id),
        role TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (course_id, user_id, role)
    )""",
    "CREATE INDEX IF NOT EXISTS course_roles_by_user ON course_roles (user_id, course_id)",
    """CREATE TABLE IF NOT EXISTS course_learners (
        course_id INTEGER NOT NULL REFERENCES courses (id),
        user_id INTEGER NOT NULL REFERENCES users (id),
        tracked INTEGER NOT NULL,
        start_date TEXT,
        last_activity TEXT,
        completed INTEGER NOT NULL DEFAULT 0,
        complete_date TEXT,
        current_lesson_id TEXT,
        PRIMARY KEY (course_id, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS course_learners_tracked ON course_learners (course_id, tracked, user_id)",
    "CREATE INDEX IF NOT EXISTS course_learners_by_user ON course_learners (user_id, course_id)",
    """CREATE TABLE IF NOT EXISTS gadget_userdata (
        course_id INTEGER NOT NULL REFERENCES courses (id),
        gadget_id TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users (id),
        state TEXT NOT NULL,
        PRIMARY KEY (course_id, gadget_id, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS gadget_userdata_by_user ON gadget_userdata (user_id, course_id)",
)
LEARNER_DUMPS = (
    TableDump("course_roles", "course_roles", "course_id, user_id, position"),
    TableDump(
        "course_learners",
        "course_learners",
        "course_id, user_id",
        booleans=frozenset({"tracked", "completed"}),
    ),
    TableDump(
        "gadget_userdata",
        "gadget_userdata",
        "course_id, gadget_id, user_id",
        json_columns=frozenset({"state"}),
    ),
)
LEARNER_RESET_ORDER = ("gadget_userdata", "course_learners", "course_roles")
_IN_ORG_COURSES = "course_id IN (SELECT id FROM courses WHERE org_id = ?)"


@dataclass(frozen=True)
class Progress:
    """A learner's progress summary in one course; `current_lesson_index` is the lesson's position."""

    tracked: bool
    start_date: str | None = None
    last_activity: str | None = None
    completed: bool = False
    complete_date: str | None = None
    current_lesson_id: str | None = None
    current_lesson_index: int | None = None


@dataclass(frozen=True)
class UserFilter:
    """Which rows of a per-course listing to keep: all, or only these user ids (`userIds`)."""

    user_ids: Sequence[int] | None = None

    def clause(self, column: str) -> tuple[str, list[Any]]:
        if self.user_ids is None:
            return "", []
        return f" AND {column} IN ({placeholders(len(self.user_ids))})", list(self.user_ids)


class LearnerStore(Database):
    # --- course roles ---

    def course_roles(self, course_id: int, user_id: int) -> list[str]:
        rows = self._all(
            "SELECT role FROM course_roles WHERE course_id = ? AND user_id = ? ORDER BY position",
            (course_id, user_id),
        )
        return [role for (role,) in rows]

    def set_course_roles(self, course_id: int, user_id: int, roles: Sequence[str]) -> None:
        """Replace the user's roles on the course (versal.md D5)."""
        self._run("DELETE FROM course_roles WHERE course_id = ? AND user_id = ?", (course_id, user_id))
        self._run_many(
            "INSERT INTO course_roles (course_id, user_id, role, position) VALUES (?, ?, ?, ?)",
            [(course_id, user_id, role, index) for index, role in enumerate(dict.fromkeys(roles))],
        )

    def can_edit(self, course_id: int, user_id: int) -> bool:
        row = self._one(
            f"""SELECT 1 FROM course_roles WHERE course_id = ? AND user_id = ?
                AND role IN ({placeholders(len(EDITOR_ROLES))})""",
            (course_id, user_id, *EDITOR_ROLES),
        )
        return row is not None

    def editors(self, course_ids: Sequence[int]) -> dict[int, list[UserRecord]]:
        """For each course, the users holding an editor role on it, by id (versal.md D8)."""
        found: dict[int, list[UserRecord]] = {course_id: [] for course_id in course_ids}
        if not course_ids:
            return found
        rows = self._all(
            f"""SELECT DISTINCT r.course_id, {USER_COLUMNS}
                FROM course_roles r JOIN users u ON u.id = r.user_id
                WHERE r.course_id IN ({placeholders(len(course_ids))})
                AND r.role IN ({placeholders(len(EDITOR_ROLES))})
                ORDER BY r.course_id, u.id""",
            (*course_ids, *EDITOR_ROLES),
        )
        for row in rows:
            found[row[0]].append(UserRecord(*row[1:]))
        return found

    # --- tracking and progress ---

    def progress(self, course_id: int, user_id: int) -> Progress | None:
        row = self._one(
            f"""SELECT {_PROGRESS_COLUMNS} FROM course_learners p
                LEFT JOIN lessons l ON l.course_id = p.course_id AND l.id = p.current_lesson_id
                WHERE p.course_id = ? AND p.user_id = ?""",
            (course_id, user_id),
        )
        return None if row is None else _progress(row)

    def set_tracked(self, course_id: int, user_id: int, tracked: bool) -> None:
        self._run(
            """INSERT INTO course_learners (course_id, user_id, tracked) VALUES (?, ?, ?)
               ON CONFLICT (course_id, user_id) DO UPDATE SET tracked = excluded.tracked""",
            (course_id, user_id, int(tracked)),
        )

    def put_progress(self, course_id: int, user_id: int, progress: Progress) -> None:
        self._run(
            """INSERT INTO course_learners (course_id, user_id, tracked, start_date, last_activity,
                   completed, complete_date, current_lesson_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (course_id, user_id) DO UPDATE SET tracked = excluded.tracked,
                   start_date = excluded.start_date, last_activity = excluded.last_activity,
                   completed = excluded.completed, complete_date = excluded.complete_date,
                   current_lesson_id = excluded.current_lesson_id""",
            (
                course_id,
                user_id,
                int(progress.tracked),
                progress.start_date,
                progress.last_activity,
                int(progress.completed),
                progress.complete_date,
                progress.current_lesson_id,
            ),
        )

    def count_tracked(self, course_id: int, users: UserFilter) -> int:
        clause, params = users.clause("user_id")
        count: int = self._scalar(
            f"SELECT COUNT(*) FROM course_learners WHERE course_id = ? AND tracked = 1{clause}",
            (course_id, *params),
        )
        return count

    def tracked_page(
        self, course_id: int, users: UserFilter, limit: int, offset: int
    ) -> list[tuple[UserRecord, Progress]]:
        clause, params = users.clause("p.user_id")
        rows = self._all(
            f"""SELECT {USER_COLUMNS}, {_PROGRESS_COLUMNS} FROM course_learners p
                JOIN users u ON u.id = p.user_id
                LEFT JOIN lessons l ON l.course_id = p.course_id AND l.id = p.current_lesson_id
                WHERE p.course_id = ? AND p.tracked = 1{clause}
                ORDER BY p.user_id LIMIT ? OFFSET ?""",
            (course_id, *params, limit, offset),
        )
        return [(UserRecord(*row[:8]), _progress(row[8:])) for row in rows]

    # --- gadget user data ---

    def put_gadget_state(
        self, course_id: int, gadget_id: str, user_id: int, state: Mapping[str, Any]
    ) -> None:
        self._run(
            """INSERT INTO gadget_userdata (course_id, gadget_id, user_id, state) VALUES (?, ?, ?, ?)
               ON CONFLICT (course_id, gadget_id, user_id) DO UPDATE SET state = excluded.state""",
            (course_id, gadget_id, user_id, json.dumps(state)),
        )

    def count_gadget_states(self, course_id: int, gadget_id: str, users: UserFilter) -> int:
        clause, params = users.clause("user_id")
        count: int = self._scalar(
            f"SELECT COUNT(*) FROM gadget_userdata WHERE course_id = ? AND gadget_id = ?{clause}",
            (course_id, gadget_id, *params),
        )
        return count

    def gadget_states_page(
        self, course_id: int, gadget_id: str, users: UserFilter, limit: int, offset: int
    ) -> list[tuple[UserRecord, dict[str, Any]]]:
        clause, params = users.clause("d.user_id")
        rows = self._all(
            f"""SELECT {USER_COLUMNS}, d.state FROM gadget_userdata d JOIN users u ON u.id = d.user_id
                WHERE d.course_id = ? AND d.gadget_id = ?{clause}
                ORDER BY d.user_id LIMIT ? OFFSET ?""",
            (course_id, gadget_id, *params, limit, offset),
        )
        return [(UserRecord(*row[:8]), json.loads(row[8])) for row in rows]

    # --- the cascade ---

    def forget_members(self, org_id: int, user_ids: Sequence[int]) -> None:
        """Clear the users' course roles, tracking, progress and gadget data in every course of the org."""
        pairs = [(user_id, org_id) for user_id in user_ids]
        for table in LEARNER_RESET_ORDER:
            self._run_many(f"DELETE FROM {table} WHERE user_id = ? AND {_IN_ORG_COURSES}", pairs)


_PROGRESS_COLUMNS = (
    "p.tracked, p.start_date, p.last_activity, p.completed, p.complete_date, p.current_lesson_id, l.position"
)


def _progress(row: Sequence[Any]) -> Progress:
    tracked, start, last, completed, complete_date, lesson_id, lesson_index = row
    return Progress(bool(tracked), start, last, bool(completed), complete_date, lesson_id, lesson_index)
