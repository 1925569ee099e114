"""What each domain offers: published courses, published paths (with their path) and plans, in SQLite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import Conditions, placeholders, read_back
from lmsform.providers.skilljar.emulator.base_store import (
    ALL_ROWS,
    Database,
    Slice,
    Window,
    new_id,
    now_timestamp,
    table_dump,
)

PUBLICATION_TABLES = (
    """CREATE TABLE IF NOT EXISTS published_courses (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        course_id TEXT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
        slug TEXT NOT NULL,
        hidden INTEGER NOT NULL DEFAULT 0,
        strict_enforce_group_visibility INTEGER NOT NULL DEFAULT 0,
        registration_required INTEGER NOT NULL DEFAULT 1,
        registration_starts_at TEXT,
        registration_ends_at TEXT,
        restrict_access_start_end_dates INTEGER NOT NULL DEFAULT 0,
        allow_self_service_reenroll INTEGER NOT NULL DEFAULT 0,
        unique_progress_per_enrollment INTEGER NOT NULL DEFAULT 0,
        require_all_prerequisites INTEGER NOT NULL DEFAULT 0,
        offer_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (domain_name, course_id),
        UNIQUE (domain_name, slug)
    )""",
    # A published path and its Path are one row: the emulator creates and deletes them together.
    """CREATE TABLE IF NOT EXISTS published_paths (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        path_id TEXT NOT NULL UNIQUE,
        slug TEXT NOT NULL,
        title TEXT NOT NULL,
        short_description TEXT NOT NULL DEFAULT '',
        long_description_html TEXT NOT NULL DEFAULT '',
        header_html TEXT NOT NULL DEFAULT '',
        course_name_singular TEXT NOT NULL DEFAULT 'Course',
        course_name_plural TEXT NOT NULL DEFAULT 'Courses',
        hidden INTEGER NOT NULL DEFAULT 0,
        strict_enforce_group_visibility INTEGER NOT NULL DEFAULT 0,
        unique_progress_per_enrollment INTEGER NOT NULL DEFAULT 0,
        offer_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        UNIQUE (domain_name, slug)
    )""",
    """CREATE TABLE IF NOT EXISTS plans (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        domain_name TEXT NOT NULL REFERENCES domains(name),
        name TEXT NOT NULL,
        slug TEXT NOT NULL,
        hidden INTEGER NOT NULL DEFAULT 0,
        short_description TEXT,
        offer_id TEXT NOT NULL,
        UNIQUE (domain_name, name)
    )""",
    "CREATE INDEX IF NOT EXISTS published_courses_by_course ON published_courses(course_id)",
)
PUBLICATION_RESET_ORDER = ("published_courses", "published_paths", "plans")

PUBLISHED_COURSE_SETTINGS = (
    "slug",
    "hidden",
    "strict_enforce_group_visibility",
    "registration_required",
    "registration_starts_at",
    "registration_ends_at",
    "restrict_access_start_end_dates",
    "allow_self_service_reenroll",
    "unique_progress_per_enrollment",
    "require_all_prerequisites",
)
PUBLISHED_PATH_SETTINGS = (
    "slug",
    "hidden",
    "strict_enforce_group_visibility",
    "unique_progress_per_enrollment",
)
PATH_FIELDS = (
    "title",
    "short_description",
    "long_description_html",
    "header_html",
    "course_name_singular",
    "course_name_plural",
)
_FLAGS = frozenset(
    {
        "hidden",
        "strict_enforce_group_visibility",
        "registration_required",
        "restrict_access_start_end_dates",
        "allow_self_service_reenroll",
        "unique_progress_per_enrollment",
        "require_all_prerequisites",
    }
)
PUBLICATION_DUMPS = (
    table_dump("published_courses", "published_courses", booleans=_FLAGS),
    table_dump("published_paths", "published_paths", booleans=_FLAGS),
    table_dump("plans", "plans", booleans=_FLAGS),
)


@dataclass(frozen=True)
class CourseSummary:
    """The course behind a publication, as publications show it."""

    id: str
    title: str
    short_description: str
    long_description_html: str


@dataclass(frozen=True)
class PublishedCourseRecord:
    id: str
    domain_name: str
    course: CourseSummary
    slug: str
    hidden: bool
    strict_enforce_group_visibility: bool
    registration_required: bool
    registration_starts_at: str | None
    registration_ends_at: str | None
    restrict_access_start_end_dates: bool
    allow_self_service_reenroll: bool
    unique_progress_per_enrollment: bool
    require_all_prerequisites: bool
    offer_id: str


@dataclass(frozen=True)
class PathRecord:
    id: str
    title: str
    short_description: str
    long_description_html: str
    header_html: str
    course_name_singular: str
    course_name_plural: str


@dataclass(frozen=True)
class PublishedPathRecord:
    id: str
    domain_name: str
    path: PathRecord
    slug: str
    hidden: bool
    strict_enforce_group_visibility: bool
    unique_progress_per_enrollment: bool
    offer_id: str
    created_at: str
    modified_at: str


@dataclass(frozen=True)
class PlanRecord:
    id: str
    domain_name: str
    name: str
    slug: str
    hidden: bool
    short_description: str | None
    offer_id: str


_PUBLISHED_COURSE_COLUMNS = (
    "p.id, p.domain_name, c.id, c.title, c.short_description, c.long_description_html, "
    + ", ".join(f"p.{name}" for name in PUBLISHED_COURSE_SETTINGS)
    + ", p.offer_id"
)
_PUBLISHED_COURSE_SOURCE = "published_courses p JOIN courses c ON c.id = p.course_id"
_PUBLISHED_PATH_COLUMNS = (
    "id, domain_name, path_id, "
    + ", ".join(PATH_FIELDS)
    + ", "
    + ", ".join(PUBLISHED_PATH_SETTINGS)
    + ", offer_id, created_at, modified_at"
)
_PLAN_COLUMNS = "id, domain_name, name, slug, hidden, short_description, offer_id"


def _published_course_from_row(row: Sequence[Any]) -> PublishedCourseRecord:
    settings = dict(zip(PUBLISHED_COURSE_SETTINGS, row[6:16], strict=True))
    for name in _FLAGS & settings.keys():
        settings[name] = bool(settings[name])
    return PublishedCourseRecord(
        id=row[0], domain_name=row[1], course=CourseSummary(*row[2:6]), offer_id=row[16], **settings
    )


def _published_path_from_row(row: Sequence[Any]) -> PublishedPathRecord:
    return PublishedPathRecord(
        id=row[0],
        domain_name=row[1],
        path=PathRecord(row[2], *row[3:9]),
        slug=row[9],
        hidden=bool(row[10]),
        strict_enforce_group_visibility=bool(row[11]),
        unique_progress_per_enrollment=bool(row[12]),
        offer_id=row[13],
        created_at=row[14],
        modified_at=row[15],
    )


def _plan_from_row(row: Sequence[Any]) -> PlanRecord:
    return PlanRecord(
        id=row[0],
        domain_name=row[1],
        name=row[2],
        slug=row[3],
        hidden=bool(row[4]),
        short_description=row[5],
        offer_id=row[6],
    )


def _title_contains(where: Conditions, column: str, search: str | None) -> None:
    if search is not None:
        where.add(f"instr(lower({column}), ?) > 0", search.lower())


class PublicationStore(Database):
    """Publications are per domain; deleting one also deletes its enrollments (a foreign-key cascade)."""

    # --- published courses ----------------------------------------------------------------------

    def get_published_course(
        self, domain_name: str, published_course_id: str
    ) -> PublishedCourseRecord | None:
        row = self._one(
            f"SELECT {_PUBLISHED_COURSE_COLUMNS} FROM {_PUBLISHED_COURSE_SOURCE} "
            "WHERE p.domain_name = ? AND p.id = ?",
            (domain_name, published_course_id),
        )
        return None if row is None else _published_course_from_row(row)

    def find_publication_of_course(self, domain_name: str, course_id: str) -> PublishedCourseRecord | None:
        row = self._one(
            f"SELECT {_PUBLISHED_COURSE_COLUMNS} FROM {_PUBLISHED_COURSE_SOURCE} "
            "WHERE p.domain_name = ? AND p.course_id = ?",
            (domain_name, course_id),
        )
        return None if row is None else _published_course_from_row(row)

    def course_slug_taken(self, domain_name: str, slug: str, published_course_id: str | None = None) -> bool:
        return self._exists(
            "SELECT 1 FROM published_courses WHERE domain_name = ? AND slug = ? AND id IS NOT ?",
            (domain_name, slug, published_course_id),
        )

    def publish_course(
        self, domain_name: str, course_id: str, settings: Mapping[str, Any]
    ) -> PublishedCourseRecord:
        published_course_id = new_id()
        own = {
            "id": published_course_id,
            "domain_name": domain_name,
            "course_id": course_id,
            "offer_id": new_id(),
            "created_at": now_timestamp(),
        }
        with self.transaction():
            self._insert("published_courses", own, settings, PUBLISHED_COURSE_SETTINGS)
            return read_back(self.get_published_course(domain_name, published_course_id))

    def update_published_course(
        self, domain_name: str, published_course_id: str, changes: Mapping[str, Any]
    ) -> PublishedCourseRecord | None:
        with self.transaction():
            key = {"domain_name": domain_name, "id": published_course_id}
            self._update("published_courses", changes, PUBLISHED_COURSE_SETTINGS, key)
            return self.get_published_course(domain_name, published_course_id)

    def unpublish_course(self, domain_name: str, published_course_id: str) -> bool:
        """Delete the publication and its enrollments; False if there was none."""
        return (
            self._run(
                "DELETE FROM published_courses WHERE domain_name = ? AND id = ?",
                (domain_name, published_course_id),
            )
            > 0
        )

    def list_published_courses(
        self,
        domain_name: str,
        course_id: str | None = None,
        search: str | None = None,
        window: Window = ALL_ROWS,
    ) -> Slice[PublishedCourseRecord]:
        where = Conditions()
        where.add("p.domain_name = ?", domain_name)
        if course_id is not None:
            where.add("p.course_id = ?", course_id)
        _title_contains(where, "c.title", search)
        return self._slice(
            _PUBLISHED_COURSE_COLUMNS,
            _PUBLISHED_COURSE_SOURCE,
            where,
            "p.seq",
            window,
            _published_course_from_row,
        )

    # --- published paths ------------------------------------------------------------------------

    def get_published_path(self, domain_name: str, published_path_id: str) -> PublishedPathRecord | None:
        row = self._one(
            f"SELECT {_PUBLISHED_PATH_COLUMNS} FROM published_paths WHERE domain_name = ? AND id = ?",
            (domain_name, published_path_id),
        )
        return None if row is None else _published_path_from_row(row)

    def find_published_path_by_slug(self, domain_name: str, slug: str) -> PublishedPathRecord | None:
        row = self._one(
            f"SELECT {_PUBLISHED_PATH_COLUMNS} FROM published_paths WHERE domain_name = ? AND slug = ?",
            (domain_name, slug),
        )
        return None if row is None else _published_path_from_row(row)

    def path_exists(self, path_id: str) -> bool:
        return self._exists("SELECT 1 FROM published_paths WHERE path_id = ?", (path_id,))

    def publish_path(
        self, domain_name: str, path: Mapping[str, Any], settings: Mapping[str, Any]
    ) -> PublishedPathRecord:
        """A new Path and its publication on the domain, from the Path's fields and the publication's."""
        published_path_id = new_id()
        now = now_timestamp()
        own = {
            "id": published_path_id,
            "domain_name": domain_name,
            "path_id": new_id(),
            "offer_id": new_id(),
            "created_at": now,
            "modified_at": now,
        }
        with self.transaction():
            writable = (*PATH_FIELDS, *PUBLISHED_PATH_SETTINGS)
            self._insert("published_paths", own, {**path, **settings}, writable)
            return read_back(self.get_published_path(domain_name, published_path_id))

    def update_published_path(
        self, domain_name: str, published_path_id: str, changes: Mapping[str, Any]
    ) -> PublishedPathRecord | None:
        with self.transaction():
            if changes:
                columns = {**changes, "modified_at": now_timestamp()}
                key = {"domain_name": domain_name, "id": published_path_id}
                self._update("published_paths", columns, {*PUBLISHED_PATH_SETTINGS, "modified_at"}, key)
            return self.get_published_path(domain_name, published_path_id)

    def delete_published_path(self, domain_name: str, published_path_id: str) -> bool:
        """Delete the published path, its Path and its enrollments; False if there was none."""
        return (
            self._run(
                "DELETE FROM published_paths WHERE domain_name = ? AND id = ?",
                (domain_name, published_path_id),
            )
            > 0
        )

    def list_published_paths(
        self, domain_name: str, search: str | None = None, window: Window = ALL_ROWS
    ) -> Slice[PublishedPathRecord]:
        where = Conditions()
        where.add("domain_name = ?", domain_name)
        _title_contains(where, "title", search)
        return self._slice(
            _PUBLISHED_PATH_COLUMNS, "published_paths", where, "seq", window, _published_path_from_row
        )

    # --- plans (created only by the seed hook: the API cannot) ----------------------------------

    def get_plan(self, domain_name: str, plan_id: str) -> PlanRecord | None:
        row = self._one(
            f"SELECT {_PLAN_COLUMNS} FROM plans WHERE domain_name = ? AND id = ?", (domain_name, plan_id)
        )
        return None if row is None else _plan_from_row(row)

    def find_plan_by_name(self, domain_name: str, name: str) -> PlanRecord | None:
        row = self._one(
            f"SELECT {_PLAN_COLUMNS} FROM plans WHERE domain_name = ? AND name = ?", (domain_name, name)
        )
        return None if row is None else _plan_from_row(row)

    def create_plan(
        self,
        domain_name: str,
        name: str,
        slug: str,
        *,
        hidden: bool = False,
        short_description: str | None = None,
    ) -> PlanRecord:
        plan = PlanRecord(new_id(), domain_name, name, slug, hidden, short_description, new_id())
        self._run(
            f"INSERT INTO plans ({_PLAN_COLUMNS}) VALUES ({placeholders(7)})",
            (plan.id, domain_name, name, slug, hidden, short_description, plan.offer_id),
        )
        return plan

    def list_plans(self, domain_name: str, window: Window = ALL_ROWS) -> Slice[PlanRecord]:
        where = Conditions()
        where.add("domain_name = ?", domain_name)
        return self._slice(_PLAN_COLUMNS, "plans", where, "seq", window, _plan_from_row)
