"""Lessons, instructors and instructor-led sessions in SQLite (skilljar.md D78).

Lessons are a course's content, authored in Skilljar's dashboard: the emulator seeds them. An
instructor's id is an integer (the spec's path parameter), which no answer shows (skilljar.md D80).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import Conditions, TableDump, read_back
from lmsform.providers.skilljar.emulator.base_store import (
    ALL_ROWS,
    Database,
    Slice,
    Window,
    new_id,
    table_dump,
)

ILT_TABLES = (
    """CREATE TABLE IF NOT EXISTS lessons (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        lesson_order INTEGER NOT NULL,
        type TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS ilt_instructors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE
    )""",
    """CREATE TABLE IF NOT EXISTS ilt_sessions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        lesson TEXT REFERENCES lessons(id) ON DELETE CASCADE,
        multi_session_event TEXT,
        display_name TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        timezone TEXT NOT NULL,
        instructor_email TEXT NOT NULL,
        provider TEXT NOT NULL DEFAULT 'calendar',
        description TEXT NOT NULL DEFAULT '',
        seats_total INTEGER,
        location TEXT NOT NULL DEFAULT '',
        post_registration_instructions TEXT NOT NULL DEFAULT '',
        event_link TEXT,
        tags TEXT NOT NULL DEFAULT '[]'
    )""",
)
ILT_RESET_ORDER = ("ilt_sessions", "ilt_instructors", "lessons")
ILT_DUMPS = (
    table_dump("lessons", "lessons"),
    TableDump("ilt_instructors", "ilt_instructors", order_by="id"),
    table_dump("ilt_sessions", "ilt_sessions", json_columns=frozenset({"tags"})),
)
SESSION_SETTINGS = (
    "lesson",
    "multi_session_event",
    "display_name",
    "starts_at",
    "ends_at",
    "timezone",
    "instructor_email",
    "provider",
    "description",
    "seats_total",
    "location",
    "post_registration_instructions",
    "event_link",
    "tags",
)


@dataclass(frozen=True)
class LessonRecord:
    id: str
    course_id: str
    title: str
    order: int
    type: str


@dataclass(frozen=True)
class InstructorRecord:
    id: int
    email: str


@dataclass(frozen=True)
class SessionRecord:
    id: str
    settings: dict[str, Any]


_LESSON_COLUMNS = "id, course_id, title, lesson_order, type"
_SESSION_COLUMNS = "id, " + ", ".join(SESSION_SETTINGS)


def _lesson_from_row(row: Sequence[Any]) -> LessonRecord:
    return LessonRecord(id=row[0], course_id=row[1], title=row[2], order=row[3], type=row[4])


def _instructor_from_row(row: Sequence[Any]) -> InstructorRecord:
    return InstructorRecord(id=row[0], email=row[1])


def _session_from_row(row: Sequence[Any]) -> SessionRecord:
    settings = dict(zip(SESSION_SETTINGS, row[1:], strict=True))
    settings["tags"] = json.loads(settings["tags"])
    return SessionRecord(id=row[0], settings=settings)


def _encoded(settings: Mapping[str, Any]) -> dict[str, Any]:
    columns = dict(settings)
    if "tags" in columns:
        columns["tags"] = json.dumps(columns["tags"])
    return columns


class IltStore(Database):
    # --- lessons (seeded: the dashboard makes them) ---------------------------------------------

    def add_lesson(self, course_id: str, title: str, lesson_type: str = "VILT") -> LessonRecord:
        lesson_id = new_id()
        with self.transaction():
            order = self._scalar("SELECT COUNT(*) FROM lessons WHERE course_id = ?", (course_id,))
            self._insert(
                "lessons",
                {
                    "id": lesson_id,
                    "course_id": course_id,
                    "title": title,
                    "lesson_order": order,
                    "type": lesson_type,
                },
            )
            return read_back(self.get_lesson(lesson_id))

    def get_lesson(self, lesson_id: str) -> LessonRecord | None:
        row = self._one(f"SELECT {_LESSON_COLUMNS} FROM lessons WHERE id = ?", (lesson_id,))
        return None if row is None else _lesson_from_row(row)

    def find_lesson(self, course_id: str, title: str) -> LessonRecord | None:
        row = self._one(
            f"SELECT {_LESSON_COLUMNS} FROM lessons WHERE course_id = ? AND title = ? ORDER BY seq",
            (course_id, title),
        )
        return None if row is None else _lesson_from_row(row)

    def list_lessons(self, course_id: str, window: Window = ALL_ROWS) -> Slice[LessonRecord]:
        where = Conditions()
        where.add("course_id = ?", course_id)
        return self._slice(_LESSON_COLUMNS, "lessons", where, "lesson_order, seq", window, _lesson_from_row)

    # --- instructors ------------------------------------------------------------------------------

    def add_instructor(self, email: str) -> InstructorRecord:
        with self.transaction():
            self._insert("ilt_instructors", {"email": email})
            return read_back(self.find_instructor(email))

    def find_instructor(self, email: str) -> InstructorRecord | None:
        row = self._one("SELECT id, email FROM ilt_instructors WHERE email = ?", (email,))
        return None if row is None else _instructor_from_row(row)

    def get_instructor(self, instructor_id: int) -> InstructorRecord | None:
        row = self._one("SELECT id, email FROM ilt_instructors WHERE id = ?", (instructor_id,))
        return None if row is None else _instructor_from_row(row)

    def list_instructors(self, email: str | None, window: Window = ALL_ROWS) -> Slice[InstructorRecord]:
        where = Conditions()
        if email is not None:
            where.add("email = ?", email)
        return self._slice("id, email", "ilt_instructors", where, "id", window, _instructor_from_row)

    def update_instructor(self, instructor_id: int, email: str) -> None:
        self._update("ilt_instructors", {"email": email}, ("email",), {"id": instructor_id})

    def delete_instructor(self, instructor_id: int) -> bool:
        return self._run("DELETE FROM ilt_instructors WHERE id = ?", (instructor_id,)) > 0

    # --- sessions ---------------------------------------------------------------------------------

    def create_session(self, settings: Mapping[str, Any]) -> SessionRecord:
        session_id = new_id()
        with self.transaction():
            self._insert("ilt_sessions", {"id": session_id}, _encoded(settings), SESSION_SETTINGS)
            return read_back(self.get_session(session_id))

    def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._one(f"SELECT {_SESSION_COLUMNS} FROM ilt_sessions WHERE id = ?", (session_id,))
        return None if row is None else _session_from_row(row)

    def replace_session(self, session_id: str, settings: Mapping[str, Any]) -> SessionRecord:
        with self.transaction():
            self._update("ilt_sessions", _encoded(settings), SESSION_SETTINGS, {"id": session_id})
            return read_back(self.get_session(session_id))

    def list_sessions(self, window: Window = ALL_ROWS) -> Slice[SessionRecord]:
        return self._slice(_SESSION_COLUMNS, "ilt_sessions", Conditions(), "seq", window, _session_from_row)
