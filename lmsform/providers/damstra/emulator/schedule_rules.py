"""What a lesson schedule is at a given moment, and the numeric codes it carries (damstra.md Derived).

`status`: `cancelled` if cancelled; else `completed` if completed; else `scheduled` before its
`startDate`; else `due` up to and including its `endDate`; else `overdue` (damstra.md S7). `active` is true
exactly for the open statuses `scheduled`, `due` and `overdue` (S8).

Codes: `statusId` 94 for completed is documented; 90 scheduled, 91 due, 92 overdue and 93 cancelled
are invented. Schedules made through the API are `scheduleType` `manual` with `typeId` 80 (invented;
`automatic`/81 is the documented pair, kept for rule-made schedules, which the emulator has none of).
`completionTypeId` 78 (invented) marks a manual completion; 77 (documented) a normal one.
"""

from __future__ import annotations

from datetime import datetime

from lmsform.providers.damstra.emulator.dates import from_stored
from lmsform.providers.damstra.emulator.schedule_store import ScheduleRecord

SCHEDULE_STATUSES = ("scheduled", "due", "overdue", "completed", "cancelled")
OPEN_STATUSES = frozenset({"scheduled", "due", "overdue"})
STATUS_IDS = {"scheduled": 90, "due": 91, "overdue": 92, "cancelled": 93, "completed": 94}
MANUAL_SCHEDULE = "manual"
SCHEDULE_TYPE_IDS = {"manual": 80, "automatic": 81}
MANUAL_COMPLETION = 78
LESSON_EVOLUTION = 129
"""The one documented `lessonEvolution` value; every emulated lesson has it."""


def schedule_status(schedule: ScheduleRecord, now: datetime) -> str:
    if schedule.cancelled_at is not None:
        return "cancelled"
    if schedule.completed_at is not None:
        return "completed"
    if now < from_stored(schedule.start_at):
        return "scheduled"
    if now <= from_stored(schedule.end_at):
        return "due"
    return "overdue"


def is_open(schedule: ScheduleRecord, now: datetime) -> bool:
    return schedule_status(schedule, now) in OPEN_STATUSES
