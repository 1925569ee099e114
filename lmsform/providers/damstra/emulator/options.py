"""The switches an emulator is started with."""

from __future__ import annotations

from dataclasses import dataclass

from lmsform.providers.damstra.emulator.dates import is_time_zone


@dataclass(frozen=True)
class DamstraEmulatorOptions:
    organisation: str = "Acme Safety"
    """The organisation's name (`clientName` on lesson schedules)."""
    owner_username: str = "owner"
    """`userName` of the OWNER user created with a new state file (an existing owner is never renamed)."""
    time_zone: str = "Australia/Perth"
    """IANA name; the `timeZone` of users created without one."""
    default_page_size: int = 20
    """Rows per page when `maxResults` is missing or 0 (damstra.md P1)."""
    max_page_size: int = 100
    """Larger `maxResults` values are clamped to this (damstra.md P2)."""
    bulk_import_limit: int | None = None
    """Most users one `/bulkUserImport` may carry; more → 400 (damstra.md B9). None: no limit."""

    def check(self) -> None:
        """Raise ValueError for options the emulator cannot serve."""
        if not self.organisation.strip():
            raise ValueError("organisation must not be blank")
        if not self.owner_username.strip():
            raise ValueError("owner_username must not be blank")
        if not is_time_zone(self.time_zone):
            raise ValueError(f"not an IANA time zone: {self.time_zone!r}")
        if not 1 <= self.default_page_size <= self.max_page_size:
            raise ValueError("page sizes need 1 <= default_page_size <= max_page_size")
        if self.bulk_import_limit is not None and self.bulk_import_limit < 1:
            raise ValueError("bulk_import_limit must be None or at least 1")
