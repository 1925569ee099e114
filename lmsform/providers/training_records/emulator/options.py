"""The switches an emulator is started with.

The API key itself is not an option: `create_app` takes it, as every vendor's emulator does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOOK_ROOT = "/_emulator"
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")


@dataclass(frozen=True)
class TrainingRecordsEmulatorOptions:
    username: str = "lmsform"
    """The API username that goes with the key (HTTP Basic); ignored when the app takes any key."""
    prefix: str = ""
    """Where the API is mounted: `""` (or `"/"`) for the root, else e.g. `"/api/v2"`, the base the
    vendor's help centre suggests (training-records.md Transport). No trailing slash."""
    limit_cap: int = 100
    """Larger `limit` values are served as this many (training-records.md D2); links show the size used."""

    @property
    def mount(self) -> str:
        """The prefix as it goes in front of a path: `""` for the root."""
        return "" if self.prefix == "/" else self.prefix

    def check(self) -> None:
        """Raise ValueError for options the emulator cannot serve."""
        if not self.username or ":" in self.username:
            raise ValueError("username must be non-empty and hold no ':' (HTTP Basic cannot carry it)")
        if self.prefix not in ("", "/") and not _PREFIX.fullmatch(self.prefix):
            raise ValueError(
                "prefix must be empty or like /api/v2: segments of letters, digits and ._~- after a '/', "
                "without a trailing '/'"
            )
        if self.mount == HOOK_ROOT or self.mount.startswith(HOOK_ROOT + "/"):
            raise ValueError(f"prefix must not be under {HOOK_ROOT}, where the test hooks live")
        if isinstance(self.limit_cap, bool) or not isinstance(self.limit_cap, int) or self.limit_cap < 1:
            raise ValueError("limit_cap must be an integer of at least 1")
