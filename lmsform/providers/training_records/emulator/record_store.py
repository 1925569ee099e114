"""Training records in SQLite.

* `records`: one row per record. `seq` (AUTOINCREMENT, so never reused, not even after a reset) keeps
  the creation order every listing follows; `api_id` is unique; `person_api_id` and `package_api_id`
  must name registry rows (foreign keys); `package_desc` is the copy made from the package.
* Dates are stored as the API answers them (`dates`), so rows go out as they are.
* `search` matches every term (case-folded) as a substring of `package_desc`, `person_api_id`,
  `package_api_id` or the person's name, any of them; all terms must match.
* Generated ids are 12 random lowercase letters and digits, drawn again on the (unlikely) clash.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import SqliteDatabase, TableDump, placeholders
from lmsform.providers.training_records.emulator.registry_store import chunks

RECORD_TABLES = (
    """CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        api_id TEXT NOT NULL UNIQUE,
        person_api_id TEXT NOT NULL REFERENCES people (api_id),
        package_api_id TEXT NOT NULL REFERENCES packages (api_id),
        package_desc TEXT NOT NULL,
        date_assigned TEXT NOT NULL,
        date_started TEXT,
        date_completed TEXT
    )""",
    # The foreign keys are checked through these whenever a person or package row is written.
    "CREATE INDEX IF NOT EXISTS records_by_person ON records (person_api_id)",
    "CREATE INDEX IF NOT EXISTS records_by_package ON records (package_api_id)",
)
RECORD_DUMPS = (TableDump("records", "records", order_by="seq", hidden=frozenset({"seq"})),)
RECORD_RESET_ORDER = ("records",)
RECORD_FIELDS = (
    "api_id",
    "person_api_id",
    "package_api_id",
    "package_desc",
    "date_assigned",
    "date_started",
    "date_completed",
)
_COLUMNS = ", ".join(f"r.{name}" for name in RECORD_FIELDS)
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ID_LENGTH = 12
_BYTE_TO_ID_CHAR = (_ID_ALPHABET.encode("ascii") * 8)[:256]
_SEARCHED = ("r.package_desc", "r.person_api_id", "r.package_api_id", "p.name")
_MAX_OFFSET = 2**62
"""Offsets beyond any table's size; a larger one would not bind as an SQLite integer."""


@dataclass(frozen=True)
class TrainingRecord:
    """One record, its fields in the API's order and form."""

    api_id: str
    person_api_id: str
    package_api_id: str
    package_desc: str
    date_assigned: str
    date_started: str | None = None
    date_completed: str | None = None

    def row(self) -> tuple[str | None, ...]:
        """The fields in `RECORD_FIELDS` order."""
        return (
            self.api_id,
            self.person_api_id,
            self.package_api_id,
            self.package_desc,
            self.date_assigned,
            self.date_started,
            self.date_completed,
        )

    def as_json(self) -> dict[str, Any]:
        return dict(zip(RECORD_FIELDS, self.row(), strict=True))


def random_record_id() -> str:
    """12 random characters of `[0-9a-z]` (each byte maps onto the alphabet: not quite uniform, and
    uniformity does not matter here; uniqueness is checked)."""
    return secrets.token_bytes(_ID_LENGTH).translate(_BYTE_TO_ID_CHAR).decode("ascii")


def _search_clause(terms: Sequence[str]) -> tuple[str, list[str]]:
    """`WHERE` text and parameters for the search terms (already case-folded); empty for none."""
    if not terms:
        return "", []
    one_term = "(" + " OR ".join(f"instr(casefold({column}), ?) > 0" for column in _SEARCHED) + ")"
    params = [term for term in terms for _ in _SEARCHED]
    return " WHERE " + " AND ".join([one_term] * len(terms)), params


class RecordStore(SqliteDatabase):
    def record(self, api_id: str) -> TrainingRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM records r WHERE r.api_id = ?", (api_id,))
        return None if row is None else TrainingRecord(*row)

    def taken_record_ids(self, ids: Collection[str]) -> set[str]:
        """Which of `ids` a record already has."""
        taken: set[str] = set()
        for chunk in chunks(ids):
            rows = self._all(
                f"SELECT api_id FROM records WHERE api_id IN ({placeholders(len(chunk))})", chunk
            )
            taken.update(api_id for (api_id,) in rows)
        return taken

    def new_record_ids(self, count: int, avoid: Collection[str] = ()) -> list[str]:
        """`count` fresh generated ids, unused by any record and not in `avoid`."""
        made: list[str] = []
        used = set(avoid)
        while len(made) < count:
            drawn = {random_record_id() for _ in range(count - len(made))} - used
            drawn -= self.taken_record_ids(drawn)
            made += drawn
            used |= drawn
        return made

    def insert_records(self, records: Sequence[TrainingRecord]) -> None:
        self._run_many(
            f"INSERT INTO records ({', '.join(RECORD_FIELDS)}) VALUES ({placeholders(len(RECORD_FIELDS))})",
            [record.row() for record in records],
        )

    def update_record(self, record: TrainingRecord) -> None:
        """Write every field of the record with `record.api_id`."""
        assignments = ", ".join(f"{name} = ?" for name in RECORD_FIELDS[1:])
        self._run(f"UPDATE records SET {assignments} WHERE api_id = ?", (*record.row()[1:], record.api_id))

    def delete_record(self, api_id: str) -> bool:
        return self._run("DELETE FROM records WHERE api_id = ?", (api_id,)) > 0

    def count_records(self, terms: Sequence[str] = ()) -> int:
        where, params = _search_clause(terms)
        join = " JOIN people p ON p.api_id = r.person_api_id" if terms else ""
        count: int = self._scalar(f"SELECT COUNT(*) FROM records r{join}{where}", params)
        return count

    def records(
        self, terms: Sequence[str] = (), limit: int | None = None, offset: int = 0
    ) -> list[TrainingRecord]:
        """The matching records in creation order; `limit` None means all of them from `offset`."""
        where, params = _search_clause(terms)
        join = " JOIN people p ON p.api_id = r.person_api_id" if terms else ""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM records r{join}{where} ORDER BY r.seq LIMIT ? OFFSET ?",
            (*params, -1 if limit is None else min(limit, _MAX_OFFSET), min(offset, _MAX_OFFSET)),
        )
        return [TrainingRecord(*row) for row in rows]
