"""Lessons, their versions and their custom fields in SQLite; only seeding writes them (damstra.md Lessons).

A lesson's status (damstra.md Lessons) belongs to the lesson. Each version is published or not; the lesson's
*current* version is its highest published version, or its highest version when none was ever
published (damstra.md L1). Custom fields are defined once per organisation (`fieldId`) and valued per version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.damstra.emulator.base_store import Database
from lmsform.providers.emulation.sqlite import TableDump, placeholders

LESSON_STATUSES = ("active", "inactive", "never", "rendering", "error")

LESSON_TABLES = (
    """CREATE TABLE IF NOT EXISTS lessons (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        duration INTEGER NOT NULL,
        in_library INTEGER NOT NULL,
        questionnaire_type INTEGER NOT NULL,
        chapter_count INTEGER NOT NULL,
        question_count INTEGER NOT NULL,
        pass_rate INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS lesson_versions (
        id INTEGER PRIMARY KEY,
        lesson_id INTEGER NOT NULL REFERENCES lessons(id),
        version INTEGER NOT NULL,
        published INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        UNIQUE (lesson_id, version)
    )""",
    """CREATE TABLE IF NOT EXISTS custom_fields (
        id INTEGER PRIMARY KEY,
        field_id TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        type TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS custom_field_values (
        id INTEGER PRIMARY KEY,
        lesson_version_id INTEGER NOT NULL REFERENCES lesson_versions(id),
        custom_field_id INTEGER NOT NULL REFERENCES custom_fields(id),
        value TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
)
LESSON_RESET_ORDER = ("custom_field_values", "custom_fields", "lesson_versions", "lessons")
LESSON_DUMPS = (
    TableDump("lessons", "lessons", order_by="id", booleans=frozenset({"in_library"})),
    TableDump("lessonVersions", "lesson_versions", order_by="id", booleans=frozenset({"published"})),
    TableDump("customFields", "custom_fields", order_by="id"),
    TableDump("customFieldValues", "custom_field_values", order_by="id"),
)

_LESSON_COLUMNS = (
    "id, name, status, duration, in_library, questionnaire_type, chapter_count, question_count, "
    "pass_rate, created_at"
)

_VERSION_COLUMNS = "id, lesson_id, version, published, created_at, modified_at"


@dataclass(frozen=True)
class CustomFieldValue:
    id: int
    lesson_version_id: int
    custom_field_id: int
    field_id: str
    description: str
    type: str
    value: str
    created_at: str


@dataclass(frozen=True)
class VersionRecord:
    id: int
    lesson_id: int
    version: int
    published: bool
    created_at: str
    modified_at: str


@dataclass(frozen=True)
class LessonRecord:
    id: int
    name: str
    status: str
    duration: int
    in_library: bool
    questionnaire_type: int
    chapter_count: int
    question_count: int
    pass_rate: int
    created_at: str
    versions: tuple[VersionRecord, ...]

    @property
    def latest_published_version(self) -> VersionRecord | None:
        published = [version for version in self.versions if version.published]
        return max(published, key=lambda version: version.version, default=None)

    @property
    def current_version(self) -> VersionRecord:
        """The version `GET /lesson` shows and scheduling needs (damstra.md L1)."""
        return self.latest_published_version or max(self.versions, key=lambda version: version.version)


@dataclass(frozen=True)
class LessonFilter:
    statuses: tuple[str, ...] = LESSON_STATUSES
    lesson_ids: tuple[int, ...] | None = None
    name_part: str | None = None


def _version_from_row(row: Sequence[Any]) -> VersionRecord:
    return VersionRecord(row[0], row[1], row[2], bool(row[3]), row[4], row[5])


class LessonStore(Database):
    def insert_lesson(self, lesson_id: int, columns: dict[str, Any]) -> None:
        values = {"id": lesson_id, **columns}
        self._run(
            f"INSERT INTO lessons ({', '.join(values)}) VALUES ({placeholders(len(values))})",
            tuple(values.values()),
        )

    def insert_version(
        self, version_id: int, lesson_id: int, version: int, published: bool, now: str
    ) -> None:
        self._run(
            "INSERT INTO lesson_versions (id, lesson_id, version, published, created_at, modified_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (version_id, lesson_id, version, published, now, now),
        )

    def custom_field_id(self, field_id: str) -> int | None:
        row = self._one("SELECT id FROM custom_fields WHERE field_id = ?", (field_id,))
        return None if row is None else int(row[0])

    def insert_custom_field(
        self, custom_field_id: int, field_id: str, description: str, field_type: str
    ) -> None:
        self._run(
            "INSERT INTO custom_fields (id, field_id, description, type) VALUES (?, ?, ?, ?)",
            (custom_field_id, field_id, description, field_type),
        )

    def insert_custom_field_value(
        self, value_id: int, version_id: int, custom_field_id: int, value: str, now: str
    ) -> None:
        self._run(
            "INSERT INTO custom_field_values (id, lesson_version_id, custom_field_id, value, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (value_id, version_id, custom_field_id, value, now),
        )

    def get_lesson(self, lesson_id: int) -> LessonRecord | None:
        row = self._one(f"SELECT {_LESSON_COLUMNS} FROM lessons WHERE id = ?", (lesson_id,))
        return None if row is None else self._with_versions([row])[0]

    def lesson_named(self, name: str) -> LessonRecord | None:
        row = self._one(f"SELECT {_LESSON_COLUMNS} FROM lessons WHERE name = ? ORDER BY id", (name,))
        return None if row is None else self._with_versions([row])[0]

    def get_version(self, version_id: int) -> VersionRecord | None:
        row = self._one(
            f"SELECT {_VERSION_COLUMNS} FROM lesson_versions WHERE id = ?",
            (version_id,),
        )
        return None if row is None else _version_from_row(row)

    def find_lessons(
        self, lesson_filter: LessonFilter, offset: int = 0, limit: int = -1
    ) -> tuple[int, list[LessonRecord]]:
        clauses = [f"status IN ({placeholders(len(lesson_filter.statuses))})"]
        params: list[Any] = list(lesson_filter.statuses)
        if lesson_filter.lesson_ids is not None:
            clauses.append(f"id IN ({placeholders(len(lesson_filter.lesson_ids))})")
            params.extend(lesson_filter.lesson_ids)
        if lesson_filter.name_part is not None:
            clauses.append("instr(casefold(name), ?)")
            params.append(lesson_filter.name_part.casefold())
        where = " AND ".join(clauses)
        with self.transaction():
            total = self._count(f"SELECT id FROM lessons WHERE {where}", params)
            rows = self._all(
                f"SELECT {_LESSON_COLUMNS} FROM lessons WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
            return total, self._with_versions(rows)

    def custom_field_values(self, version_ids: Sequence[int]) -> dict[int, list[CustomFieldValue]]:
        found: dict[int, list[CustomFieldValue]] = {version_id: [] for version_id in version_ids}
        rows = self._all(
            "SELECT v.id, v.lesson_version_id, f.id, f.field_id, f.description, f.type, v.value, "
            "v.created_at "
            "FROM custom_field_values v JOIN custom_fields f ON f.id = v.custom_field_id "
            f"WHERE v.lesson_version_id IN ({placeholders(len(version_ids))}) ORDER BY v.id",
            tuple(version_ids),
        )
        for row in rows:
            found[row[1]].append(CustomFieldValue(*row))
        return found

    def _with_versions(self, rows: Sequence[Sequence[Any]]) -> list[LessonRecord]:
        lesson_ids = [row[0] for row in rows]
        version_rows = self._all(
            f"SELECT {_VERSION_COLUMNS} FROM lesson_versions "
            f"WHERE lesson_id IN ({placeholders(len(lesson_ids))}) ORDER BY version",
            tuple(lesson_ids),
        )
        versions: dict[int, list[VersionRecord]] = {lesson_id: [] for lesson_id in lesson_ids}
        for version_row in version_rows:
            versions[version_row[1]].append(_version_from_row(version_row))
        return [
            LessonRecord(
                row[0],
                row[1],
                row[2],
                row[3],
                bool(row[4]),
                row[5],
                row[6],
                row[7],
                row[8],
                row[9],
                tuple(versions[row[0]]),
            )
            for row in rows
        ]
