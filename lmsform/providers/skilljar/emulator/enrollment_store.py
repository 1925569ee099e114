"""Enrollments in published courses, published paths and plans, in SQLite.

The three kinds share one table: each row points at exactly one offering, and deleting the offering
deletes its enrollments (foreign-key cascades).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lmsform.providers.emulation.sqlite import Conditions, read_back
from lmsform.providers.skilljar.emulator.base_store import (
    ALL_ROWS,
    Database,
    Slice,
    Window,
    new_id,
    table_dump,
)
from lmsform.providers.skilljar.emulator.people_store import USER_COLUMNS, UserRecord, user_from_row

ENROLLMENT_TABLES = (
    """CREATE TABLE IF NOT EXISTS enrollments (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        published_course_id TEXT REFERENCES published_courses(id) ON DELETE CASCADE,
        published_path_id TEXT REFERENCES published_paths(id) ON DELETE CASCADE,
        plan_id TEXT REFERENCES plans(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id),
        enrolled_at TEXT NOT NULL,
        expires_at TEXT,
        active INTEGER NOT NULL,
        purchase TEXT,
        CHECK ((published_course_id IS NOT NULL) + (published_path_id IS NOT NULL)
            + (plan_id IS NOT NULL) = 1)
    )""",
    "CREATE INDEX IF NOT EXISTS enrollments_by_course ON enrollments(published_course_id, user_id)",
    "CREATE INDEX IF NOT EXISTS enrollments_by_path ON enrollments(published_path_id, user_id)",
    "CREATE INDEX IF NOT EXISTS enrollments_by_plan ON enrollments(plan_id, user_id)",
)
ENROLLMENT_RESET_ORDER = ("enrollments",)
ENROLLMENT_DUMPS = (
    table_dump(
        "enrollments", "enrollments", booleans=frozenset({"active"}), json_columns=frozenset({"purchase"})
    ),
)
_UPDATABLE_COLUMNS = frozenset({"active", "expires_at"})


class OfferingKind(Enum):
    """What an enrollment is in; the value is the column that points at it."""

    COURSE = "published_course_id"
    PATH = "published_path_id"
    PLAN = "plan_id"


@dataclass(frozen=True)
class Offering:
    """One published course, published path or plan, as something to enroll in."""

    kind: OfferingKind
    id: str


@dataclass(frozen=True)
class EnrollmentRecord:
    id: str
    offering: Offering
    user: UserRecord
    enrolled_at: str
    expires_at: str | None
    active: bool
    purchase: dict[str, Any] | None


_COLUMNS = (
    "e.id, e.published_course_id, e.published_path_id, e.plan_id, "
    f"{USER_COLUMNS}, e.enrolled_at, e.expires_at, e.active, e.purchase"
)
_SOURCE = "enrollments e JOIN users u ON u.id = e.user_id"


def _enrollment_from_row(row: Sequence[Any]) -> EnrollmentRecord:
    kind, offering_id = next(
        (kind, value) for kind, value in zip(OfferingKind, row[1:4], strict=True) if value is not None
    )
    return EnrollmentRecord(
        id=row[0],
        offering=Offering(kind, offering_id),
        user=user_from_row(row, 4),
        enrolled_at=row[10],
        expires_at=row[11],
        active=bool(row[12]),
        purchase=None if row[13] is None else json.loads(row[13]),
    )


class EnrollmentStore(Database):
    """Who is enrolled in what; a user may hold several enrollments in one offering."""

    def get_enrollment(self, offering: Offering, enrollment_id: str) -> EnrollmentRecord | None:
        row = self._one(
            f"SELECT {_COLUMNS} FROM {_SOURCE} WHERE e.{offering.kind.value} = ? AND e.id = ?",
            (offering.id, enrollment_id),
        )
        return None if row is None else _enrollment_from_row(row)

    def find_enrollment(self, offering: Offering, user_id: str, enrolled_at: str) -> EnrollmentRecord | None:
        """The enrollment with this idempotency key; `enrolled_at` must be a normalised timestamp."""
        row = self._one(
            f"SELECT {_COLUMNS} FROM {_SOURCE} "
            f"WHERE e.{offering.kind.value} = ? AND e.user_id = ? AND e.enrolled_at = ? ORDER BY e.seq",
            (offering.id, user_id, enrolled_at),
        )
        return None if row is None else _enrollment_from_row(row)

    def create_enrollment(
        self,
        offering: Offering,
        user_id: str,
        *,
        enrolled_at: str,
        expires_at: str | None = None,
        active: bool = True,
        purchase: Mapping[str, Any] | None = None,
    ) -> EnrollmentRecord:
        enrollment_id = new_id()
        with self.transaction():
            self._run(
                f"INSERT INTO enrollments (id, {offering.kind.value}, user_id, enrolled_at, expires_at, "
                "active, purchase) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    enrollment_id,
                    offering.id,
                    user_id,
                    enrolled_at,
                    expires_at,
                    active,
                    None if purchase is None else json.dumps(purchase),
                ),
            )
            return read_back(self.get_enrollment(offering, enrollment_id))

    def update_enrollment(
        self, offering: Offering, enrollment_id: str, changes: Mapping[str, Any]
    ) -> EnrollmentRecord | None:
        """Apply column changes (`active`, `expires_at`); None if there is no such enrollment."""
        with self.transaction():
            key = {offering.kind.value: offering.id, "id": enrollment_id}
            self._update("enrollments", changes, _UPDATABLE_COLUMNS, key)
            return self.get_enrollment(offering, enrollment_id)

    def list_enrollments(self, offering: Offering, window: Window = ALL_ROWS) -> Slice[EnrollmentRecord]:
        where = Conditions()
        where.add(f"e.{offering.kind.value} = ?", offering.id)
        return self._slice(_COLUMNS, _SOURCE, where, "e.seq", window, _enrollment_from_row)
