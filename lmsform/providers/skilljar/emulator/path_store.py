"""A published path's ordered items (published courses) and its labels, in SQLite (skilljar.md D60 to D62)."""

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
    now_timestamp,
    table_dump,
)
from lmsform.providers.skilljar.emulator.course_store import LabelRecord
from lmsform.providers.skilljar.emulator.publication_store import PATH_FIELDS

PATH_TABLES = (
    # An item goes with its path and with its published course (unpublishing removes it from paths).
    """CREATE TABLE IF NOT EXISTS path_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        published_path_id TEXT NOT NULL REFERENCES published_paths(id) ON DELETE CASCADE,
        published_course_id TEXT NOT NULL REFERENCES published_courses(id) ON DELETE CASCADE,
        "order" INTEGER NOT NULL,
        UNIQUE (published_path_id, published_course_id)
    )""",
    """CREATE TABLE IF NOT EXISTS path_labels (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        published_path_id TEXT NOT NULL REFERENCES published_paths(id) ON DELETE CASCADE,
        label_id TEXT NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        UNIQUE (published_path_id, label_id)
    )""",
    "CREATE INDEX IF NOT EXISTS path_items_by_path ON path_items(published_path_id)",
)
PATH_RESET_ORDER = ("path_items", "path_labels")
PATH_DUMPS = (table_dump("path_items", "path_items"), table_dump("path_labels", "path_labels"))


@dataclass(frozen=True)
class PathItemRecord:
    id: str
    published_path_id: str
    order: int
    published_course_id: str
    course_id: str
    slug: str


_ITEM_COLUMNS = 'i.id, i.published_path_id, i."order", p.id, p.course_id, p.slug'
_ITEM_SOURCE = "path_items i JOIN published_courses p ON p.id = i.published_course_id"
# Items show by `order`, equal orders in the order they were made (skilljar.md D61).
_ITEM_ORDER = 'i."order", i.seq'
_LABEL_SOURCE = "path_labels pl JOIN labels l ON l.id = pl.label_id"


def _item_from_row(row: Sequence[Any]) -> PathItemRecord:
    return PathItemRecord(*row)


class PathStore(Database):
    """Items and labels of published paths; both go when their path is deleted. A Path's own fields
    live on its published path's row (`publication_store`): here they are found and changed by the
    Path's id, as `/v1/paths/{path_id}` does."""

    def published_path_of(self, path_id: str) -> tuple[str, str] | None:
        """The (domain, published path id) that holds this Path."""
        row = self._one("SELECT domain_name, id FROM published_paths WHERE path_id = ?", (path_id,))
        return None if row is None else (str(row[0]), str(row[1]))

    def update_path(self, path_id: str, changes: Mapping[str, Any]) -> None:
        if changes:
            columns = {**changes, "modified_at": now_timestamp()}
            self._update("published_paths", columns, {*PATH_FIELDS, "modified_at"}, {"path_id": path_id})

    # --- items ----------------------------------------------------------------------------------

    def get_path_item(self, published_path_id: str, item_id: str) -> PathItemRecord | None:
        row = self._one(
            f"SELECT {_ITEM_COLUMNS} FROM {_ITEM_SOURCE} WHERE i.published_path_id = ? AND i.id = ?",
            (published_path_id, item_id),
        )
        return None if row is None else _item_from_row(row)

    def path_has_course(self, published_path_id: str, published_course_id: str) -> bool:
        return self._exists(
            "SELECT 1 FROM path_items WHERE published_path_id = ? AND published_course_id = ?",
            (published_path_id, published_course_id),
        )

    def add_path_item(self, published_path_id: str, published_course_id: str, order: int) -> PathItemRecord:
        item_id = new_id()
        with self.transaction():
            self._run(
                'INSERT INTO path_items (id, published_path_id, published_course_id, "order") '
                "VALUES (?, ?, ?, ?)",
                (item_id, published_path_id, published_course_id, order),
            )
            item = self.get_path_item(published_path_id, item_id)
            assert item is not None
            return item

    def move_path_item(self, published_path_id: str, item_id: str, order: int) -> PathItemRecord | None:
        with self.transaction():
            self._run(
                'UPDATE path_items SET "order" = ? WHERE published_path_id = ? AND id = ?',
                (order, published_path_id, item_id),
            )
            return self.get_path_item(published_path_id, item_id)

    def delete_path_item(self, published_path_id: str, item_id: str) -> bool:
        return (
            self._run(
                "DELETE FROM path_items WHERE published_path_id = ? AND id = ?", (published_path_id, item_id)
            )
            > 0
        )

    def count_path_items(self, published_path_id: str) -> int:
        count: int = self._scalar(
            "SELECT COUNT(*) FROM path_items WHERE published_path_id = ?", (published_path_id,)
        )
        return count

    def list_path_items(self, published_path_id: str, window: Window = ALL_ROWS) -> Slice[PathItemRecord]:
        where = Conditions()
        where.add("i.published_path_id = ?", published_path_id)
        return self._slice(_ITEM_COLUMNS, _ITEM_SOURCE, where, _ITEM_ORDER, window, _item_from_row)

    # --- labels ---------------------------------------------------------------------------------

    def get_path_label(self, published_path_id: str, label_id: str) -> LabelRecord | None:
        row = self._one(
            f"SELECT l.id, l.name FROM {_LABEL_SOURCE} WHERE pl.published_path_id = ? AND pl.label_id = ?",
            (published_path_id, label_id),
        )
        return None if row is None else LabelRecord(*row)

    def add_path_label(self, published_path_id: str, label_id: str) -> None:
        self._run(
            "INSERT OR IGNORE INTO path_labels (published_path_id, label_id) VALUES (?, ?)",
            (published_path_id, label_id),
        )

    def remove_path_label(self, published_path_id: str, label_id: str) -> bool:
        return (
            self._run(
                "DELETE FROM path_labels WHERE published_path_id = ? AND label_id = ?",
                (published_path_id, label_id),
            )
            > 0
        )

    def list_path_labels(self, published_path_id: str, window: Window = ALL_ROWS) -> Slice[LabelRecord]:
        where = Conditions()
        where.add("pl.published_path_id = ?", published_path_id)
        return self._slice(
            "l.id, l.name", _LABEL_SOURCE, where, "pl.seq", window, lambda row: LabelRecord(*row)
        )

    def paths_labelled(self, name: str) -> set[str]:
        """The published paths that carry the label of this exact name."""
        rows = self._all(f"SELECT pl.published_path_id FROM {_LABEL_SOURCE} WHERE l.name = ?", (name,))
        return {str(row[0]) for row in rows}
