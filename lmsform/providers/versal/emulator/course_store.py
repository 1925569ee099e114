"""Courses, their lessons and gadgets, in SQLite (seeded only: the API cannot write them, versal.md D23).

The emulator keeps one revision per course: editors' "sandbox" view and the published view show the
same content. `published` mirrors whether `catalogs` holds `labs`. Lessons and gadgets keep the order
they were seeded in (`position`). A gadget's `private` config holds the fields only users with edit
rights see (versal.md Gadgets).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import TableDump, read_back
from lmsform.providers.versal.emulator.base_store import Database

EDITOR_ROLES = ("author", "contributor", "publisher")
"""Course roles that count as rights to edit and/or publish (versal.md D8)."""

COURSE_TABLES = (
    """CREATE TABLE IF NOT EXISTS courses (
        id INTEGER PRIMARY KEY,
        org_id INTEGER NOT NULL REFERENCES orgs (id),
        title TEXT,
        short_desc TEXT,
        long_desc TEXT,
        tags TEXT NOT NULL,
        public INTEGER NOT NULL,
        catalogs TEXT NOT NULL,
        published INTEGER NOT NULL,
        cover_image TEXT,
        created_at TEXT NOT NULL,
        last_published TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS courses_by_org ON courses (org_id, id)",
    """CREATE TABLE IF NOT EXISTS lessons (
        course_id INTEGER NOT NULL REFERENCES courses (id),
        id TEXT NOT NULL,
        position INTEGER NOT NULL,
        title TEXT NOT NULL,
        PRIMARY KEY (course_id, id)
    )""",
    """CREATE TABLE IF NOT EXISTS gadgets (
        course_id INTEGER NOT NULL REFERENCES courses (id),
        id TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        type TEXT NOT NULL,
        config TEXT NOT NULL,
        private TEXT NOT NULL,
        PRIMARY KEY (course_id, id)
    )""",
)
COURSE_DUMPS = (
    TableDump(
        "courses",
        "courses",
        "id",
        booleans=frozenset({"public", "published"}),
        json_columns=frozenset({"tags", "catalogs", "cover_image"}),
    ),
    TableDump("lessons", "lessons", "course_id, position"),
    TableDump(
        "gadgets", "gadgets", "course_id, lesson_id, position", json_columns=frozenset({"config", "private"})
    ),
)
COURSE_RESET_ORDER = ("gadgets", "lessons", "courses")


@dataclass(frozen=True)
class CourseRecord:
    id: int
    org_id: int
    title: str | None
    short_desc: str | None
    long_desc: str | None
    tags: list[str]
    public: bool
    catalogs: list[str]
    published: bool
    cover_image: dict[str, Any] | None
    created_at: str
    last_published: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> CourseRecord:
        (id_, org_id, title, short, long, tags, public, catalogs, published, cover, created, last) = row
        return cls(
            id_,
            org_id,
            title,
            short,
            long,
            json.loads(tags),
            bool(public),
            json.loads(catalogs),
            bool(published),
            None if cover is None else json.loads(cover),
            created,
            last,
        )


@dataclass(frozen=True)
class LessonRecord:
    id: str
    position: int
    title: str


@dataclass(frozen=True)
class GadgetRecord:
    id: str
    lesson_id: str
    type: str
    config: dict[str, Any]
    private: dict[str, Any]


@dataclass(frozen=True)
class CourseFilter:
    """What `GET /courses` keeps (versal.md Courses, D14)."""

    org_id: int
    title: str | None = None
    author: int | None = None
    catalog: str | None = None
    viewer: int | None = None
    """A session user without org-wide edit rights: only published courses and those it can edit."""

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ["c.org_id = ?"]
        params: list[Any] = [self.org_id]
        if self.title is not None:
            clauses.append("instr(casefold(coalesce(c.title, '')), ?) > 0")
            params.append(self.title.casefold())
        if self.author is not None:
            clauses.append(_EDITOR_EXISTS)
            params.append(self.author)
        if self.catalog is not None:
            clauses.append("c.published = ?")
            params.append(int(self.catalog == "labs"))
        if self.viewer is not None:
            clauses.append(f"(c.published = 1 OR {_EDITOR_EXISTS})")
            params.append(self.viewer)
        return " AND ".join(clauses), params


_EDITOR_EXISTS = (
    "EXISTS (SELECT 1 FROM course_roles r WHERE r.course_id = c.id AND r.user_id = ? "
    f"AND r.role IN ({', '.join(repr(role) for role in EDITOR_ROLES)}))"
)
_COURSE_COLUMNS = (
    "c.id, c.org_id, c.title, c.short_desc, c.long_desc, c.tags, c.public, c.catalogs, c.published, "
    "c.cover_image, c.created_at, c.last_published"
)


class CourseStore(Database):
    def course(self, course_id: int) -> CourseRecord | None:
        row = self._one(f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE c.id = ?", (course_id,))
        return None if row is None else CourseRecord.from_row(row)

    def count_courses(self, where: CourseFilter) -> int:
        clause, params = where.where()
        count: int = self._scalar(f"SELECT COUNT(*) FROM courses c WHERE {clause}", params)
        return count

    def courses_page(self, where: CourseFilter, limit: int, offset: int) -> list[CourseRecord]:
        clause, params = where.where()
        rows = self._all(
            f"SELECT {_COURSE_COLUMNS} FROM courses c WHERE {clause} ORDER BY c.id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [CourseRecord.from_row(row) for row in rows]

    def org_course_ids(self, org_id: int) -> list[int]:
        return [course_id for (course_id,) in self._all("SELECT id FROM courses WHERE org_id = ?", (org_id,))]

    def lessons(self, course_id: int) -> list[LessonRecord]:
        rows = self._all(
            "SELECT id, position, title FROM lessons WHERE course_id = ? ORDER BY position", (course_id,)
        )
        return [LessonRecord(*row) for row in rows]

    def lesson(self, course_id: int, lesson_id: str) -> LessonRecord | None:
        row = self._one(
            "SELECT id, position, title FROM lessons WHERE course_id = ? AND id = ?", (course_id, lesson_id)
        )
        return None if row is None else LessonRecord(*row)

    def gadgets(self, course_id: int) -> list[GadgetRecord]:
        rows = self._all(
            """SELECT g.id, g.lesson_id, g.type, g.config, g.private FROM gadgets g
               JOIN lessons l ON l.course_id = g.course_id AND l.id = g.lesson_id
               WHERE g.course_id = ? ORDER BY l.position, g.position""",
            (course_id,),
        )
        return [_gadget(row) for row in rows]

    def gadget(self, course_id: int, gadget_id: str) -> GadgetRecord | None:
        row = self._one(
            "SELECT id, lesson_id, type, config, private FROM gadgets WHERE course_id = ? AND id = ?",
            (course_id, gadget_id),
        )
        return None if row is None else _gadget(row)

    def insert_course(self, org_id: int, fields: Mapping[str, Any]) -> CourseRecord:
        course_id = self.next_id("course")
        catalogs = list(fields["catalogs"])
        cover = fields.get("cover_image")
        self._run(
            f"""INSERT INTO courses ({_COURSE_COLUMNS.replace("c.", "")})
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                course_id,
                org_id,
                fields.get("title"),
                fields.get("short_desc"),
                fields.get("long_desc"),
                json.dumps(list(fields["tags"])),
                int(fields["public"]),
                json.dumps(catalogs),
                int("labs" in catalogs),
                None if cover is None else json.dumps(cover),
                fields["created_at"],
                fields.get("last_published"),
            ),
        )
        return read_back(self.course(course_id))

    def insert_lesson(self, course_id: int, position: int, title: str) -> LessonRecord:
        lesson = LessonRecord(self.next_content_id("l"), position, title)
        self._run(
            "INSERT INTO lessons (course_id, id, position, title) VALUES (?, ?, ?, ?)",
            (course_id, lesson.id, position, title),
        )
        return lesson

    def insert_gadget(
        self,
        course_id: int,
        lesson_id: str,
        position: int,
        gadget_type: str,
        config: Mapping[str, Any],
        private: Mapping[str, Any],
    ) -> GadgetRecord:
        gadget = GadgetRecord(self.next_content_id("g"), lesson_id, gadget_type, dict(config), dict(private))
        self._run(
            """INSERT INTO gadgets (course_id, id, lesson_id, position, type, config, private)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (course_id, gadget.id, lesson_id, position, gadget_type, json.dumps(config), json.dumps(private)),
        )
        return gadget


def _gadget(row: Sequence[Any]) -> GadgetRecord:
    gadget_id, lesson_id, gadget_type, config, private = row
    return GadgetRecord(gadget_id, lesson_id, gadget_type, json.loads(config), json.loads(private))
