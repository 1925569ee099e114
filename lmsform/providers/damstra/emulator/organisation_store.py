"""The organisation (tenant) row, the emulator clock and the e-mail outbox, in SQLite.

The clock is real time until the `/_emulator/clock` hook fixes it; a fixed clock stands still (every
request then sees the same "now") and persists with the state, like everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lmsform.providers.damstra.emulator.base_store import Database
from lmsform.providers.damstra.emulator.dates import from_stored, stored
from lmsform.providers.emulation.sqlite import TableDump

CLIENT_ID = 76
"""The organisation's `clientId` (the value of the vendor's getting-started sample)."""
DEFAULT_GRACE_PERIOD_DAYS = 14
"""The account's default grace period for lesson schedules (damstra.md Model)."""

ORGANISATION_TABLES = (
    """CREATE TABLE IF NOT EXISTS organisation (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        client_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        owner_id INTEGER,
        owner_user_name TEXT,
        fixed_now TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        recipient TEXT NOT NULL,
        user_name TEXT NOT NULL,
        sent_at TEXT NOT NULL
    )""",
)
ORGANISATION_RESET_ORDER = ("outbox",)


@dataclass(frozen=True)
class Organisation:
    client_id: int
    name: str
    time_zone: str
    owner_id: int | None
    owner_user_name: str | None
    fixed_now: str | None


class OrganisationStore(Database):
    def organisation(self) -> Organisation:
        row = self._one(
            "SELECT client_id, name, time_zone, owner_id, owner_user_name, fixed_now FROM organisation"
        )
        assert row is not None, "the store sets up its organisation when it opens"
        return Organisation(*row)

    def configure_organisation(self, name: str, time_zone: str) -> None:
        """Create the organisation row, or take the name and time zone the emulator now starts with."""
        with self.transaction():
            self._run(
                "INSERT INTO organisation (id, client_id, name, time_zone) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone",
                (CLIENT_ID, name, time_zone),
            )

    def set_owner(self, user_id: int, user_name: str) -> None:
        self._run("UPDATE organisation SET owner_id = ?, owner_user_name = ?", (user_id, user_name))

    # --- the clock ---

    def now(self) -> datetime:
        fixed = self.organisation().fixed_now
        return datetime.now(UTC) if fixed is None else from_stored(fixed)

    def now_stored(self) -> str:
        return stored(self.now())

    def fix_clock(self, moment: datetime | None) -> None:
        """Stop the clock at `moment`; None lets it run with real time again."""
        self._run("UPDATE organisation SET fixed_now = ?", (None if moment is None else stored(moment),))

    # --- outbox ---

    def send_welcome_email(self, recipient: str, user_name: str) -> None:
        self._run(
            "INSERT INTO outbox (recipient, user_name, sent_at) VALUES (?, ?, ?)",
            (recipient, user_name, self.now_stored()),
        )

    def outbox(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT recipient, user_name FROM outbox ORDER BY seq")
        return [{"to": recipient, "userName": user_name} for recipient, user_name in rows]


ORGANISATION_DUMPS = (TableDump("organisation", "organisation", order_by="id"),)
