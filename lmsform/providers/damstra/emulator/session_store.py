"""Instructor-led sessions and their attendees in SQLite (damstra.md Sessions). A session's `state` is not
stored: it follows from its times and the emulator clock (`session_state`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lmsform.providers.damstra.emulator.base_store import Database
from lmsform.providers.damstra.emulator.dates import from_stored
from lmsform.providers.emulation.sqlite import TableDump, placeholders, read_back

SESSION_TABLES = (
    """CREATE TABLE IF NOT EXISTS ilt_sessions (
        id INTEGER PRIMARY KEY,
        lesson_id INTEGER REFERENCES lessons(id),
        instructor_id INTEGER NOT NULL REFERENCES users(id),
        start_at TEXT NOT NULL,
        end_at TEXT NOT NULL,
        location TEXT NOT NULL,
        notes TEXT,
        places INTEGER NOT NULL,
        status_id INTEGER NOT NULL,
        notify_trainees INTEGER,
        notify_instructor INTEGER,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ilt_attendees (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES ilt_sessions(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        lesson_schedule_id INTEGER REFERENCES lesson_schedules(id),
        registering_user_id INTEGER NOT NULL REFERENCES users(id),
        passed INTEGER NOT NULL,
        attended INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        UNIQUE (session_id, user_id)
    )""",
)
SESSION_RESET_ORDER = ("ilt_attendees", "ilt_sessions")
SESSION_DUMPS = (
    TableDump(
        "iltSessions",
        "ilt_sessions",
        order_by="id",
        booleans=frozenset({"notify_trainees", "notify_instructor"}),
    ),
    TableDump("iltAttendees", "ilt_attendees", order_by="id", booleans=frozenset({"passed", "attended"})),
)
ACTIVE, COMPLETED, CANCELLED = 1, 2, 3
STATES = {"upcoming": 1, "inprogress": 2, "past": 3}

_SESSION_COLUMNS = (
    "id, lesson_id, instructor_id, start_at, end_at, location, notes, places, status_id, notify_trainees, "
    "notify_instructor, created_at, modified_at"
)
_SESSION_UPDATABLE = frozenset(
    {
        "instructor_id",
        "location",
        "notes",
        "places",
        "status_id",
        "notify_trainees",
        "notify_instructor",
        "modified_at",
    }
)
_ATTENDEE_COLUMNS = (
    "id, session_id, user_id, lesson_schedule_id, registering_user_id, passed, attended, created_at, "
    "modified_at"
)


@dataclass(frozen=True)
class SessionRecord:
    id: int
    lesson_id: int | None
    instructor_id: int
    start_at: str
    end_at: str
    location: str
    notes: str | None
    places: int
    status_id: int
    notify_trainees: bool | None
    notify_instructor: bool | None
    created_at: str
    modified_at: str


@dataclass(frozen=True)
class AttendeeRecord:
    id: int
    session_id: int
    user_id: int
    lesson_schedule_id: int | None
    registering_user_id: int
    passed: bool
    attended: bool
    created_at: str
    modified_at: str


def session_state(session: SessionRecord, now: datetime) -> str:
    """damstra.md Derived: upcoming before its start, in progress until its end, past after."""
    if now < from_stored(session.start_at):
        return "upcoming"
    return "inprogress" if now < from_stored(session.end_at) else "past"


class SessionStore(Database):
    def insert_session(self, session_id: int, columns: dict[str, Any]) -> SessionRecord:
        values = {"id": session_id, **columns}
        self._run(
            f"INSERT INTO ilt_sessions ({', '.join(values)}) VALUES ({placeholders(len(values))})",
            tuple(values.values()),
        )
        return read_back(self.get_session(session_id))

    def get_session(self, session_id: int) -> SessionRecord | None:
        row = self._one(f"SELECT {_SESSION_COLUMNS} FROM ilt_sessions WHERE id = ?", (session_id,))
        return None if row is None else SessionRecord(*row)

    def all_sessions(self) -> list[SessionRecord]:
        return [
            SessionRecord(*row)
            for row in self._all(f"SELECT {_SESSION_COLUMNS} FROM ilt_sessions ORDER BY id")
        ]

    def update_session(self, session_id: int, changes: dict[str, Any]) -> SessionRecord:
        self._update("ilt_sessions", changes, _SESSION_UPDATABLE, {"id": session_id})
        return read_back(self.get_session(session_id))

    def attendees_of(self, session_id: int) -> list[AttendeeRecord]:
        rows = self._all(
            f"SELECT {_ATTENDEE_COLUMNS} FROM ilt_attendees WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [AttendeeRecord(*row) for row in rows]

    def add_attendee(self, attendee_id: int, columns: dict[str, Any]) -> None:
        values = {"id": attendee_id, **columns}
        self._run(
            f"INSERT INTO ilt_attendees ({', '.join(values)}) VALUES ({placeholders(len(values))})",
            tuple(values.values()),
        )

    def remove_attendees(self, session_id: int, user_ids: list[int]) -> None:
        self._run(
            f"DELETE FROM ilt_attendees WHERE session_id = ? AND user_id IN ({placeholders(len(user_ids))})",
            (session_id, *user_ids),
        )

    def set_progress(self, attendee_id: int, changes: dict[str, Any]) -> None:
        self._update("ilt_attendees", changes, {"passed", "attended", "modified_at"}, {"id": attendee_id})
