"""SQLite plumbing shared by the emulator's per-area stores.

One file holds one organisation's state. The HTTP server is threaded, so a store keeps a single
connection guarded by a re-entrant lock, and the app wraps every request in `transaction()`: a request
that fails half-way (a bulk import whose tenth user collides, a schedule request with one duplicate)
leaves nothing behind. Reopening the same file keeps every row.

Numeric ids come from per-kind counters (`next_id`) that are never rewound, not even by the reset
hook, so an id is never reused. Each kind starts in its own range (users at 100001, groups at 200001,
…) so that an id of the wrong kind sent by a client does not accidentally name a real object.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ID_RANGES = {
    "user": 100001,
    "group": 200001,
    "lesson": 300001,
    "lesson_version": 400001,
    "lesson_schedule": 500001,
    "custom_field": 600001,
    "custom_field_value": 700001,
}
"""The first id of each kind."""

COUNTER_TABLES = (
    """CREATE TABLE IF NOT EXISTS counters (
        kind TEXT PRIMARY KEY,
        next_value INTEGER NOT NULL
    )""",
)


@dataclass(frozen=True)
class TableDump:
    """How one table shows in the state dump: its key, and which columns to decode."""

    key: str
    table: str
    order_by: str = "id"
    booleans: frozenset[str] = frozenset()
    json_columns: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def decode(self, row: dict[str, Any]) -> dict[str, Any]:
        decoded = {name: value for name, value in row.items() if name not in self.hidden}
        for name in self.booleans & decoded.keys():
            decoded[name] = bool(decoded[name])
        for name in self.json_columns & decoded.keys():
            decoded[name] = json.loads(decoded[name])
        return decoded


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


class Database:
    """The connection, its lock and transactions, id counters and the query helpers every store uses."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
        # Case-insensitive matching (userName, q) for any script, not only ASCII as SQLite's lower().
        self._db.create_function("casefold", 1, _casefold, deterministic=True)
        self._db.execute("PRAGMA foreign_keys = ON")
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

    def _create_tables(self, statements: Sequence[str]) -> None:
        with self.transaction():
            for statement in statements:
                self._db.execute(statement)

    def next_id(self, kind: str) -> int:
        """The next id of `kind` (a key of ID_RANGES); counters survive resets, so ids are never reused."""
        with self.transaction():
            self._run(
                "INSERT OR IGNORE INTO counters (kind, next_value) VALUES (?, ?)", (kind, ID_RANGES[kind])
            )
            value: int = self._one(
                "UPDATE counters SET next_value = next_value + 1 WHERE kind = ? RETURNING next_value - 1",
                (kind,),
            )[0]
            return value

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.transaction():
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.transaction():
            return self._db.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.transaction():
            return self._db.execute(sql, params).rowcount

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        count: int = self._one(f"SELECT COUNT(*) FROM ({sql})", params)[0]
        return count

    def _dump_table(self, dump: TableDump) -> list[dict[str, Any]]:
        with self.transaction():
            cursor = self._db.execute(f"SELECT * FROM {dump.table} ORDER BY {dump.order_by}")
            columns = [description[0] for description in cursor.description]
            return [dump.decode(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value
