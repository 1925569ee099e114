"""Gadgets: config (`/courses/{c}/gadgets/{g}/config`, its staged twin) and user data (paged).

* Config answers the gadget's `config` object; sessions with edit rights also get its private fields
  (versal.md Gadgets). The staged twin serves published courses only (404 otherwise), like the staged course.
* User data (`/courses/{c}/lessons/{l}/gadgets/{g}/userdata`) pages `{user, state}` by user id. The
  gadget must sit in that lesson (else 404). API keys and editing sessions see every user's state;
  other sessions only their own (decision).
"""

from __future__ import annotations

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.versal.emulator.access import CourseAccess, caller_course
from lmsform.providers.versal.emulator.auth import Caller
from lmsform.providers.versal.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.versal.emulator.course_store import GadgetRecord
from lmsform.providers.versal.emulator.errors import not_found
from lmsform.providers.versal.emulator.learner_store import UserFilter
from lmsform.providers.versal.emulator.shapes import gadget_config, gadget_userdata_view


class GadgetApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/courses/<course_ref>/gadgets/<gadget_ref>/config", {"GET": Operation(self.config)}),
            (
                "/catalogs/staged/courses/<course_ref>/gadgets/<gadget_ref>/config",
                {"GET": Operation(self.staged_config)},
            ),
            (
                "/courses/<course_ref>/lessons/<lesson_ref>/gadgets/<gadget_ref>/userdata",
                {"GET": Operation(self.userdata)},
            ),
        )

    def _gadget(self, access: CourseAccess, gadget_ref: str) -> GadgetRecord:
        gadget = self.store.gadget(access.course.id, gadget_ref)
        if gadget is None:
            raise not_found()
        return gadget

    def config(self, caller: Caller, course_ref: str, gadget_ref: str) -> flask.Response:
        access = caller_course(self.store, caller, course_ref)
        return json_response(gadget_config(self._gadget(access, gadget_ref), private=access.private))

    def staged_config(self, caller: Caller, course_ref: str, gadget_ref: str) -> flask.Response:
        access = caller_course(self.store, caller, course_ref, published=True)
        return json_response(gadget_config(self._gadget(access, gadget_ref), private=access.private))

    def userdata(self, caller: Caller, course_ref: str, lesson_ref: str, gadget_ref: str) -> flask.Response:
        access = caller_course(self.store, caller, course_ref)
        gadget = self._gadget(access, gadget_ref)
        if gadget.lesson_id != lesson_ref:
            raise not_found()
        users = UserFilter() if access.editor else UserFilter([caller.user_id or 0])  # a session: own rows
        page = self.page()
        course_id = access.course.id
        rows = self.store.gadget_states_page(course_id, gadget.id, users, page.per_page, page.offset)
        items = [gadget_userdata_view(user, state) for user, state in rows]
        return self.paged(items, page, self.store.count_gadget_states(course_id, gadget.id, users))
