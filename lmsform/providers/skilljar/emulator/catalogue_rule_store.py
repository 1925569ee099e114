"""Catalogue tags and the rules of published courses (prerequisites, group prerequisites, visibility
overrides, tags, the re-enrollment rule) and of published paths (tags, visibility overrides) in SQLite
(skilljar.md D70 to D74, D85).

Every rule row points at its parent with a foreign-key cascade, so unpublishing a course, deleting
it or deleting a path removes its rules; deleting a group or a tag removes the rules that name it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import Conditions
from lmsform.providers.skilljar.emulator.base_store import (
    ALL_ROWS,
    Database,
    Slice,
    Window,
    new_id,
    table_dump,
)

_PUBLICATION = "published_course_id TEXT NOT NULL REFERENCES published_courses(id) ON DELETE CASCADE"
_PATH = "published_path_id TEXT NOT NULL REFERENCES published_paths(id) ON DELETE CASCADE"
_GROUP = "group_id TEXT NOT NULL REFERENCES student_groups(id) ON DELETE CASCADE"
CATALOGUE_RULE_TABLES = (
    """CREATE TABLE IF NOT EXISTS tags (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        slug TEXT NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS published_course_tags (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        {_PUBLICATION},
        tag_id TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        UNIQUE (published_course_id, tag_id)
    )""",
    f"""CREATE TABLE IF NOT EXISTS published_course_prerequisites (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        {_PUBLICATION},
        prerequisite_id TEXT NOT NULL REFERENCES published_courses(id) ON DELETE CASCADE,
        UNIQUE (published_course_id, prerequisite_id)
    )""",
    f"""CREATE TABLE IF NOT EXISTS group_prerequisites (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        {_PUBLICATION},
        {_GROUP},
        UNIQUE (published_course_id, group_id)
    )""",
    f"""CREATE TABLE IF NOT EXISTS visibility_overrides (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        {_PUBLICATION},
        {_GROUP},
        is_visible INTEGER NOT NULL,
        UNIQUE (published_course_id, group_id)
    )""",
    f"""CREATE TABLE IF NOT EXISTS reenrollment_rules (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        {_PUBLICATION} UNIQUE,
        starts_at TEXT NOT NULL,
        cycle_duration INTEGER NOT NULL,
        cycle_duration_unit TEXT NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS published_path_tags (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        {_PATH},
        tag_id TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        UNIQUE (published_path_id, tag_id)
    )""",
    f"""CREATE TABLE IF NOT EXISTS path_visibility_overrides (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        {_PATH},
        {_GROUP},
        is_visible INTEGER NOT NULL,
        UNIQUE (published_path_id, group_id)
    )""",
)
# The rule lists that name groups, and those of them that hold `is_visible`.
_GROUP_RULE_TABLES = ("group_prerequisites", "visibility_overrides", "path_visibility_overrides")
_VISIBILITY_TABLES = frozenset({"visibility_overrides", "path_visibility_overrides"})
CATALOGUE_RULE_RESET_ORDER = (
    "published_course_tags",
    "published_path_tags",
    "published_course_prerequisites",
    *_GROUP_RULE_TABLES,
    "reenrollment_rules",
    "tags",
)
CATALOGUE_RULE_DUMPS = (
    table_dump("tags", "tags"),
    table_dump("published_course_tags", "published_course_tags"),
    table_dump("published_course_prerequisites", "published_course_prerequisites"),
    table_dump("group_prerequisites", "group_prerequisites"),
    table_dump("visibility_overrides", "visibility_overrides", booleans=frozenset({"is_visible"})),
    table_dump("reenrollment_rules", "reenrollment_rules"),
    table_dump("published_path_tags", "published_path_tags"),
    table_dump("path_visibility_overrides", "path_visibility_overrides", booleans=frozenset({"is_visible"})),
)
REENROLLMENT_SETTINGS = ("starts_at", "cycle_duration", "cycle_duration_unit")


@dataclass(frozen=True)
class RuleTables:
    """Where one kind of parent keeps its rule rows: the column naming it, its tag and override tables."""

    column: str
    tags: str
    visibility_overrides: str


COURSE_RULES = RuleTables("published_course_id", "published_course_tags", "visibility_overrides")
PATH_RULES = RuleTables("published_path_id", "published_path_tags", "path_visibility_overrides")


@dataclass(frozen=True)
class TagRecord:
    id: str
    name: str
    slug: str


@dataclass(frozen=True)
class GroupRuleRecord:
    group_id: str
    group_name: str
    is_visible: bool


@dataclass(frozen=True)
class ReenrollmentRecord:
    id: str
    starts_at: str
    cycle_duration: int
    cycle_duration_unit: str


def _tag(row: Sequence[Any]) -> TagRecord:
    return TagRecord(row[0], row[1], row[2])


def _reenrollment(row: Sequence[Any]) -> ReenrollmentRecord:
    return ReenrollmentRecord(row[0], row[1], int(row[2]), row[3])


class CatalogueRuleStore(Database):
    # --- tags ----------------------------------------------------------------------------------

    def create_tag(self, name: str, slug: str) -> TagRecord:
        tag = TagRecord(new_id(), name, slug)
        self._run("INSERT INTO tags (id, name, slug) VALUES (?, ?, ?)", (tag.id, name, slug))
        return tag

    def get_tag(self, tag_id: str) -> TagRecord | None:
        row = self._one("SELECT id, name, slug FROM tags WHERE id = ?", (tag_id,))
        return None if row is None else _tag(row)

    def tag_named(self, name: str, other_than: str | None = None) -> bool:
        return self._exists("SELECT 1 FROM tags WHERE name = ? AND id IS NOT ?", (name, other_than))

    def rename_tag(self, tag_id: str, name: str, slug: str) -> None:
        self._run("UPDATE tags SET name = ?, slug = ? WHERE id = ?", (name, slug, tag_id))

    def delete_tag(self, tag_id: str) -> bool:
        return self._run("DELETE FROM tags WHERE id = ?", (tag_id,)) > 0

    def list_tags(self, window: Window = ALL_ROWS) -> Slice[TagRecord]:
        return self._slice("id, name, slug", "tags", Conditions(), "seq", window, _tag)

    # --- a parent's tags, a publication's prerequisites -------------------------------------------

    def tags_of(self, parent: RuleTables, parent_id: str, window: Window = ALL_ROWS) -> Slice[TagRecord]:
        where = Conditions()
        where.add(f"l.{parent.column} = ?", parent_id)
        source = f"{parent.tags} l JOIN tags t ON t.id = l.tag_id"
        return self._slice("t.id, t.name, t.slug", source, where, "l.seq", window, _tag)

    def prerequisites(self, published_course_id: str, window: Window = ALL_ROWS) -> Slice[str]:
        where = Conditions()
        where.add("published_course_id = ?", published_course_id)
        return self._slice(
            "prerequisite_id", "published_course_prerequisites", where, "seq", window, lambda row: str(row[0])
        )

    def add_link(
        self, table: str, column: str, parent_id: str, target_id: str, parent: str = "published_course_id"
    ) -> bool:
        """Link a tag or prerequisite to its parent (`parent`: the column naming it); False when it is
        linked already."""
        if self._exists(f"SELECT 1 FROM {table} WHERE {parent} = ? AND {column} = ?", (parent_id, target_id)):
            return False
        self._run(f"INSERT INTO {table} ({parent}, {column}) VALUES (?, ?)", (parent_id, target_id))
        return True

    def remove_link(
        self, table: str, column: str, parent_id: str, target_id: str, parent: str = "published_course_id"
    ) -> bool:
        return (
            self._run(f"DELETE FROM {table} WHERE {parent} = ? AND {column} = ?", (parent_id, target_id)) > 0
        )

    # --- group prerequisites and visibility overrides -------------------------------------------

    def group_rules(
        self,
        table: str,
        parent_id: str,
        window: Window = ALL_ROWS,
        group_id: str | None = None,
        parent: str = "published_course_id",
    ) -> Slice[GroupRuleRecord]:
        where = Conditions()
        where.add(f"r.{parent} = ?", parent_id)
        if group_id is not None:
            where.add("r.group_id = ?", group_id)
        visible = "r.is_visible" if table in _VISIBILITY_TABLES else "1"
        return self._slice(
            f"g.id, g.name, {visible}",
            f"{table} r JOIN student_groups g ON g.id = r.group_id",
            where,
            "r.seq",
            window,
            lambda row: GroupRuleRecord(row[0], row[1], bool(row[2])),
        )

    def add_group_rule(
        self,
        table: str,
        parent_id: str,
        group_id: str,
        is_visible: bool | None = None,
        parent: str = "published_course_id",
    ) -> bool:
        """False when the group has that rule on the parent already."""
        if self.group_rules(table, parent_id, group_id=group_id, parent=parent).total:
            return False
        if is_visible is None:
            self._run(f"INSERT INTO {table} ({parent}, group_id) VALUES (?, ?)", (parent_id, group_id))
        else:
            self._run(
                f"INSERT INTO {table} ({parent}, group_id, is_visible) VALUES (?, ?, ?)",
                (parent_id, group_id, int(is_visible)),
            )
        return True

    def remove_group_rule(
        self, table: str, parent_id: str, group_id: str, parent: str = "published_course_id"
    ) -> bool:
        return self.remove_link(table, "group_id", parent_id, group_id, parent)

    # --- the re-enrollment rule ------------------------------------------------------------------

    def get_reenrollment_rule(self, published_course_id: str) -> ReenrollmentRecord | None:
        row = self._one(
            "SELECT id, starts_at, cycle_duration, cycle_duration_unit FROM reenrollment_rules "
            "WHERE published_course_id = ?",
            (published_course_id,),
        )
        return None if row is None else _reenrollment(row)

    def create_reenrollment_rule(self, published_course_id: str, settings: Mapping[str, Any]) -> None:
        self._insert(
            "reenrollment_rules",
            {"id": new_id(), "published_course_id": published_course_id},
            settings,
            REENROLLMENT_SETTINGS,
        )

    def update_reenrollment_rule(self, published_course_id: str, changes: Mapping[str, Any]) -> None:
        self._update(
            "reenrollment_rules", changes, REENROLLMENT_SETTINGS, {"published_course_id": published_course_id}
        )

    def delete_reenrollment_rule(self, published_course_id: str) -> bool:
        return (
            self._run("DELETE FROM reenrollment_rules WHERE published_course_id = ?", (published_course_id,))
            > 0
        )
