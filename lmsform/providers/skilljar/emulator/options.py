"""The switches that make the emulator behave like one reading or another of Skilljar's API."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_DOMAIN_NAME_PATTERN = re.compile(r"[-:.0-9a-z]+")


@dataclass(frozen=True)
class SkilljarEmulatorOptions:
    domains: tuple[str, ...] = ("acme.skilljar.com",)
    """Domains that exist; created in the store at startup if missing."""
    clamp_page_size: bool = True
    """`page_size` is honoured only up to the list's default page size (skilljar.md D5)."""
    accept_trailing_slash: bool = False
    """Serve `/v1/groups/` like `/v1/groups` instead of answering 404 (skilljar.md D1)."""
    bulk_create_status: int = 202
    """202 answers `{}`; 200 answers the first row as a DomainUserDetail (skilljar.md D8)."""
    bulk_create_delay_s: float = 0.0
    """Above 0, bulk-create answers 202 at once and adds its rows this many seconds later (skilljar.md D8)."""
    users_list_bare_array: bool = False
    """`GET /v1/users` returns one bare JSON array instead of an envelope (skilljar.md D7)."""

    def check(self) -> None:
        """Raise ValueError for a combination the emulator cannot serve."""
        if self.bulk_create_status not in (200, 202):
            raise ValueError("bulk_create_status must be 200 or 202")
        if not math.isfinite(self.bulk_create_delay_s) or self.bulk_create_delay_s < 0:
            raise ValueError("bulk_create_delay_s must be a finite number of seconds, 0 or more")
        if self.bulk_create_delay_s > 0 and self.bulk_create_status == 200:
            # A 200 answers the first row's membership, which does not exist until the delay is over.
            raise ValueError("bulk_create_delay_s needs bulk_create_status 202")
        for name in self.domains:
            if not _DOMAIN_NAME_PATTERN.fullmatch(name):
                raise ValueError(f"not a Skilljar domain name: {name!r}")
