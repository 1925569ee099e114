"""The emulator's store plumbing: the shared SQLite base (`emulation.sqlite`) with Versal's ids.

One file holds the whole state, and the app wraps every request in `transaction()`: a request that
fails half-way leaves nothing behind.

Ids come from per-kind counters (`next_id`) that are never rewound, not even by the reset hook, so an
id is never handed out twice. Users start at 1001, courses at 501; lessons and gadgets share one
counter and are written in base 36 behind a letter (`l1`, `g2s`), so they read as short alphanumeric
strings and never look like a user or course id.
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.providers.emulation.sqlite import SqliteDatabase

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if number == 0:
            return digits


class Database(SqliteDatabase):
    """The store plumbing every area store uses, with Versal's id counters."""

    ID_STARTS: Mapping[str, int] = {"user": 1001, "course": 501, "content": 1}

    def next_content_id(self, prefix: str) -> str:
        """A short alphanumeric lesson (`l…`) or gadget (`g…`) id."""
        return prefix + base36(self.next_id("content"))
