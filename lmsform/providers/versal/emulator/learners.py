"""Course learners (API key only): `PATCH /courses/{courseId}/users/{userId}` and
`GET /courses/{courseId}/userdata`.

* PATCH is partial (versal.md D5): `tracked`, when sent, sets the flag; `roles`, when sent, replaces the
  course roles (`learner`, `author`, `contributor`, `publisher`; others → 400); a body with neither →
  400. The user must be a member of the course's org, and `userId` all digits, else 404 "Not found".
  Answers 200 `{"tracked", "user"}` without the roles.
* `userdata` pages the *tracked* learners of the course by user id (versal.md D3, D4) as a bare array of
  `Learner_Progress_View_Model`. `userIds` (comma-separated; blanks skipped, other non-digits → 400)
  narrows it; an empty value is no filter.
"""

from __future__ import annotations

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.versal.emulator.access import caller_course
from lmsform.providers.versal.emulator.auth import Caller
from lmsform.providers.versal.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.versal.emulator.errors import bad_request, not_found
from lmsform.providers.versal.emulator.learner_store import UserFilter
from lmsform.providers.versal.emulator.requests_in import Body, digits_id, json_body, query_text
from lmsform.providers.versal.emulator.shapes import progress_view, user_view

COURSE_ROLES = ("learner", "author", "contributor", "publisher")


def requested_users() -> UserFilter:
    """The `userIds` CSV filter."""
    text = query_text("userIds")
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    if not items:
        return UserFilter()
    ids = [digits_id(item) for item in items]
    if any(user_id is None for user_id in ids):
        raise bad_request("userIds must be comma-separated numeric user ids")
    return UserFilter(list(dict.fromkeys(user_id for user_id in ids if user_id is not None)))


class LearnerApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/courses/<course_ref>/users/<user_ref>", {"PATCH": Operation(self.set_learner, "key")}),
            ("/courses/<course_ref>/userdata", {"GET": Operation(self.progress, "key")}),
        )

    def set_learner(self, caller: Caller, course_ref: str, user_ref: str) -> flask.Response:
        course = caller_course(self.store, caller, course_ref).course
        user_id = digits_id(user_ref)
        member = None if user_id is None else self.store.member(course.org_id, user_id)
        if member is None:
            raise not_found()
        body = Body(json_body())
        tracked = body.boolean("tracked")
        roles = body.roles("roles", COURSE_ROLES)
        if tracked is None and roles is None:
            raise bad_request("Send tracked, roles or both")
        if roles is not None:
            self.store.set_course_roles(course.id, member.user.id, roles)
        if tracked is not None:
            self.store.set_tracked(course.id, member.user.id, tracked)
        progress = self.store.progress(course.id, member.user.id)
        now_tracked = progress is not None and progress.tracked
        return json_response({"tracked": now_tracked, "user": user_view(member.user)})

    def progress(self, caller: Caller, course_ref: str) -> flask.Response:
        course = caller_course(self.store, caller, course_ref).course
        users = requested_users()
        page = self.page()
        rows = self.store.tracked_page(course.id, users, page.per_page, page.offset)
        dates = self.options.date_fields
        items = [progress_view(user, course, progress, dates) for user, progress in rows]
        return self.paged(items, page, self.store.count_tracked(course.id, users))
