"""Instants: stored in UTC text that sorts, read in any ISO 8601 form, written per the `date_fields` switch.

Stored and (by default) answered as ISO 8601 UTC with milliseconds and `Z`
(`2015-03-04T12:34:56.789Z`, versal.md D19); with `date_fields="date"` only the `YYYY-MM-DD` part is answered.
Seed documents may give a bare date (midnight UTC) or a date-time with any offset; a date-time without
an offset is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lmsform.providers.versal.emulator.options import DateFields


def now() -> datetime:
    return datetime.now(UTC)


def stored(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_stored() -> str:
    return stored(now())


def later_stored(days: int) -> str:
    return stored(now() + timedelta(days=days))


def parse_instant(text: str) -> datetime:
    """Any ISO 8601 date or date-time as an aware UTC datetime; ValueError when it is not one."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def answered(text: str, shape: DateFields) -> str:
    """A stored instant as a response shows it."""
    return text[:10] if shape == "date" else text
