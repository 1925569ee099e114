"""Course definitions, labels, and which labels each course carries, in SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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

COURSE_TABLES = (
    """CREATE TABLE IF NOT EXISTS courses (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        short_description TEXT NOT NULL,
        long_description_html TEXT NOT NULL DEFAULT '',
        enforce_sequential_navigation INTEGER NOT NULL,
        display_course_and_lesson_time INTEGER NOT NULL DEFAULT 0,
        display_manual_course_time INTEGER NOT NULL DEFAULT 0,
        manual_course_time TEXT NOT NULL DEFAULT '',
        course_and_lesson_time_format TEXT NOT NULL DEFAULT 'HOURS_MINUTES_SECONDS',
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS labels (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE IF NOT EXISTS course_labels (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
        label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        UNIQUE (course_id, label_id)
    )""",
    "CREATE INDEX IF NOT EXISTS course_labels_by_label ON course_labels(label_id)",
)
COURSE_RESET_ORDER = ("course_labels", "labels", "courses")
_COURSE_BOOLEANS = frozenset(
    {"enforce_sequential_navigation", "display_course_and_lesson_time", "display_manual_course_time"}
)
COURSE_DUMPS = (
    table_dump("courses", "courses", booleans=_COURSE_BOOLEANS),
    table_dump("labels", "labels"),
    table_dump("course_labels", "course_labels"),
)

WRITABLE_COURSE_COLUMNS = frozenset(
    {
        "title",
        "short_description",
        "long_description_html",
        "manual_course_time",
        "course_and_lesson_time_format",
        *_COURSE_BOOLEANS,
    }
)


@dataclass(frozen=True)
class CourseRecord:
    id: str
    title: str
    short_description: str
    long_description_html: str
    enforce_sequential_navigation: bool
    display_course_and_lesson_time: bool
    display_manual_course_time: bool
    manual_course_time: str
    course_and_lesson_time_format: str
    created_at: str
    modified_at: str
    labels: list[str]
    """Label names, in the order they were attached."""


@dataclass(frozen=True)
class LabelRecord:
    id: str
    name: str


_LABEL_NAMES = (
    "(SELECT json_group_array(name) FROM (SELECT l.name AS name FROM course_labels cl "
    "JOIN labels l ON l.id = cl.label_id WHERE cl.course_id = c.id ORDER BY cl.seq))"
)
_COURSE_COLUMNS = (
    "c.id, c.title, c.short_description, c.long_description_html, c.enforce_sequential_navigation, "
    "c.display_course_and_lesson_time, c.display_manual_course_time, c.manual_course_time, "
    f"c.course_and_lesson_time_format, c.created_at, c.modified_at, {_LABEL_NAMES}"
)


def _course_from_row(row: Sequence[Any]) -> CourseRecord:
    return CourseRecord(
        id=row[0],
        title=row[1],
        short_description=row[2],
        long_description_html=row[3],
        enforce_sequential_navigation=bool(row[4]),
        display_course_and_lesson_time=bool(row[5]),
        display_manual_course_time=bool(row[6]),
        manual_course_time=row[7],
        course_and_lesson_time_format=row[8],
        created_at=row[9],
        modified_at=row[10],
        labels=json.loads(row[11]),
    )


class CourseStore(Database):
    """Courses and labels; a course's labels are associations, kept in the order they were made."""

    # --- courses --------------------------------------------------------------------------------

    def get_course(self, course_id: str) -> CourseRecord | None:
        row = self._one(f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.id = ?", (course_id,))
        return None if row is None else _course_from_row(row)

    def course_exists(self, course_id: str) -> bool:
        return self._exists("SELECT 1 FROM courses WHERE id = ?", (course_id,))

    def find_courses_by_title(self, title: str) -> list[CourseRecord]:
        rows = self._all(
            f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.title = ? ORDER BY c.seq", (title,)
        )
        return [_course_from_row(row) for row in rows]

    def create_course(self, values: Mapping[str, Any]) -> CourseRecord:
        """A new course from column values (`title`, `short_description`, … as in WRITABLE_COURSE_COLUMNS)."""
        course_id = new_id()
        now = now_timestamp()
        with self.transaction():
            own = {"id": course_id, "created_at": now, "modified_at": now}
            self._insert("courses", own, values, WRITABLE_COURSE_COLUMNS)
            return read_back(self.get_course(course_id))

    def update_course(self, course_id: str, changes: Mapping[str, Any]) -> CourseRecord | None:
        """Apply column changes; `modified_at` moves on every update, as Django's `auto_now` does."""
        with self.transaction():
            columns = {**changes, "modified_at": now_timestamp()}
            self._update("courses", columns, WRITABLE_COURSE_COLUMNS | {"modified_at"}, {"id": course_id})
            return self.get_course(course_id)

    def delete_course(self, course_id: str) -> bool:
        """Delete the course; its label associations, publications and their enrollments go with it."""
        return self._run("DELETE FROM courses WHERE id = ?", (course_id,)) > 0

    def list_courses(self, label_name: str | None = None, window: Window = ALL_ROWS) -> Slice[CourseRecord]:
        where = Conditions()
        if label_name is not None:
            where.add(
                "EXISTS (SELECT 1 FROM course_labels cl JOIN labels l ON l.id = cl.label_id "
                "WHERE cl.course_id = c.id AND l.name = ?)",
                label_name,
            )
        return self._slice(_COURSE_COLUMNS, "courses c", where, "c.seq", window, _course_from_row)

    def replace_course_labels(self, course_id: str, names: Iterable[str]) -> None:
        """Make `names` the course's whole label set, in that order; unknown names become new labels."""
        with self.transaction():
            self._run("DELETE FROM course_labels WHERE course_id = ?", (course_id,))
            for name in dict.fromkeys(names):
                label = self.find_label_by_name(name) or self.create_label(name)
                self.add_course_label(course_id, label.id)

    # --- labels ---------------------------------------------------------------------------------

    def get_label(self, label_id: str) -> LabelRecord | None:
        row = self._one("SELECT id, name FROM labels WHERE id = ?", (label_id,))
        return None if row is None else LabelRecord(*row)

    def find_label_by_name(self, name: str) -> LabelRecord | None:
        row = self._one("SELECT id, name FROM labels WHERE name = ?", (name,))
        return None if row is None else LabelRecord(*row)

    def create_label(self, name: str) -> LabelRecord:
        label = LabelRecord(new_id(), name)
        self._run("INSERT INTO labels (id, name) VALUES (?, ?)", (label.id, label.name))
        return label

    def rename_label(self, label_id: str, name: str) -> LabelRecord | None:
        with self.transaction():
            self._run("UPDATE labels SET name = ? WHERE id = ?", (name, label_id))
            return self.get_label(label_id)

    def delete_label(self, label_id: str) -> bool:
        """Delete the label; every course carrying it loses it."""
        return self._run("DELETE FROM labels WHERE id = ?", (label_id,)) > 0

    def list_labels(self, window: Window = ALL_ROWS) -> Slice[LabelRecord]:
        return self._slice("id, name", "labels", Conditions(), "seq", window, lambda row: LabelRecord(*row))

    # --- a course's label associations ----------------------------------------------------------

    _ASSOCIATION_SOURCE = "course_labels cl JOIN labels l ON l.id = cl.label_id"

    def get_course_label(self, course_id: str, label_id: str) -> LabelRecord | None:
        row = self._one(
            f"SELECT l.id, l.name FROM {self._ASSOCIATION_SOURCE} WHERE cl.course_id = ? AND cl.label_id = ?",
            (course_id, label_id),
        )
        return None if row is None else LabelRecord(*row)

    def add_course_label(self, course_id: str, label_id: str) -> None:
        self._run("INSERT INTO course_labels (course_id, label_id) VALUES (?, ?)", (course_id, label_id))

    def remove_course_label(self, course_id: str, label_id: str) -> bool:
        return (
            self._run("DELETE FROM course_labels WHERE course_id = ? AND label_id = ?", (course_id, label_id))
            > 0
        )

    def list_course_labels(self, course_id: str, window: Window = ALL_ROWS) -> Slice[LabelRecord]:
        where = Conditions()
        where.add("cl.course_id = ?", course_id)
        return self._slice(
            "l.id, l.name", self._ASSOCIATION_SOURCE, where, "cl.seq", window, lambda row: LabelRecord(*row)
        )
