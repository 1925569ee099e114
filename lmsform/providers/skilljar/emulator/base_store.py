"""What Skilljar's per-area stores add to the shared SQLite plumbing (`emulation.sqlite`).

Rows carry random string ids (`new_id`) and a hidden `seq` column that keeps creation order: lists are
windows (`Window`, `Slice`) in that order, and the state dump shows rows in it, without `seq`. The
schema is versioned (`PRAGMA user_version`) and migrated in one transaction.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from lmsform.providers.emulation.sqlite import SqliteDatabase, TableDump, placeholders

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


@dataclass
class Conditions:
    """WHERE clauses and their parameters, built up one filter at a time."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"


def set_clause(changes: Mapping[str, Any], allowed: Iterable[str]) -> str:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return ", ".join(f"{column} = ?" for column in changes)


class Database(SqliteDatabase):
    """The shared store plumbing plus schema versions, generic inserts and updates, and windowed lists."""

    def _migrate(self, statements: Sequence[str], version: int) -> None:
        with self.transaction():
            self._create_tables(statements)
            self._run(f"PRAGMA user_version = {version}")

    def schema_version(self) -> int:
        version: int = self._scalar("PRAGMA user_version")
        return version

    def _update(
        self, table: str, changes: Mapping[str, Any], allowed: Iterable[str], key: Mapping[str, Any]
    ) -> None:
        """`UPDATE table SET …` for the given columns of the row(s) matching `key`; no-op without changes."""
        if not changes:
            return
        where = " AND ".join(f"{column} = ?" for column in key)
        self._run(
            f"UPDATE {table} SET {set_clause(changes, allowed)} WHERE {where}",
            (*changes.values(), *key.values()),
        )

    def _insert(
        self, table: str, own: Mapping[str, Any], given: Mapping[str, Any], writable: Iterable[str]
    ) -> None:
        """Insert a row's own columns (ids, stamps) plus the given writable ones; the rest take defaults."""
        unknown = set(given) - set(writable)
        if unknown:
            raise ValueError(f"not writable: {sorted(unknown)}")
        values = {**own, **given}
        self._run(
            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders(len(values))})",
            tuple(values.values()),
        )

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
