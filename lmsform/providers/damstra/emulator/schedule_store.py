"""Lesson schedules (enrollments) in SQLite. A schedule's `status` is not stored: it follows from its
dates, completion and cancellation and the emulator clock (`schedule_status`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lmsform.providers.damstra.emulator.base_store import Database
from lmsform.providers.emulation.sqlite import TableDump, placeholders, read_back

SCHEDULE_TABLES = (
    """CREATE TABLE IF NOT EXISTS lesson_schedules (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        lesson_id INTEGER NOT NULL REFERENCES lessons(id),
        lesson_version_id INTEGER NOT NULL REFERENCES lesson_versions(id),
        start_at TEXT NOT NULL,
        end_at TEXT NOT NULL,
        schedule_type TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        completed_by INTEGER REFERENCES users(id),
        completion_type_id INTEGER,
        cancelled_at TEXT,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS lesson_schedules_by_user ON lesson_schedules(user_id)",
)
SCHEDULE_RESET_ORDER = ("lesson_schedules",)
SCHEDULE_DUMPS = (TableDump("lessonSchedules", "lesson_schedules", order_by="id"),)

_COLUMNS = (
    "id, user_id, lesson_id, lesson_version_id, start_at, end_at, schedule_type, started_at, completed_at, "
    "completed_by, completion_type_id, cancelled_at, created_at, modified_at"
)
_UPDATABLE = frozenset({"completed_at", "completed_by", "completion_type_id", "cancelled_at", "modified_at"})


@dataclass(frozen=True)
class ScheduleRecord:
    id: int
    user_id: int
    lesson_id: int
    lesson_version_id: int
    start_at: str
    end_at: str
    schedule_type: str
    started_at: str | None
    completed_at: str | None
    completed_by: int | None
    completion_type_id: int | None
    cancelled_at: str | None
    created_at: str
    modified_at: str


class ScheduleStore(Database):
    def insert_schedule(self, schedule_id: int, columns: dict[str, Any]) -> ScheduleRecord:
        values = {"id": schedule_id, **columns}
        self._run(
            f"INSERT INTO lesson_schedules ({', '.join(values)}) VALUES ({placeholders(len(values))})",
            tuple(values.values()),
        )
        return read_back(self.get_schedule(schedule_id))

    def get_schedule(self, schedule_id: int) -> ScheduleRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM lesson_schedules WHERE id = ?", (schedule_id,))
        return None if row is None else ScheduleRecord(*row)

    def schedules_of_user(self, user_id: int) -> list[ScheduleRecord]:
        rows = self._all(f"SELECT {_COLUMNS} FROM lesson_schedules WHERE user_id = ? ORDER BY id", (user_id,))
        return [ScheduleRecord(*row) for row in rows]

    def update_schedule(self, schedule_id: int, changes: dict[str, Any]) -> ScheduleRecord:
        self._update("lesson_schedules", changes, _UPDATABLE, {"id": schedule_id})
        return read_back(self.get_schedule(schedule_id))
