"""The people and packages records point at, in SQLite (training-records.md D7).

The vendor keeps them in two sibling APIs (Directory: Users, Training Packages) that the emulator does
not serve, so it keeps a registry of each instead, filled by the test hooks and `seed`:

* `people`: `api_id`, the display name `search` matches, an optional e-mail;
* `packages`: `api_id` and the description records copy into `package_desc`.

Both are written by upsert on `api_id`: sending a known id again replaces its fields and keeps its place
in the dump. Neither is ever deleted but by the reset hook.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lmsform.providers.emulation.sqlite import SqliteDatabase, TableDump, placeholders

REGISTRY_TABLES = (
    """CREATE TABLE IF NOT EXISTS people (
        api_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS packages (
        api_id TEXT PRIMARY KEY,
        description TEXT NOT NULL
    )""",
)
REGISTRY_DUMPS = (TableDump("people", "people"), TableDump("packages", "packages"))
REGISTRY_RESET_ORDER = ("people", "packages")
_CHUNK = 500
"""Ids per `IN (…)` query: far below SQLite's limit on bound parameters."""


@dataclass(frozen=True)
class Person:
    api_id: str
    name: str
    email: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"api_id": self.api_id, "name": self.name, "email": self.email}


@dataclass(frozen=True)
class Package:
    api_id: str
    description: str

    def as_json(self) -> dict[str, Any]:
        return {"api_id": self.api_id, "description": self.description}


def chunks(ids: Collection[str]) -> Iterator[list[str]]:
    """Distinct `ids` in lists short enough for one `IN (…)` each."""
    distinct = list(dict.fromkeys(ids))
    for start in range(0, len(distinct), _CHUNK):
        yield distinct[start : start + _CHUNK]


class RegistryStore(SqliteDatabase):
    def put_people(self, people: Sequence[Person]) -> None:
        self._run_many(
            """INSERT INTO people (api_id, name, email) VALUES (?, ?, ?)
               ON CONFLICT (api_id) DO UPDATE SET name = excluded.name, email = excluded.email""",
            [(person.api_id, person.name, person.email) for person in people],
        )

    def put_packages(self, packages: Sequence[Package]) -> None:
        self._run_many(
            """INSERT INTO packages (api_id, description) VALUES (?, ?)
               ON CONFLICT (api_id) DO UPDATE SET description = excluded.description""",
            [(package.api_id, package.description) for package in packages],
        )

    def known_people(self, ids: Collection[str]) -> set[str]:
        """Which of `ids` name a registered person."""
        known: set[str] = set()
        for chunk in chunks(ids):
            rows = self._all(f"SELECT api_id FROM people WHERE api_id IN ({placeholders(len(chunk))})", chunk)
            known.update(api_id for (api_id,) in rows)
        return known

    def package_descriptions(self, ids: Collection[str]) -> dict[str, str]:
        """The description of each of `ids` that names a registered package."""
        found: dict[str, str] = {}
        for chunk in chunks(ids):
            rows = self._all(
                f"SELECT api_id, description FROM packages WHERE api_id IN ({placeholders(len(chunk))})",
                chunk,
            )
            found.update(rows)
        return found

    def people(self) -> list[Person]:
        return [Person(*row) for row in self._all("SELECT api_id, name, email FROM people ORDER BY rowid")]

    def packages(self) -> list[Package]:
        return [Package(*row) for row in self._all("SELECT api_id, description FROM packages ORDER BY rowid")]
