"""Instructor-led training: `/v1/lessons` (list), `/v1/ilt-instructors` and `/v1/ilt-sessions`
(skilljar.md D79 to D82).

Answers are the spec's shapes: `Lesson`, `IltInstructor` (without the integer id its own URL takes)
and `IltSession`. A session is never deleted (the spec has no DELETE); a PUT replaces every field.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.errors import FieldInvalid, ValidationFailed, field_error, not_found
from lmsform.providers.skilljar.emulator.ilt_store import InstructorRecord, LessonRecord, SessionRecord
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Parser,
    Schema,
    choice,
    email,
    integer,
    list_of,
    query_text,
    request_body,
    text,
    timestamp,
    url,
    validate_object,
)
from lmsform.providers.skilljar.emulator.store import SkilljarStore

# The spec states no page size for these lists: the default of the other lists (skilljar.md D5).
ILT_PAGE_SIZE = 100
PROVIDERS = (
    "calendar",
    "goto.meeting",
    "goto.training",
    "goto.webcast",
    "goto.webinar",
    "webex.meeting",
    "webex.webinar",
    "zoom.meeting",
    "zoom.webinar",
)
CALENDAR = "calendar"
INSTRUCTOR_CREATE: Schema = {"email": Field(email(), required=True)}
# `Instructor Name <instructor@example.com>` is accepted for the instructor too (the spec's text).
_NAMED_ADDRESS = re.compile(r"\s*[^<>]*<([^<>]+)>\s*")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone() -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in _timezones():
            raise FieldInvalid([f'"{value}" is not a valid choice.'])
        return value

    return parse


def _instructor_address() -> Parser:
    as_email = email()

    def parse(value: Any) -> str:
        named = _NAMED_ADDRESS.fullmatch(value) if isinstance(value, str) else None
        result: str = as_email(named.group(1) if named else value)
        return result

    return parse


# IltSessionRequest: POST and PUT take the same body (skilljar.md D82).
SESSION_REQUEST: Schema = {
    "instructor_email": Field(_instructor_address(), required=True),
    "provider": Field(choice(PROVIDERS)),
    "lesson": Field(text(allow_blank=False)),
    "multi_session_event": Field(text(allow_blank=False)),
    "display_name": Field(text(200, allow_blank=False), required=True),
    "starts_at": Field(timestamp(), required=True),
    "ends_at": Field(timestamp(), required=True),
    "timezone": Field(_timezone(), required=True),
    "description": Field(text()),
    "seats_total": Field(integer(minimum=0), nullable=True),
    "location": Field(text(100)),
    "post_registration_instructions": Field(text()),
    "event_link": Field(url()),
    "tags": Field(list_of(text(100, allow_blank=False))),
}
# What a field becomes when a POST or a PUT leaves it out.
SESSION_DEFAULTS: Mapping[str, Any] = {
    "lesson": None,
    "multi_session_event": None,
    "provider": CALENDAR,
    "description": "",
    "seats_total": None,
    "location": "",
    "post_registration_instructions": "",
    "event_link": None,
    "tags": [],
}


def lesson_json(lesson: LessonRecord) -> dict[str, Any]:
    return {
        "id": lesson.id,
        "course_id": lesson.course_id,
        "title": lesson.title,
        "order": lesson.order,
        "type": lesson.type,
        "content_html": "",
        "description_html": "",
        "optional": False,
        "display_fullscreen": False,
    }


def instructor_json(instructor: InstructorRecord) -> dict[str, Any]:
    """IltInstructor: no id (skilljar.md D80)."""
    return {"email": instructor.email, "name": instructor.email.partition("@")[0], "providers": [CALENDAR]}


def session_json(session: SessionRecord) -> dict[str, Any]:
    settings = session.settings
    answer = {"id": session.id, **{name: value for name, value in settings.items() if value is not None}}
    return answer


def checked_session(store: SkilljarStore, clean: Mapping[str, Any]) -> dict[str, Any]:
    """A validated SESSION_REQUEST body with its defaults, refused where the spec's rules are broken."""
    settings = {**SESSION_DEFAULTS, **clean}
    if settings["lesson"] is None and settings["multi_session_event"] is None:
        raise ValidationFailed(
            {"non_field_errors": ["It is required to set either lesson or multi_session_event."]}
        )
    if settings["lesson"] is not None and store.get_lesson(settings["lesson"]) is None:
        raise field_error("lesson", f'Invalid pk "{settings["lesson"]}" - object does not exist.')
    if settings["multi_session_event"] is not None:
        # The emulator keeps no multi-session events (skilljar.md D82).
        raise field_error(
            "multi_session_event", f'Invalid pk "{settings["multi_session_event"]}" - object does not exist.'
        )
    if settings["provider"] != CALENDAR:
        for name in ("location", "event_link"):
            if settings[name]:
                raise field_error(name, "This cannot be set for non-calendar sessions.")
    if settings["ends_at"] < settings["starts_at"]:
        raise field_error("ends_at", "The end of the event must be after its start.")
    if store.find_instructor(settings["instructor_email"]) is None:
        raise field_error("instructor_email", "No instructor with this email exists.")
    return settings


class IltApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/v1/lessons", {"GET": self.list_lessons}),
            ("/v1/ilt-instructors", {"GET": self.list_instructors, "POST": self.create_instructor}),
            (
                "/v1/ilt-instructors/<int:instructor_id>",
                {
                    "GET": self.get_instructor,
                    "PUT": self.change_instructor,
                    "PATCH": self.change_instructor,
                    "DELETE": self.delete_instructor,
                },
            ),
            ("/v1/ilt-sessions", {"GET": self.list_sessions, "POST": self.create_session}),
            ("/v1/ilt-sessions/<oid:session_id>", {"GET": self.get_session, "PUT": self.replace_session}),
        )

    def list_lessons(self) -> flask.Response:
        course_id = query_text("course_id")
        if not course_id:
            raise field_error("course_id", "This query parameter is required.")
        if not self.store.course_exists(course_id):
            raise not_found()
        page = self.pager.requested_page(ILT_PAGE_SIZE)
        return json_response(
            self.pager.envelope(page, self.store.list_lessons(course_id, page.window), lesson_json)
        )

    # --- instructors ------------------------------------------------------------------------------

    def _instructor(self, instructor_id: int) -> InstructorRecord:
        instructor = self.store.get_instructor(instructor_id)
        if instructor is None:
            raise not_found()
        return instructor

    def list_instructors(self) -> flask.Response:
        wanted_provider = query_text("provider")
        if wanted_provider is not None and wanted_provider not in PROVIDERS:
            raise field_error(
                "provider", f"Select a valid choice. {wanted_provider} is not one of the available choices."
            )
        page = self.pager.requested_page(ILT_PAGE_SIZE)
        rows = self.store.list_instructors(query_text("email"), page.window)
        if wanted_provider not in (None, CALENDAR):  # every emulated instructor has the calendar only
            rows = type(rows)(0, [])
        return json_response(self.pager.envelope(page, rows, instructor_json))

    def create_instructor(self) -> flask.Response:
        clean = validate_object(request_body(), INSTRUCTOR_CREATE)
        if self.store.find_instructor(clean["email"]) is not None:
            raise field_error("email", "An instructor with this email already exists.")
        return json_response(instructor_json(self.store.add_instructor(clean["email"])), 201)

    def get_instructor(self, instructor_id: int) -> flask.Response:
        return json_response(instructor_json(self._instructor(instructor_id)))

    def change_instructor(self, instructor_id: int) -> flask.Response:
        instructor = self._instructor(instructor_id)
        schema = INSTRUCTOR_CREATE if flask.request.method == "PUT" else {"email": Field(email())}
        clean = validate_object(request_body(), schema)
        if "email" in clean:
            self.store.update_instructor(instructor.id, clean["email"])
        return json_response(instructor_json(self._instructor(instructor_id)))

    def delete_instructor(self, instructor_id: int) -> flask.Response:
        if not self.store.delete_instructor(instructor_id):
            raise not_found()
        return empty_response(204)

    # --- sessions ---------------------------------------------------------------------------------

    def _session(self, session_id: str) -> SessionRecord:
        session = self.store.get_session(session_id)
        if session is None:
            raise not_found()
        return session

    def list_sessions(self) -> flask.Response:
        page = self.pager.requested_page(ILT_PAGE_SIZE)
        return json_response(self.pager.envelope(page, self.store.list_sessions(page.window), session_json))

    def create_session(self) -> flask.Response:
        settings = checked_session(self.store, validate_object(request_body(), SESSION_REQUEST))
        return json_response(session_json(self.store.create_session(settings)), 201)

    def get_session(self, session_id: str) -> flask.Response:
        return json_response(session_json(self._session(session_id)))

    def replace_session(self, session_id: str) -> flask.Response:
        self._session(session_id)
        settings = checked_session(self.store, validate_object(request_body(), SESSION_REQUEST))
        return json_response(session_json(self.store.replace_session(session_id, settings)))
