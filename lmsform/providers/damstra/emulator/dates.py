"""Instants: stored in UTC, read in any ISO 8601 shape, written in each field's shape (damstra.md Dates).

* F1 `2015-10-29T15:28:59+0000` — User objects (`createdDate`, `modifiedDate`), lessons and their custom
  fields, the `/lessondetails` envelope.
* F2 `2016-08-24T15:00:00.000Z` — lesson schedules, the create-user response, `lastLoggedInDate`.
* F3 `2015-10-29 15:28:59` — group `createdDate`, in UTC (damstra.md G7).
* F4 `2018-05-19T01:00:06.000+0800` — instructor-led sessions and their attendees, in the organisation's
  time zone (damstra.md I15).

Request dates (`scheduleDate`, `completedDate`, the clock hook, seed documents) may use any ISO 8601
form `datetime.fromisoformat` reads: `Z`, `+0000`, `+00:00`, with or without a fraction, or a bare date.
A value without an offset is taken as UTC (damstra.md Dates).
"""

from __future__ import annotations

import calendar
import functools
import zoneinfo
from datetime import UTC, datetime


def parse_instant(text: str) -> datetime:
    """Any ISO 8601 date or date-time as an aware UTC datetime; ValueError when it is not one."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def stored(moment: datetime) -> str:
    """The form kept in SQLite: ISO 8601 in UTC with microseconds, which sorts as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def from_stored(text: str) -> datetime:
    return datetime.fromisoformat(text)


def f1(text: str) -> str:
    return from_stored(text).strftime("%Y-%m-%dT%H:%M:%S+0000")


def f2(text: str) -> str:
    moment = from_stored(text)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def f3(text: str) -> str:
    return from_stored(text).strftime("%Y-%m-%d %H:%M:%S")


def f4(text: str, time_zone: str) -> str:
    moment = from_stored(text).astimezone(zoneinfo.ZoneInfo(time_zone))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


def optional_f2(text: str | None) -> str | None:
    return None if text is None else f2(text)


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months; a day past the end of the target month becomes its last (31 Jan + 1 → 28/29 Feb)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in known_time_zones()
