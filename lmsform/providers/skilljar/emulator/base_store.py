"""What Skilljar's per-area stores add to the shared SQLite plumbing (`emulation.sqlite`).

Rows carry random string ids (`new_id`) and a hidden `seq` column that keeps creation order: lists are
windows (`Window`, `Slice`) in that order, and the state dump shows rows in it, without `seq`. The
schema is versioned (`PRAGMA user_version`) and migrated in one transaction.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from lmsform.providers.emulation.sqlite import Conditions, SqliteDatabase, TableDump

ID_LENGTH = 13
_ID_ALPHABET = string.ascii_lowercase + string.digits

T = TypeVar("T")


def new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and `Z`, e.g. `2015-01-29T00:22:00.590250Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_timestamp() -> str:
    return format_timestamp(datetime.now(UTC))


def table_dump(
    key: str,
    table: str,
    *,
    booleans: frozenset[str] = frozenset(),
    json_columns: frozenset[str] = frozenset(),
    hidden: frozenset[str] = frozenset(),
) -> TableDump:
    """How one table shows in the state dump: in creation order, without its `seq` column."""
    return TableDump(
        key, table, order_by="seq", booleans=booleans, json_columns=json_columns, hidden=hidden | {"seq"}
    )


@dataclass(frozen=True)
class Window:
    """Which rows of a list to return, in creation order; `limit=None` means all of them."""

    offset: int = 0
    limit: int | None = None


ALL_ROWS = Window()


@dataclass(frozen=True)
class Slice(Generic[T]):
    """The rows inside a window, and how many rows match in total."""

    total: int
    items: list[T]


class Database(SqliteDatabase):
    """The shared store plumbing plus schema versions and windowed lists."""

    def _migrate(self, statements: Sequence[str], version: int) -> None:
        with self.transaction():
            self._create_tables(statements)
            self._run(f"PRAGMA user_version = {version}")

    def schema_version(self) -> int:
        version: int = self._scalar("PRAGMA user_version")
        return version

    def _slice(
        self,
        columns: str,
        source: str,
        where: Conditions,
        order_by: str,
        window: Window,
        convert: Callable[[Sequence[Any]], T],
    ) -> Slice[T]:
        """One window of a filtered list, with the count of the whole list."""
        with self.transaction():
            total = self._scalar(f"SELECT COUNT(*) FROM {source} WHERE {where.sql}", where.params)
            limit = -1 if window.limit is None else window.limit
            rows = self._all(
                f"SELECT {columns} FROM {source} WHERE {where.sql} ORDER BY {order_by} LIMIT ? OFFSET ?",
                [*where.params, limit, window.offset],
            )
            return Slice(total, [convert(row) for row in rows])
