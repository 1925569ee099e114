"""The emulator's store plumbing: the shared SQLite base (`emulation.sqlite`) with Damstra's id ranges.

One file holds one organisation's state, and the app wraps every request in `transaction()`: a request
that fails half-way (a bulk import whose tenth user collides, a schedule request with one duplicate)
leaves nothing behind.

Numeric ids come from per-kind counters (`next_id`) that are never rewound, not even by the reset
hook, so an id is never reused. Each kind starts in its own range (users at 100001, groups at 200001,
…) so that an id of the wrong kind sent by a client does not accidentally name a real object.
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.providers.emulation.sqlite import SqliteDatabase


class Database(SqliteDatabase):
    """The store plumbing every area store uses, with ids in one range per kind."""

    ID_STARTS: Mapping[str, int] = {
        "user": 100001,
        "group": 200001,
        "lesson": 300001,
        "lesson_version": 400001,
        "lesson_schedule": 500001,
        "custom_field": 600001,
        "custom_field_value": 700001,
        "ilt_session": 800001,
        "ilt_attendee": 900001,
    }
