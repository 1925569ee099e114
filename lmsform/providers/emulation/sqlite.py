"""SQLite plumbing every vendor emulator's store builds on.

One file holds one emulator's whole state. The HTTP server is threaded, so a store keeps a single
connection guarded by a re-entrant lock, and each emulator wraps every request in `transaction()`: a
request that fails half-way leaves nothing behind. Reopening the same file keeps every row.

Single statements are atomic by themselves, so the query helpers only take the lock (which keeps them
out of another thread's open transaction) instead of opening a transaction of their own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

COUNTER_TABLE = """CREATE TABLE IF NOT EXISTS counters (
    kind TEXT PRIMARY KEY,
    next_value INTEGER NOT NULL
)"""
"""The table behind `SqliteDatabase.next_id`; include it in a store's schema to use counters."""


RecordT = TypeVar("RecordT")


def read_back(record: RecordT | None) -> RecordT:
    """A record read again that is known to be there (written or found earlier in the same transaction)."""
    assert record is not None
    return record


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


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


def _only(columns: Iterable[str], allowed: Iterable[str], what: str) -> None:
    unknown = set(columns) - set(allowed)
    if unknown:
        raise ValueError(f"not {what}: {sorted(unknown)}")


@dataclass(frozen=True)
class TableDump:
    """How one table shows in the state dump: its key, order, hidden columns and columns to decode."""

    key: str
    table: str
    order_by: str = "rowid"
    booleans: frozenset[str] = frozenset()
    json_columns: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def decode(self, row: Mapping[str, Any]) -> dict[str, Any]:
        decoded = {name: value for name, value in row.items() if name not in self.hidden}
        for name in self.booleans & decoded.keys():
            if decoded[name] is not None:
                decoded[name] = bool(decoded[name])
        for name in self.json_columns & decoded.keys():
            if decoded[name] is not None:
                decoded[name] = json.loads(decoded[name])
        return decoded


class SqliteDatabase:
    """The connection, its lock and transactions, id counters and the query helpers of a store."""

    ID_STARTS: Mapping[str, int] = {}
    """The first id `next_id` hands out for each kind; a subclass fills it in."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
        # Case-insensitive matching (e-mails, search) for any script, not only ASCII as SQLite's lower().
        self._db.create_function("casefold", 1, _casefold, deterministic=True)
        self._db.execute("PRAGMA foreign_keys = ON")
        # WAL with NORMAL sync survives a process restart and is far faster than the defaults.
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
        """The next id of `kind` (a key of ID_STARTS); counters survive resets, so ids are never reused."""
        with self.transaction():
            self._run(
                "INSERT OR IGNORE INTO counters (kind, next_value) VALUES (?, ?)",
                (kind, self.ID_STARTS[kind]),
            )
            value: int = self._one(
                "UPDATE counters SET next_value = next_value + 1 WHERE kind = ? RETURNING next_value - 1",
                (kind,),
            )[0]
            return value

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

    def _insert(
        self,
        table: str,
        own: Mapping[str, Any],
        given: Mapping[str, Any] | None = None,
        writable: Iterable[str] = (),
    ) -> None:
        """Insert a row's own columns (ids, stamps) plus the given writable ones; the rest take defaults."""
        given = given or {}
        _only(given, writable, "writable")
        values = {**own, **given}
        self._run(
            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({placeholders(len(values))})",
            tuple(values.values()),
        )

    def _update(
        self, table: str, changes: Mapping[str, Any], allowed: Iterable[str], key: Mapping[str, Any]
    ) -> None:
        """`UPDATE table SET …` for the given columns of the row(s) matching `key`; no-op without changes."""
        _only(changes, allowed, "updatable")
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        where = " AND ".join(f"{column} = ?" for column in key)
        self._run(f"UPDATE {table} SET {assignments} WHERE {where}", (*changes.values(), *key.values()))

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._one(sql, params)
        return None if row is None else row[0]

    def _exists(self, sql: str, params: Sequence[Any] = ()) -> bool:
        return bool(self._one(f"SELECT EXISTS ({sql})", params)[0])

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        count: int = self._one(f"SELECT COUNT(*) FROM ({sql})", params)[0]
        return count

    def _delete_rows(self, tables: Sequence[str]) -> None:
        """Empty `tables` in the order given (tables that point at others first), in one transaction."""
        with self.transaction():
            for table in tables:
                self._run(f"DELETE FROM {table}")

    def _dump_tables(self, dumps: Sequence[TableDump]) -> dict[str, list[dict[str, Any]]]:
        """Every row of each table, as its `TableDump` shows it, keyed by the dump's key."""
        with self.transaction():
            return {dump.key: self._dump_table(dump) for dump in dumps}

    def _dump_table(self, dump: TableDump) -> list[dict[str, Any]]:
        with self.transaction():
            cursor = self._db.execute(f"SELECT * FROM {dump.table} ORDER BY {dump.order_by}")
            columns = [description[0] for description in cursor.description]
            return [dump.decode(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value
