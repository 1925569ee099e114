"""The switches an emulator is started with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PaginationHeaders = Literal["both", "x-pagination", "separate"]
DateFields = Literal["datetime", "date"]


@dataclass(frozen=True)
class VersalEmulatorOptions:
    org_id: int = 4242
    """The numeric id of the organisation the API key belongs to."""
    org_name: str = "Acme Learning"
    per_page_cap: int = 100
    """Larger `perPage` values are served as this many (versal.md Paging); the headers show the size used."""
    pagination_headers: PaginationHeaders = "both"
    """Which paging metadata collection responses carry: the `X-Pagination` JSON header, the four
    separate headers `count`, `page`, `pageCount`, `perPage`, or both (versal.md Paging)."""
    date_fields: DateFields = "datetime"
    """`datetime`: ISO 8601 UTC with milliseconds (`2015-03-04T12:34:56.789Z`); `date`: `YYYY-MM-DD`,
    which is what the spec's `format: date` means to strict validators (versal.md D19)."""
    session_days: int = 30
    """How long a session lives after its last use (versal.md Sessions)."""

    def check(self) -> None:
        """Raise ValueError for options the emulator cannot serve."""
        if self.org_id < 1:
            raise ValueError("org_id must be a positive integer")
        if not self.org_name.strip():
            raise ValueError("org_name must not be blank")
        if self.per_page_cap < 1:
            raise ValueError("per_page_cap must be at least 1")
        if self.pagination_headers not in ("both", "x-pagination", "separate"):
            raise ValueError("pagination_headers must be both, x-pagination or separate")
        if self.date_fields not in ("datetime", "date"):
            raise ValueError("date_fields must be datetime or date")
        if self.session_days < 1:
            raise ValueError("session_days must be at least 1")
