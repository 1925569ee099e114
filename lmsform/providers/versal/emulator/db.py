"""SQLite plumbing shared by the emulator's stores.

One file holds the whole state. The HTTP server is threaded, so the store keeps one connection behind
a re-entrant lock, and the app wraps every request in `transaction()`: a request that fails half-way
leaves nothing behind. Reopening the same file keeps every row.

Ids come from per-kind counters (`next_id`) that are never rewound, not even by the reset hook, so an
id is never handed out twice. Users start at 1001, courses at 501; lessons and gadgets share one
counter and are written in base 36 behind a letter (`l1`, `g2s`), so they read as short alphanumeric
strings and never look like a user or course id.
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

ID_STARTS = {"user": 1001, "course": 501, "content": 1}
"""The first id of each kind."""

COUNTER_TABLES = (
    """CREATE TABLE IF NOT EXISTS counters (
        kind TEXT PRIMARY KEY,
        next_value INTEGER NOT NULL
    )""",
)
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class TableDump:
    """How one table shows in the state dump: its key, order and which columns to decode."""

    key: str
    table: str
    order_by: str
    booleans: frozenset[str] = frozenset()
    json_columns: frozenset[str] = frozenset()

    def decode(self, row: dict[str, Any]) -> dict[str, Any]:
        for name in self.booleans & row.keys():
            row[name] = bool(row[name])
        for name in self.json_columns & row.keys():
            row[name] = None if row[name] is None else json.loads(row[name])
        return row


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


def base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if number == 0:
            return digits


class Database:
    """The connection, its lock and transactions, id counters and the query helpers every store uses."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
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
        """The next id of `kind` (a key of ID_STARTS); counters survive resets."""
        with self.transaction():
            self._run(
                "INSERT OR IGNORE INTO counters (kind, next_value) VALUES (?, ?)", (kind, ID_STARTS[kind])
            )
            value: int = self._one(
                "UPDATE counters SET next_value = next_value + 1 WHERE kind = ? RETURNING next_value - 1",
                (kind,),
            )[0]
            return value

    def next_content_id(self, prefix: str) -> str:
        """A short alphanumeric lesson (`l…`) or gadget (`g…`) id."""
        return prefix + base36(self.next_id("content"))

    # Single statements are atomic by themselves; the lock keeps them out of another thread's transaction.

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.transaction():
            self._db.executemany(sql, rows)

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._one(sql, params)
        return None if row is None else row[0]

    def _dump_table(self, dump: TableDump) -> list[dict[str, Any]]:
        with self.transaction():
            cursor = self._db.execute(f"SELECT * FROM {dump.table} ORDER BY {dump.order_by}")
            columns = [description[0] for description in cursor.description]
            return [dump.decode(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value
