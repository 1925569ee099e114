"""Date-times: read in any ISO 8601 form Python reads, kept and answered in UTC with a `Z`
(training-records.md Values).

* Accepted: whatever `datetime.fromisoformat` takes (Python 3.11: `Z` or any offset, fractional
  seconds, the basic format, a bare date). No offset means UTC, a bare date midnight UTC.
* Answered as `2024-05-01T09:30:00Z`; fractional seconds, when a client sent them, are kept and
  answered with six digits (`2024-05-01T09:30:00.250000Z`), as DRF does.
* `date_assigned` is the creation time to the whole second.

The stored text is the answered text, so the store never converts.
"""

from __future__ import annotations

from datetime import UTC, datetime

WRONG_FORMAT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)


def parse_instant(value: object) -> str:
    """A sent date-time as stored; ValueError when it is not an ISO 8601 string."""
    if not isinstance(value, str):
        raise ValueError(WRONG_FORMAT)
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return stored(moment.astimezone(UTC))
    except (ValueError, OverflowError):
        raise ValueError(WRONG_FORMAT) from None


def stored(moment: datetime) -> str:
    """An aware UTC datetime as the emulator writes it."""
    timespec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def now_stored() -> str:
    """Now, to the whole second (for `date_assigned`)."""
    return stored(datetime.now(UTC).replace(microsecond=0))
