"""Lesson schedules: a user's list, one schedule, scheduling, manual completion (damstra.md Schedules).

Scheduling, `POST /user/{userId}/lesson_schedule`:
* Unknown user → 404 A6; inactive user → 400 (S6).
* `lessonVersionIds` is required (an array of integers; `[]` → `{"ids": []}`, decision); the same id
  twice → 400 (S5). Each id must be the *current* version (damstra.md L1) of an `active` lesson: unknown id →
  404 A6, a lesson that is not active → 400 (S3), an older or unpublished version → 400 (decision:
  a client must resolve the current `lessonVersionId`). Checked in order; the first failure answers.
* `scheduleDate`: any ISO 8601, default now (S2). `gracePeriod` (a positive integer, as number or
  digit string) and `gracePeriodUnit` (`days`|`months`) come together: one without the other → 400
  (decision for a lone unit); neither → the account default of 14 days (S1). null counts as absent.
* Then, atomically (S5): if the user has an open (`scheduled`/`due`/`overdue`) schedule for any of the
  lessons → 409 `{"error":"Lesson Schedule already exists"}` and nothing is created (S4: completed and
  cancelled ones do not block). Otherwise one schedule per id; `{"ids": [...]}` in request order.

`GET /user/{userId}/lesson_schedule`: `status` `all` (default, S10) or one of the five (else 400);
paged by `startIndex`/`maxResults` like every list but answered without `meta` (P4); by id.

`GET /lesson_schedule/{id}`: the full object without `status` (S9); unknown → 404 with internalCode 840.

`POST /lesson_schedule/{userId}/complete_lesson` (C1 to C5): the path id is the trainee's **user** id,
never read as a schedule id. `completedDate` (ISO 8601, may be past) and `manuallyCompletedByUserId`
(an existing active user, else 400) are required. `lessonId` and/or `lessonVersionId`: at least one
(400); if both they must agree (400); unknown → 404 A6. A `lessonVersionId` must be a published version
(current or earlier), a `lessonId` resolves to its latest published version (none → 400); the lesson
must be `active` or `inactive` (400). The trainee may be inactive (decision: historical imports). If the
trainee has an open schedule for the lesson, the oldest one is completed (keeping its version);
otherwise a new schedule starting and ending at `completedDate` is created already completed.
Answers `{"ids": [<schedule id>]}`.
"""

from __future__ import annotations

from collections.abc import Sequence

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.damstra.emulator.errors import (
    bad_request,
    not_found,
    schedule_exists,
    schedule_not_found,
)
from lmsform.providers.damstra.emulator.lesson_store import LessonRecord, VersionRecord
from lmsform.providers.damstra.emulator.organisation_store import DEFAULT_GRACE_PERIOD_DAYS
from lmsform.providers.damstra.emulator.requests_in import Body, is_integer, query_choice, request_body
from lmsform.providers.damstra.emulator.schedule_rules import (
    MANUAL_COMPLETION,
    SCHEDULE_STATUSES,
    schedule_status,
)
from lmsform.providers.damstra.emulator.schedule_shapes import (
    describe,
    schedule_json,
    schedule_list_item_json,
)
from lmsform.providers.damstra.emulator.schedule_writes import (
    GRACE_UNITS,
    add_schedule,
    complete_schedule,
    due_date,
    open_schedule_for,
)
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.damstra.emulator.user_store import UserRecord
from lmsform.providers.damstra.emulator.users import require_user
from lmsform.providers.emulation.flask_kit import json_response

SCHEDULABLE_STATUS = "active"
COMPLETABLE_STATUSES = ("active", "inactive")


def _grace_period(body: Body) -> tuple[int, str]:
    amount, unit = body.raw("gracePeriod"), body.raw("gracePeriodUnit")
    if amount is None and unit is None:
        return DEFAULT_GRACE_PERIOD_DAYS, "days"
    if amount is None or unit is None:
        raise bad_request("gracePeriod and gracePeriodUnit must be sent together")
    if isinstance(amount, str) and amount.strip().isdigit():
        amount = int(amount)
    if not is_integer(amount) or amount < 1:
        raise bad_request("gracePeriod must be a positive whole number")
    if unit not in GRACE_UNITS:
        raise bad_request("gracePeriodUnit must be days or months")
    return amount, unit


def _version_ids(body: Body) -> list[int]:
    body.require(["lessonVersionIds"])
    version_ids = body.integers("lessonVersionIds") or []
    if len(set(version_ids)) != len(version_ids):
        raise bad_request("lessonVersionIds names the same version more than once")
    return version_ids


def _schedulable(store: DamstraStore, version_id: int) -> tuple[LessonRecord, VersionRecord]:
    version = store.get_version(version_id)
    lesson = None if version is None else store.get_lesson(version.lesson_id)
    if version is None or lesson is None:
        raise not_found("Lesson version", version_id)
    if lesson.status != SCHEDULABLE_STATUS:
        raise bad_request(f"Lesson {lesson.id} is {lesson.status}; only active lessons can be scheduled")
    if lesson.current_version.id != version.id:
        current = lesson.current_version
        raise bad_request(f"{describe(lesson, version)} is not its current version; that is id {current.id}")
    return lesson, version


def _completed_lesson(store: DamstraStore, body: Body) -> tuple[LessonRecord, VersionRecord]:
    lesson_id, version_id = body.integer("lessonId"), body.integer("lessonVersionId")
    if lesson_id is None and version_id is None:
        raise bad_request("Send lessonId or lessonVersionId")
    if version_id is not None:
        lesson, version = _published_version(store, version_id)
        if lesson_id is not None and lesson_id != lesson.id:
            raise bad_request(f"Lesson version {version_id} belongs to lesson {lesson.id}, not {lesson_id}")
    else:
        assert lesson_id is not None
        found = store.get_lesson(lesson_id)
        if found is None:
            raise not_found("Lesson", lesson_id)
        published = found.latest_published_version
        if published is None:
            raise bad_request(f"Lesson {lesson_id} has no published version")
        lesson, version = found, published
    if lesson.status not in COMPLETABLE_STATUSES:
        raise bad_request(f"Lesson {lesson.id} is {lesson.status}; it must be or have been published")
    return lesson, version


def _published_version(store: DamstraStore, version_id: int) -> tuple[LessonRecord, VersionRecord]:
    version = store.get_version(version_id)
    lesson = None if version is None else store.get_lesson(version.lesson_id)
    if version is None or lesson is None:
        raise not_found("Lesson version", version_id)
    if not version.published:
        raise bad_request(f"{describe(lesson, version)} has never been published")
    return lesson, version


class ScheduleApi(ApiArea):
    def routes(self) -> Routes:
        return (
            (
                "/user/<int:user_id>/lesson_schedule",
                {"GET": Operation(self.list_user_schedules), "POST": Operation(self.schedule_user)},
            ),
            ("/lesson_schedule/<int:schedule_id>", {"GET": Operation(self.get_schedule)}),
            ("/lesson_schedule/<int:user_id>/complete_lesson", {"POST": Operation(self.complete_lesson)}),
        )

    def list_user_schedules(self, user_id: int) -> flask.Response:
        require_user(self.store, user_id)
        wanted = query_choice("status", ("all", *SCHEDULE_STATUSES), "all")
        window, now = self.window(), self.store.now()
        schedules = [
            schedule
            for schedule in self.store.schedules_of_user(user_id)
            if wanted == "all" or schedule_status(schedule, now) == wanted
        ]
        page = window.cut(schedules)
        return json_response({"results": [schedule_list_item_json(self.store, item, now) for item in page]})

    def get_schedule(self, schedule_id: int) -> flask.Response:
        schedule = self.store.get_schedule(schedule_id)
        if schedule is None:
            raise schedule_not_found(schedule_id)
        return json_response(schedule_json(self.store, schedule, self.store.now()))

    def schedule_user(self, user_id: int) -> flask.Response:
        user = require_user(self.store, user_id)
        body = Body(request_body())
        version_ids = _version_ids(body)
        start = body.instant("scheduleDate") or self.store.now()
        amount, unit = _grace_period(body)
        if not user.active:
            raise bad_request(f"User {user_id} is inactive; activate them before scheduling")
        targets = [_schedulable(self.store, version_id) for version_id in version_ids]
        self._refuse_duplicates(user_id, [lesson.id for lesson, _ in targets])
        end = due_date(start, amount, unit)
        created = [add_schedule(self.store, user, lesson, version, start, end) for lesson, version in targets]
        return json_response({"ids": [schedule.id for schedule in created]})

    def _refuse_duplicates(self, user_id: int, lesson_ids: Sequence[int]) -> None:
        if any(open_schedule_for(self.store, user_id, lesson_id) is not None for lesson_id in lesson_ids):
            raise schedule_exists()

    def complete_lesson(self, user_id: int) -> flask.Response:
        trainee = require_user(self.store, user_id)
        body = Body(request_body())
        body.require(["completedDate", "manuallyCompletedByUserId"])
        completed_at = body.instant("completedDate")
        assert completed_at is not None
        completer = self._completer(body)
        lesson, version = _completed_lesson(self.store, body)
        schedule = open_schedule_for(self.store, trainee.id, lesson.id)
        if schedule is None:
            schedule = add_schedule(self.store, trainee, lesson, version, completed_at, completed_at)
        completed = complete_schedule(self.store, schedule, completed_at, completer, MANUAL_COMPLETION)
        return json_response({"ids": [completed.id]})

    def _completer(self, body: Body) -> UserRecord:
        completer_id = body.integer("manuallyCompletedByUserId")
        completer = None if completer_id is None else self.store.get_user(completer_id)
        if completer is None or not completer.active:
            raise bad_request(f"manuallyCompletedByUserId {completer_id} is not an active user")
        return completer
