"""SQLite plumbing shared by the emulator's per-area stores.

One database file holds one emulator state. The HTTP server is threaded, so a store keeps a single
connection guarded by a re-entrant lock; the emulator wraps each request in `transaction()` so a
failed request never leaves partial writes. Reopening the same file keeps every row.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

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


@dataclass(frozen=True)
class TableDump:
    """How one table shows in the state dump: its key, and which columns to decode."""

    key: str
    table: str
    booleans: frozenset[str] = frozenset()
    json_columns: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def decode(self, row: dict[str, Any]) -> dict[str, Any]:
        decoded = {name: value for name, value in row.items() if name != "seq" and name not in self.hidden}
        for name in self.booleans & decoded.keys():
            if decoded[name] is not None:
                decoded[name] = bool(decoded[name])
        for name in self.json_columns & decoded.keys():
            if decoded[name] is not None:
                decoded[name] = json.loads(decoded[name])
        return decoded


def set_clause(changes: Mapping[str, Any], allowed: Iterable[str]) -> str:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return ", ".join(f"{column} = ?" for column in changes)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


class Database:
    """The connection, its lock and transactions, and the query helpers every area store uses."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        # WAL with NORMAL sync is durable across process restarts and far faster than the defaults.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested calls join the outer transaction."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def _migrate(self, statements: Sequence[str], version: int) -> None:
        with self.transaction():
            for statement in statements:
                self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {version}")

    def schema_version(self) -> int:
        version: int = self._one("PRAGMA user_version")[0]
        return version

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.transaction():
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction():
            return self._db.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.transaction():
            return self._db.execute(sql, params).rowcount

    def _exists(self, sql: str, params: Sequence[Any] = ()) -> bool:
        return bool(self._one(f"SELECT EXISTS ({sql})", params)[0])

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
            total = self._one(f"SELECT COUNT(*) FROM {source} WHERE {where.sql}", where.params)[0]
            limit = -1 if window.limit is None else window.limit
            rows = self._all(
                f"SELECT {columns} FROM {source} WHERE {where.sql} ORDER BY {order_by} LIMIT ? OFFSET ?",
                [*where.params, limit, window.offset],
            )
            return Slice(total, [convert(row) for row in rows])

    def _dump_table(self, dump: TableDump) -> list[dict[str, Any]]:
        with self.transaction():
            cursor = self._db.execute(f"SELECT * FROM {dump.table} ORDER BY seq")
            columns = [description[0] for description in cursor.description]
            return [dump.decode(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]
