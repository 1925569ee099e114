"""Courses (read-only): `GET /courses`, `GET /courses/{courseId}`, `GET /catalogs/staged/courses/{courseId}`.

* `GET /courses` pages the caller org's courses by id (versal.md D14): for an API key or an org-admin session
  all of them, for other sessions the published ones and those they can edit. Filters: `title`
  (case-insensitive substring), `author` (an integer user id holding an editor role on the course;
  not an integer → 400), `catalog` (`labs`: published, `sandbox`: the rest; other values → 400).
* `GET /courses/{courseId}`: `depth` absent → no `lessons`; `lessons` → lessons without `gadgets`;
  `full` → lessons with `gadgets`; other values → 400 (versal.md D15). Access as in `access`.
* The staged endpoint has no `depth`: it answers the published course with lessons and gadgets, and
  404 for a course never published.
* Session callers also get the seed's `currentPosition` (once they have a current lesson) and
  `status: "complete"` (once completed) on the detail views (versal.md Models); API keys never do.
"""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.versal.emulator.access import CourseAccess, caller_course, session_is_org_admin
from lmsform.providers.versal.emulator.auth import Caller
from lmsform.providers.versal.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.versal.emulator.course_store import CourseFilter, GadgetRecord
from lmsform.providers.versal.emulator.dates import answered
from lmsform.providers.versal.emulator.errors import bad_request
from lmsform.providers.versal.emulator.requests_in import query_text
from lmsform.providers.versal.emulator.shapes import course_view, lesson_view, position_view

CATALOGS = ("labs", "sandbox")
DEPTHS = ("lessons", "full")


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = query_text(name)
    if value is not None and value not in choices:
        raise bad_request(f"{name} must be one of {', '.join(choices)}")
    return value


def _author() -> int | None:
    value = query_text("author")
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise bad_request("author must be an integer user id") from None


class CourseApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/courses", {"GET": Operation(self.list_courses)}),
            ("/courses/<course_ref>", {"GET": Operation(self.course_detail)}),
            ("/catalogs/staged/courses/<course_ref>", {"GET": Operation(self.staged_course)}),
        )

    def list_courses(self, caller: Caller) -> flask.Response:
        where = CourseFilter(
            caller.org_id,
            title=query_text("title"),
            author=_author(),
            catalog=_choice("catalog", CATALOGS),
            viewer=None if caller.is_key or session_is_org_admin(self.store, caller) else caller.user_id,
        )
        page = self.page()
        courses = self.store.courses_page(where, page.per_page, page.offset)
        editors = self.store.editors([course.id for course in courses])
        dates = self.options.date_fields
        items = [course_view(course, editors[course.id], dates) for course in courses]
        return self.paged(items, page, self.store.count_courses(where))

    def course_detail(self, caller: Caller, course_ref: str) -> flask.Response:
        depth = _choice("depth", DEPTHS)
        return json_response(self._extended(caller, caller_course(self.store, caller, course_ref), depth))

    def staged_course(self, caller: Caller, course_ref: str) -> flask.Response:
        access = caller_course(self.store, caller, course_ref, published=True)
        return json_response(self._extended(caller, access, "full"))

    def _extended(self, caller: Caller, access: CourseAccess, depth: str | None) -> dict[str, Any]:
        """`Extended_Course_View_Model`, plus the session-only fields."""
        course, dates = access.course, self.options.date_fields
        view = course_view(course, self.store.editors([course.id])[course.id], dates)
        if course.published and course.last_published is not None:
            view["lastPublished"] = answered(course.last_published, dates)
        if depth is not None:
            by_lesson: dict[str, list[GadgetRecord]] = {}
            for gadget in self.store.gadgets(course.id) if depth == "full" else []:
                by_lesson.setdefault(gadget.lesson_id, []).append(gadget)
            view["lessons"] = [
                lesson_view(
                    lesson, by_lesson.get(lesson.id, []) if depth == "full" else None, private=access.private
                )
                for lesson in self.store.lessons(course.id)
            ]
        if caller.user_id is not None:
            progress = self.store.progress(course.id, caller.user_id)
            if progress is not None and progress.current_lesson_id is not None:
                view["currentPosition"] = position_view(progress, dates)
            if progress is not None and progress.completed:
                view["status"] = "complete"
        return view
