"""Lesson schedules as the API shows them (damstra.md Schedules): the full object of
`GET /lesson_schedule/{id}` (no `status`, S9) and the list item of `GET /user/{id}/lesson_schedule`
(with `status`/`statusId`, without `active`/`clientId`). All dates F2.

Values the emulator cannot know are filled in (decision): `lessonStartedDate` null, `progress` the
lesson's duration once completed and 0 before, `thumbnailId` and `movieId` the version id, the thumbnail
and movie URIs built from the ids as the doc's examples are, `movieSizeInBytes` 0, `reminders`,
`questionResults` and `supervisors` empty, `userGroups` the trainee's groups as `{"id"}` objects (S12),
`scheduleOverEmailAttempted`/`overdueEmailAttempted` false, `questionnaireType` the lesson's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lmsform.providers.damstra.emulator.dates import f2, optional_f2
from lmsform.providers.damstra.emulator.lesson_store import LessonRecord, VersionRecord
from lmsform.providers.damstra.emulator.lessons import PUBLISHED_CODES
from lmsform.providers.damstra.emulator.organisation_store import CLIENT_ID
from lmsform.providers.damstra.emulator.schedule_rules import (
    LESSON_EVOLUTION,
    SCHEDULE_TYPE_IDS,
    STATUS_IDS,
    is_open,
    schedule_status,
)
from lmsform.providers.damstra.emulator.schedule_store import ScheduleRecord
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.damstra.emulator.user_store import UserRecord


def _parts(store: DamstraStore, schedule: ScheduleRecord) -> tuple[UserRecord, LessonRecord, VersionRecord]:
    lesson = store.get_lesson(schedule.lesson_id)
    version = store.get_version(schedule.lesson_version_id)
    assert lesson is not None and version is not None, f"schedule {schedule.id} lost its lesson"
    return store.require_user(schedule.user_id), lesson, version


def _common(
    store: DamstraStore,
    schedule: ScheduleRecord,
    user: UserRecord,
    lesson: LessonRecord,
    version: VersionRecord,
) -> dict[str, Any]:
    """The fields the full object and the list item share."""
    completer = None if schedule.completed_by is None else store.get_user(schedule.completed_by)
    return {
        "id": schedule.id,
        "userId": user.id,
        "userFirstName": user.first_name,
        "userLastName": user.last_name,
        "lessonId": lesson.id,
        "lessonVersionId": version.id,
        "version": version.version,
        "lessonName": lesson.name,
        "lessonDuration": lesson.duration,
        "lessonEvolution": LESSON_EVOLUTION,
        "thumbnailId": version.id,
        "lessonThumbnail": f"https://app.velpic.com/downloads/lessons/{version.id}/thumbnail.png",
        "startDate": f2(schedule.start_at),
        "endDate": f2(schedule.end_at),
        "lessonStartedDate": optional_f2(schedule.started_at),
        "lessonCompletedDate": optional_f2(schedule.completed_at),
        "lessonCompletedBy": schedule.completed_by,
        "lessonCompletedByName": None if completer is None else completer.full_name,
        "completionTypeId": schedule.completion_type_id,
        "typeId": SCHEDULE_TYPE_IDS[schedule.schedule_type],
        "progress": lesson.duration if schedule.completed_at is not None else 0,
        "chapterCount": lesson.chapter_count,
        "questionCount": lesson.question_count,
        "questionnaireType": lesson.questionnaire_type,
        "createdDate": f2(schedule.created_at),
        "modifiedDate": f2(schedule.modified_at),
    }


def schedule_list_item_json(store: DamstraStore, schedule: ScheduleRecord, now: datetime) -> dict[str, Any]:
    status = schedule_status(schedule, now)
    return {
        **_common(store, schedule, *_parts(store, schedule)),
        "scheduleType": schedule.schedule_type,
        "status": status,
        "statusId": STATUS_IDS[status],
    }


def schedule_json(store: DamstraStore, schedule: ScheduleRecord, now: datetime) -> dict[str, Any]:
    user, lesson, version = _parts(store, schedule)
    groups = store.groups_of_users("memberships", [user.id])[user.id]
    return {
        **_common(store, schedule, user, lesson, version),
        "active": is_open(schedule, now),
        "clientId": CLIENT_ID,
        "clientName": store.organisation().name,
        "userUserName": user.user_name,
        "userEmployeeNumber": user.employee_number,
        "userGroups": [{"id": group_id} for group_id in groups],
        "supervisors": [],
        "reminders": [],
        "questionResults": [],
        "published": PUBLISHED_CODES[lesson.status],
        "questionnairePassRate": lesson.pass_rate,
        "scheduleOverEmailAttempted": False,
        "overdueEmailAttempted": False,
        "movieId": version.id,
        "moviePhysicalURI": f"download/lessons/{lesson.id}/movieFile.mp4",
        "movieSizeInBytes": 0,
    }


def describe(lesson: LessonRecord, version: VersionRecord) -> str:
    return f"version {version.version} (id {version.id}) of lesson {lesson.id} {lesson.name!r}"
