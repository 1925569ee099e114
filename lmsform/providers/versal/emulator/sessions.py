"""User sessions and self-service profile calls: `POST /sessions`, `GET /user`, `PUT /users/{userId}`.

* `POST /sessions` (API key) names the user by `userId` (digits, as a string or integer) or `email`
  (one is required, else 400); with both, `userId` decides. The user must be a member of the key's org,
  else 404 "User not found". Answers 201 `{sessionId, user}`; the id is a fresh UUID4.
* `GET /user` (session only; a key answers 401, versal.md D16) answers the session's user.
* `PUT /users/{userId}` (key, or that user's own session; another user's session → 403) behaves as a
  PATCH of `firstname`, `lastname`, `fullname`, `longDesc`, `shortDesc`; other keys (`email`) are
  ignored, `{}` changes nothing, `""` clears a field. The user must be a member of the key's org, else
  404 "User not found". Answers 201 with the full `User_View_Model`.
"""

from __future__ import annotations

import uuid

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.versal.emulator.auth import Caller
from lmsform.providers.versal.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.versal.emulator.dates import later_stored, now_stored
from lmsform.providers.versal.emulator.errors import bad_request, insufficient_permissions, not_found
from lmsform.providers.versal.emulator.org_store import SessionRecord
from lmsform.providers.versal.emulator.requests_in import Body, id_value, json_body, path_integer
from lmsform.providers.versal.emulator.shapes import user_view
from lmsform.providers.versal.emulator.user_rules import read_profile
from lmsform.providers.versal.emulator.user_store import UserRecord


class SessionApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/sessions", {"POST": Operation(self.create_session, "key")}),
            ("/user", {"GET": Operation(self.session_user, "session")}),
            ("/users/<user_ref>", {"PUT": Operation(self.update_user, "any")}),
        )

    def _session_target(self, caller: Caller, body: Body) -> UserRecord:
        if body.raw("userId") is not None:
            user_id = id_value(body.raw("userId"))
            if user_id is None:
                raise bad_request("userId must be a numeric user id")
            member = self.store.member(caller.org_id, user_id)
        elif body.has("email"):
            user = self.store.user_by_email(body.email("email"))
            member = None if user is None else self.store.member(caller.org_id, user.id)
        else:
            raise bad_request("userId or email is required")
        if member is None:
            raise not_found("User not found")
        return member.user

    def create_session(self, caller: Caller) -> flask.Response:
        user = self._session_target(caller, Body(json_body()))
        session = SessionRecord(
            str(uuid.uuid4()), caller.org_id, user.id, later_stored(self.options.session_days)
        )
        self.store.insert_session(session, now_stored())
        return json_response({"sessionId": session.id, "user": user_view(user)}, 201)

    def session_user(self, caller: Caller) -> flask.Response:
        assert caller.user_id is not None
        user = read_back(self.store.user(caller.user_id))
        return json_response(user_view(user))

    def update_user(self, caller: Caller, user_ref: str) -> flask.Response:
        user_id = path_integer(user_ref)
        if caller.user_id is not None and caller.user_id != user_id:
            raise insufficient_permissions()
        if not self.store.is_member(caller.org_id, user_id):
            raise not_found("User not found")
        changes = read_profile(Body(json_body()))
        return json_response(user_view(self.store.update_profile(user_id, changes)), 201)
