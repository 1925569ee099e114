"""Course definitions and their labels (skilljar.md Courses, D20, D21)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.course_store import CourseRecord, LabelRecord
from lmsform.providers.skilljar.emulator.errors import field_error, not_found
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    choice,
    list_of,
    nested,
    query_text,
    request_body,
    text,
    validate_object,
)
from lmsform.providers.skilljar.emulator.store import SkilljarStore

COURSES_PAGE_SIZE = 100
LABELS_PAGE_SIZE = 100
COURSE_LABELS_PAGE_SIZE = 100

# What a course with no lessons shows as its summed time, in each display format.
_ZERO_COURSE_TIME = {
    "HOURS_MINUTES_SECONDS": "00:00:00",
    "HOURS_MINUTES": "00:00",
    "HOURS_MINUTES_VERBOSE": "0 hr 0 min",
    "MINUTES_VERBOSE": "0 min",
}
_REQUIRED_ON_CREATE = ("title", "short_description", "enforce_sequential_navigation")

LABEL_NAME = text(255, allow_blank=False)
# PUT and PATCH are both partial (skilljar.md D15), so updates take these as they are.
COURSE_UPDATE: Schema = {
    "title": Field(text(allow_blank=False)),
    "short_description": Field(text(allow_blank=False)),
    "enforce_sequential_navigation": Field(boolean()),
    "long_description_html": Field(text()),
    "labels": Field(list_of(LABEL_NAME)),
    "display_course_and_lesson_time": Field(boolean()),
    "display_manual_course_time": Field(boolean()),
    # The spec's request schema says minLength 1 (next to a default of ""), so blank is refused.
    "manual_course_time": Field(text(15, allow_blank=False)),
    "course_and_lesson_time_format": Field(choice(_ZERO_COURSE_TIME)),
}
COURSE_CREATE: Schema = {
    name: replace(field, required=True) if name in _REQUIRED_ON_CREATE else field
    for name, field in COURSE_UPDATE.items()
}
LABEL_CREATE: Schema = {"name": Field(LABEL_NAME, required=True)}
LABEL_UPDATE: Schema = {"name": Field(LABEL_NAME)}
COURSE_LABEL_CREATE: Schema = {
    "label": Field(nested({"id": Field(text(allow_blank=False), required=True)}), required=True),
}


# --- response shapes ----------------------------------------------------------------------------------


def course_json(course: CourseRecord) -> dict[str, Any]:
    # `draft_origin_id` and `average_rating` are left out: the emulator has no drafts or ratings, and
    # the spec allows null for neither.
    return {
        "id": course.id,
        "enforce_sequential_navigation": course.enforce_sequential_navigation,
        "long_description_html": course.long_description_html,
        "short_description": course.short_description,
        "title": course.title,
        "labels": course.labels,
        "promo_image_url": "",
        "display_course_and_lesson_time": course.display_course_and_lesson_time,
        "manual_course_time": course.manual_course_time,
        "display_manual_course_time": course.display_manual_course_time,
        "course_and_lesson_time_format": course.course_and_lesson_time_format,
        "course_time": _course_time(course),
        "created_at": course.created_at,
        "modified_at": course.modified_at,
    }


def _course_time(course: CourseRecord) -> str:
    if course.display_manual_course_time and course.manual_course_time:
        return course.manual_course_time
    return _ZERO_COURSE_TIME[course.course_and_lesson_time_format]


def label_json(label: LabelRecord) -> dict[str, Any]:
    return {"id": label.id, "name": label.name}


def label_association_json(label: LabelRecord) -> dict[str, Any]:
    return {"label": label_json(label)}


# --- rules shared with the seed hook ----------------------------------------------------------------


def add_course(store: SkilljarStore, clean: Mapping[str, Any]) -> CourseRecord:
    """A course from a validated COURSE_CREATE body; its `labels` are get-or-created by name."""
    course = store.create_course({name: value for name, value in clean.items() if name != "labels"})
    if "labels" in clean:
        store.replace_course_labels(course.id, clean["labels"])
    return _reloaded(store, course.id)


def change_course(store: SkilljarStore, course_id: str, changes: Mapping[str, Any]) -> CourseRecord:
    """Apply a validated COURSE_UPDATE body; `labels`, when given, replaces the whole label set."""
    store.update_course(course_id, {name: value for name, value in changes.items() if name != "labels"})
    if "labels" in changes:
        store.replace_course_labels(course_id, changes["labels"])
    return _reloaded(store, course_id)


def _reloaded(store: SkilljarStore, course_id: str) -> CourseRecord:
    return read_back(store.get_course(course_id))


# --- the API ----------------------------------------------------------------------------------------


class CourseApi(ApiArea):
    def routes(self) -> Routes:
        item = {"GET": self.get_course, "PUT": self.update_course, "PATCH": self.update_course}
        return (
            ("/v1/courses", {"GET": self.list_courses, "POST": self.create_course}),
            ("/v1/courses/<oid:course_id>", {**item, "DELETE": self.delete_course}),
            (
                "/v1/courses/<oid:course_id>/labels",
                {"GET": self.list_course_labels, "POST": self.add_course_label},
            ),
            (
                "/v1/courses/<oid:course_id>/labels/<oid:label_id>",
                {"GET": self.get_course_label, "DELETE": self.remove_course_label},
            ),
            ("/v1/labels", {"GET": self.list_labels, "POST": self.create_label}),
            (
                "/v1/labels/<oid:label_id>",
                {
                    "GET": self.get_label,
                    "PUT": self.update_label,
                    "PATCH": self.update_label,
                    "DELETE": self.delete_label,
                },
            ),
        )

    # --- courses -----------------------------------------------------------------------------------

    def _course(self, course_id: str) -> CourseRecord:
        course = self.store.get_course(course_id)
        if course is None:
            raise not_found()
        return course

    def list_courses(self) -> flask.Response:
        page = self.pager.requested_page(COURSES_PAGE_SIZE)
        rows = self.store.list_courses(query_text("label__name"), page.window)
        return json_response(self.pager.envelope(page, rows, course_json))

    def create_course(self) -> flask.Response:
        clean = validate_object(request_body(), COURSE_CREATE)
        return json_response(course_json(add_course(self.store, clean)), 201)

    def get_course(self, course_id: str) -> flask.Response:
        return json_response(course_json(self._course(course_id)))

    def update_course(self, course_id: str) -> flask.Response:
        self._course(course_id)
        changes = validate_object(request_body(), COURSE_UPDATE)
        return json_response(course_json(change_course(self.store, course_id, changes)))

    def delete_course(self, course_id: str) -> flask.Response:
        if not self.store.delete_course(course_id):
            raise not_found()
        return empty_response(204)

    # --- a course's labels ---------------------------------------------------------------------------

    def list_course_labels(self, course_id: str) -> flask.Response:
        course = self._course(course_id)
        page = self.pager.requested_page(COURSE_LABELS_PAGE_SIZE, size_param=False)
        rows = self.store.list_course_labels(course.id, page.window)
        return json_response(self.pager.envelope(page, rows, label_association_json))

    def add_course_label(self, course_id: str) -> flask.Response:
        course = self._course(course_id)
        label_id = validate_object(request_body(), COURSE_LABEL_CREATE)["label"]["id"]
        label = self.store.get_label(label_id)
        if label is None:
            raise field_error("label", "Invalid label id.")
        if self.store.get_course_label(course.id, label.id) is not None:
            raise field_error("non_field_errors", "Label is already associated with this course.")
        self.store.add_course_label(course.id, label.id)
        return json_response(label_association_json(label), 201)

    def get_course_label(self, course_id: str, label_id: str) -> flask.Response:
        label = self.store.get_course_label(self._course(course_id).id, label_id)
        if label is None:
            raise not_found()
        return json_response(label_association_json(label))

    def remove_course_label(self, course_id: str, label_id: str) -> flask.Response:
        if not self.store.remove_course_label(self._course(course_id).id, label_id):
            raise not_found()
        return empty_response(204)

    # --- labels --------------------------------------------------------------------------------------

    def _label(self, label_id: str) -> LabelRecord:
        label = self.store.get_label(label_id)
        if label is None:
            raise not_found()
        return label

    def _ensure_unique_label_name(self, name: str, label_id: str | None = None) -> None:
        other = self.store.find_label_by_name(name)
        if other is not None and other.id != label_id:
            raise field_error("name", "label with this name already exists.")

    def list_labels(self) -> flask.Response:
        page = self.pager.requested_page(LABELS_PAGE_SIZE)
        return json_response(self.pager.envelope(page, self.store.list_labels(page.window), label_json))

    def create_label(self) -> flask.Response:
        name = validate_object(request_body(), LABEL_CREATE)["name"]
        self._ensure_unique_label_name(name)
        return json_response(label_json(self.store.create_label(name)), 201)

    def get_label(self, label_id: str) -> flask.Response:
        return json_response(label_json(self._label(label_id)))

    def update_label(self, label_id: str) -> flask.Response:
        label = self._label(label_id)
        changes = validate_object(request_body(), LABEL_UPDATE)
        if "name" in changes:
            self._ensure_unique_label_name(changes["name"], label.id)
            label = self.store.rename_label(label.id, changes["name"]) or label
        return json_response(label_json(label))

    def delete_label(self, label_id: str) -> flask.Response:
        if not self.store.delete_label(label_id):
            raise not_found()
        return empty_response(204)
