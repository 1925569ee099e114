"""Creating, completing and cancelling lesson schedules: what the API routes, the hooks and seeding share."""

from __future__ import annotations

from datetime import datetime, timedelta

from lmsform.providers.damstra.emulator.dates import add_months, stored
from lmsform.providers.damstra.emulator.errors import bad_request, schedule_not_found
from lmsform.providers.damstra.emulator.lesson_store import LessonRecord, VersionRecord
from lmsform.providers.damstra.emulator.schedule_rules import MANUAL_SCHEDULE, OPEN_STATUSES, schedule_status
from lmsform.providers.damstra.emulator.schedule_store import ScheduleRecord
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.damstra.emulator.user_store import UserRecord

GRACE_UNITS = ("days", "months")


def due_date(start: datetime, amount: int, unit: str) -> datetime:
    """`startDate` plus the grace period; months are calendar months (damstra.md Derived)."""
    return add_months(start, amount) if unit == "months" else start + timedelta(days=amount)


def add_schedule(
    store: DamstraStore,
    user: UserRecord,
    lesson: LessonRecord,
    version: VersionRecord,
    start: datetime,
    end: datetime,
) -> ScheduleRecord:
    now = store.now_stored()
    return store.insert_schedule(
        store.next_id("lesson_schedule"),
        {
            "user_id": user.id,
            "lesson_id": lesson.id,
            "lesson_version_id": version.id,
            "start_at": stored(start),
            "end_at": stored(end),
            "schedule_type": MANUAL_SCHEDULE,
            "created_at": now,
            "modified_at": now,
        },
    )


def open_schedule_for(store: DamstraStore, user_id: int, lesson_id: int) -> ScheduleRecord | None:
    """The user's oldest open schedule for the lesson, if any."""
    now = store.now()
    for schedule in store.schedules_of_user(user_id):
        if schedule.lesson_id == lesson_id and schedule_status(schedule, now) in OPEN_STATUSES:
            return schedule
    return None


def complete_schedule(
    store: DamstraStore,
    schedule: ScheduleRecord,
    completed_at: datetime,
    completed_by: UserRecord,
    type_id: int,
) -> ScheduleRecord:
    return store.update_schedule(
        schedule.id,
        {
            "completed_at": stored(completed_at),
            "completed_by": completed_by.id,
            "completion_type_id": type_id,
            "modified_at": store.now_stored(),
        },
    )


def cancel_schedule(store: DamstraStore, schedule_id: int) -> ScheduleRecord:
    """What cancelling in the web app does (damstra.md S14); only an open schedule can be (else 400)."""
    schedule = store.get_schedule(schedule_id)
    if schedule is None:
        raise schedule_not_found(schedule_id)
    status = schedule_status(schedule, store.now())
    if status not in OPEN_STATUSES:
        raise bad_request(f"Lesson schedule {schedule_id} is {status} and cannot be cancelled")
    now = store.now_stored()
    return store.update_schedule(schedule_id, {"cancelled_at": now, "modified_at": now})
