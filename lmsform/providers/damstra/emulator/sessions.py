"""Instructor-led sessions: the list, one session, create, update, complete, cancel, registrations and
progress (damstra.md Sessions and I1 to I17).

* `GET /ilt_session` pages summaries (every status, by id), filtered by `lessonScheduleId` (sessions with
  an attendee tied to that schedule, I8), `state` and `status` (1 to 3, else 400; I7) and `instructorId`.
  `GET /ilt_session/{id}` answers the full object with the time-derived `state` string; unknown → 404 A6.
  Both answer a bad key with E806S, as the attendee list does.
* `POST /ilt_session` needs `startDatetime`, `endDatetime`, `location` and `instructorId` (400); an end
  before the start → 400 (I4); the instructor must be an active user (I2), a given `lessonId` a lesson
  (404 A6; it may be left out, I1). `numberOfPlaces` starts at 1 (I3). Answers the summary.
* `PATCH /ilt_session/{id}` needs `instructorId` and `location` (I5); `notes`, `numberOfPlaces` (a positive
  integer) and `statusId` (1 to 3, no side effects, I6) are optional; times and lesson are ignored (I5); a
  cancelled session → 400 (I6). Answers the full object.
* `complete` (I11): status 2, and every attendee's open schedule for the lesson completed by the owner;
  a completed or cancelled session → 400. `cancel_session` (I12): both notification flags required;
  status 3, schedules untouched; a completed session → 400; a cancelled one answers 200 unchanged (I16).
* `bulk_register` (I9): `userIds` required; every user must exist (404 A6) and hold an open schedule for
  the session's lesson, else the whole call 400 (so must a session without a lesson, I1); a cancelled or
  completed session → 400 (I17); registered users are left as they are. `bulk_deregister` (I10): users not
  registered are a no-op. Registrations are not limited by `numberOfPlaces` (I3).
* `GET …/attendees` answers every attendee, paged only when asked to be (P5). `save_progress` (I13):
  attendee-record ids, unknown → 400; `passed`/`attended` left out stay as they are.
* Writes other than create and update answer 200 with no content (I14). Dates are F4 in the
  organisation's time zone (I15).
"""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes, no_content
from lmsform.providers.damstra.emulator.dates import f4, stored
from lmsform.providers.damstra.emulator.errors import bad_request, not_found
from lmsform.providers.damstra.emulator.paging import Window, envelope
from lmsform.providers.damstra.emulator.requests_in import Body, is_integer, query_integer, request_body
from lmsform.providers.damstra.emulator.schedule_rules import MANUAL_COMPLETION
from lmsform.providers.damstra.emulator.schedule_writes import complete_schedule, open_schedule_for
from lmsform.providers.damstra.emulator.session_store import (
    ACTIVE,
    CANCELLED,
    COMPLETED,
    STATES,
    AttendeeRecord,
    SessionRecord,
    session_state,
)
from lmsform.providers.damstra.emulator.user_store import UserRecord
from lmsform.providers.emulation.flask_kit import json_response

_NOTICES = (
    "iltSessionCancellationTraineeNotificationEnabled",
    "iltSessionCancellationInstructorNotificationEnabled",
)
_STATUS_IDS = (ACTIVE, COMPLETED, CANCELLED)


class SessionApi(ApiArea):
    def routes(self) -> Routes:
        by_id = "/ilt_session/<int:session_id>"
        return (
            (
                "/ilt_session",
                {"GET": Operation(self.list_sessions, terse_auth_error=True), "POST": Operation(self.create)},
            ),
            (
                by_id,
                {"GET": Operation(self.get_session, terse_auth_error=True), "PATCH": Operation(self.update)},
            ),
            (f"{by_id}/complete", {"POST": Operation(self.complete)}),
            (f"{by_id}/cancel_session", {"POST": Operation(self.cancel)}),
            (f"{by_id}/bulk_register", {"POST": Operation(self.register)}),
            (f"{by_id}/bulk_deregister", {"POST": Operation(self.deregister)}),
            (f"{by_id}/attendees", {"GET": Operation(self.list_attendees, terse_auth_error=True)}),
            (f"{by_id}/save_progress", {"POST": Operation(self.save_progress)}),
        )

    # --- shapes ---------------------------------------------------------------------------------------

    def _f4(self, text: str) -> str:
        return f4(text, self.store.organisation().time_zone)

    def _summary(self, session: SessionRecord) -> dict[str, Any]:
        instructor = self.store.get_user(session.instructor_id)
        return {
            "id": session.id,
            "statusId": session.status_id,
            "instructorId": session.instructor_id,
            "instructorFirstName": instructor.first_name if instructor else "",
            "instructorLastName": instructor.last_name if instructor else "",
            "lessonId": session.lesson_id,
            "notes": session.notes or "",
            "numberOfPlaces": session.places,
            "startDatetime": self._f4(session.start_at),
            "endDatetime": self._f4(session.end_at),
            "location": session.location,
            "createdDate": self._f4(session.created_at),
            "modifiedDate": self._f4(session.modified_at),
        }

    def _full(self, session: SessionRecord) -> dict[str, Any]:
        attendees = self.store.attendees_of(session.id)
        lesson = None if session.lesson_id is None else self.store.get_lesson(session.lesson_id)
        return {
            "id": session.id,
            "instructorId": session.instructor_id,
            "statusId": session.status_id,
            "lessonId": session.lesson_id,
            "lessonName": lesson.name if lesson else "",
            "instructorLed": True,
            "notes": session.notes or "",
            "numberOfAttendees": len(attendees),
            "numberOfPlaces": session.places,
            "startDatetime": self._f4(session.start_at),
            "endDatetime": self._f4(session.end_at),
            "location": session.location,
            "state": session_state(session, self.store.now()),
            "attendanceRate": _rate(attendees, "attended"),
            "passRate": _rate(attendees, "passed"),
            "iltSessionCancellationTraineeNotificationEnabled": bool(session.notify_trainees),
            "iltSessionCancellationInstructorNotificationEnabled": bool(session.notify_instructor),
            "createdDate": self._f4(session.created_at),
            "modifiedDate": self._f4(session.modified_at),
        }

    def _attendee(self, attendee: AttendeeRecord) -> dict[str, Any]:
        users = self.store.get_users([attendee.user_id, attendee.registering_user_id])
        user, registering = users[attendee.user_id], users[attendee.registering_user_id]
        return {
            "id": attendee.id,
            "userId": user.id,
            "sessionId": attendee.session_id,
            "lessonScheduleId": attendee.lesson_schedule_id,
            "userName": user.user_name,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "registeringUserId": registering.id,
            "registeringUserFirstName": registering.first_name,
            "registeringUserLastName": registering.last_name,
            "passed": attendee.passed,
            "attended": attendee.attended,
            "createdDate": self._f4(attendee.created_at),
            "modifiedDate": self._f4(attendee.modified_at),
        }

    # --- reads ----------------------------------------------------------------------------------------

    def list_sessions(self) -> flask.Response:
        state, status = _query_code("state"), _query_code("status")
        instructor, schedule = query_integer("instructorId"), query_integer("lessonScheduleId")
        now = self.store.now()
        sessions = [
            session
            for session in self.store.all_sessions()
            if (status is None or session.status_id == status)
            and (state is None or STATES[session_state(session, now)] == state)
            and (instructor is None or session.instructor_id == instructor)
            and (
                schedule is None
                or any(a.lesson_schedule_id == schedule for a in self.store.attendees_of(session.id))
            )
        ]
        window = self.window()
        page = window.cut(sessions)
        return json_response(envelope(window, len(sessions), [self._summary(session) for session in page]))

    def get_session(self, session_id: int) -> flask.Response:
        return json_response(self._full(self._session(session_id)))

    def list_attendees(self, session_id: int) -> flask.Response:
        attendees = self.store.attendees_of(self._session(session_id).id)
        paged = any(name in flask.request.args for name in ("startIndex", "maxResults"))
        window = self.window() if paged else Window(0, len(attendees))
        page = window.cut(attendees)
        return json_response(envelope(window, len(attendees), [self._attendee(item) for item in page]))

    # --- writes ---------------------------------------------------------------------------------------

    def create(self) -> flask.Response:
        body = Body(request_body())
        body.require(["startDatetime", "endDatetime", "location", "instructorId"])
        start, end = body.instant("startDatetime"), body.instant("endDatetime")
        assert start is not None and end is not None
        if end < start:
            raise bad_request("endDatetime is before startDatetime")
        instructor = self._instructor(body)
        lesson_id = body.integer("lessonId")
        if lesson_id is not None and self.store.get_lesson(lesson_id) is None:
            raise not_found("Lesson", lesson_id)
        now = self.store.now_stored()
        columns = {
            "lesson_id": lesson_id,
            "instructor_id": instructor.id,
            "start_at": stored(start),
            "end_at": stored(end),
            "location": body.required_text("location"),
            "notes": body.text("notes"),
            "places": 1,
            "status_id": ACTIVE,
            "created_at": now,
            "modified_at": now,
        }
        session = self.store.insert_session(self.store.next_id("ilt_session"), columns)
        return json_response(self._summary(session))

    def update(self, session_id: int) -> flask.Response:
        session = self._session(session_id)
        body = Body(request_body())
        body.require(["instructorId", "location"])
        if session.status_id == CANCELLED:
            raise bad_request(f"ILT session {session_id} is cancelled")
        changes: dict[str, Any] = {
            "instructor_id": self._instructor(body).id,
            "location": body.required_text("location"),
        }
        if body.has("notes"):
            changes["notes"] = body.text("notes")
        places = body.integer("numberOfPlaces")
        if places is not None:
            if places < 1:
                raise bad_request("numberOfPlaces must be at least 1")
            changes["places"] = places
        status = body.integer("statusId")
        if status is not None:
            if status not in _STATUS_IDS:
                raise bad_request("statusId must be 1, 2 or 3")
            changes["status_id"] = status
        updated = self.store.update_session(session_id, {**changes, "modified_at": self.store.now_stored()})
        return json_response(self._full(updated))

    def complete(self, session_id: int) -> flask.Response:
        session = self._session(session_id)
        if session.status_id != ACTIVE:
            raise bad_request(f"ILT session {session_id} is already {_status_name(session)}")
        owner, now = self.store.owner(), self.store.now()
        for attendee in self.store.attendees_of(session_id):
            schedule = (
                None
                if session.lesson_id is None
                else open_schedule_for(self.store, attendee.user_id, session.lesson_id)
            )
            if schedule is not None:
                complete_schedule(self.store, schedule, now, owner, MANUAL_COMPLETION)
        self.store.update_session(
            session_id, {"status_id": COMPLETED, "modified_at": self.store.now_stored()}
        )
        return no_content()

    def cancel(self, session_id: int) -> flask.Response:
        session = self._session(session_id)
        body = Body(request_body())
        body.require(_NOTICES)
        trainees, instructor = (body.boolean(name) for name in _NOTICES)
        if trainees is None or instructor is None:
            raise bad_request("Both notification flags must be true or false")
        if session.status_id == COMPLETED:
            raise bad_request(f"ILT session {session_id} is completed and cannot be cancelled")
        if session.status_id == ACTIVE:
            changes = {"status_id": CANCELLED, "notify_trainees": trainees, "notify_instructor": instructor}
            self.store.update_session(session_id, {**changes, "modified_at": self.store.now_stored()})
        return no_content()

    def register(self, session_id: int) -> flask.Response:
        session = self._session(session_id)
        user_ids = _user_ids(Body(request_body()))
        if session.status_id != ACTIVE:
            raise bad_request(f"ILT session {session_id} is {_status_name(session)}")
        if session.lesson_id is None:
            raise bad_request(f"ILT session {session_id} has no lesson to register users for")
        known = self.store.get_users(user_ids)
        registered = {attendee.user_id for attendee in self.store.attendees_of(session_id)}
        schedules: dict[int, int] = {}
        for user_id in user_ids:
            if user_id not in known:
                raise not_found("User", user_id)
            schedule = open_schedule_for(self.store, user_id, session.lesson_id)
            if schedule is None:
                raise bad_request(f"User {user_id} is not scheduled for lesson {session.lesson_id}")
            schedules[user_id] = schedule.id
        owner, now = self.store.owner(), self.store.now_stored()
        for user_id in dict.fromkeys(user_ids):
            if user_id not in registered:
                columns = {
                    "session_id": session_id,
                    "user_id": user_id,
                    "lesson_schedule_id": schedules[user_id],
                    "registering_user_id": owner.id,
                    "passed": False,
                    "attended": False,
                    "created_at": now,
                    "modified_at": now,
                }
                self.store.add_attendee(self.store.next_id("ilt_attendee"), columns)
        return no_content()

    def deregister(self, session_id: int) -> flask.Response:
        self._session(session_id)
        user_ids = _user_ids(Body(request_body()))
        if user_ids:
            self.store.remove_attendees(session_id, user_ids)
        return no_content()

    def save_progress(self, session_id: int) -> flask.Response:
        self._session(session_id)
        body = Body(request_body())
        body.require(["attendees"])
        items = body.raw("attendees")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise bad_request("attendees must be an array of objects")
        known = {attendee.id for attendee in self.store.attendees_of(session_id)}
        now = self.store.now_stored()
        for index, item in enumerate(items):
            fields = Body(item, where=f"attendees[{index}].")
            attendee_id = fields.integer("id")
            if attendee_id not in known:
                raise bad_request(
                    f"attendees[{index}].id {attendee_id} is not an attendee of session {session_id}"
                )
            assert attendee_id is not None
            changes = {name: fields.boolean(name) for name in ("passed", "attended") if fields.has(name)}
            self.store.set_progress(attendee_id, {**changes, "modified_at": now})
        return no_content()

    # --- shared ---------------------------------------------------------------------------------------

    def _session(self, session_id: int) -> SessionRecord:
        session = self.store.get_session(session_id)
        if session is None:
            raise not_found("ILT session", session_id)
        return session

    def _instructor(self, body: Body) -> UserRecord:
        instructor_id = body.integer("instructorId", nullable=False)
        instructor = None if instructor_id is None else self.store.get_user(instructor_id)
        if instructor is None or not instructor.active:
            raise bad_request(f"instructorId {instructor_id} is not an active user")
        return instructor


def _rate(attendees: list[AttendeeRecord], flag: str) -> int:
    if not attendees:
        return 0
    return round(100 * sum(1 for attendee in attendees if getattr(attendee, flag)) / len(attendees))


def _status_name(session: SessionRecord) -> str:
    return {ACTIVE: "active", COMPLETED: "completed", CANCELLED: "cancelled"}[session.status_id]


def _query_code(name: str) -> int | None:
    code = query_integer(name)
    if code is not None and code not in (1, 2, 3):
        raise bad_request(f"{name} must be 1, 2 or 3")
    return code


def _user_ids(body: Body) -> list[int]:
    body.require(["userIds"])
    user_ids = body.integers("userIds")
    if user_ids is None or not all(is_integer(user_id) for user_id in user_ids):
        raise bad_request("userIds must be an array of integer ids")
    return user_ids
