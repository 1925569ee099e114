"""Users: search, read, create, update (full body), activate and inactivate (damstra.md Users).

* `GET /user` filters (AND, damstra.md U5): `q` (case-insensitive substring of userName, firstName or
  lastName, U3), `emailAddress` (exact ignoring case), `empId` (exact), `roleId` (users holding it,
  U2), `activeValue` `active` (default) | `inactive` | `all` (else 400, U1).
* Unknown user id → 404 A6.
* `POST /user` answers only `{id, createdDate, modifiedDate}` in F2 (U17).
* `POST /user/{id}` needs `id`, `firstName`, `lastName`, `emailAddress`, `phoneNumber`, `mobileNumber`,
  `employeeNumber`, `roles` and `timeZone` (400 naming the missing ones, U12); a body `id` other than
  the path's → 400 (U10); answers the whole User. `sendWelcomeEmail` and `clientStatusId` are ignored.
* Activate and inactivate are idempotent and answer 200 with no content (U18); `modifiedDate` moves on
  a real transition. Inactivating the owner → 403 E831.
"""

from __future__ import annotations

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes, no_content
from lmsform.providers.damstra.emulator.dates import f2
from lmsform.providers.damstra.emulator.errors import bad_request, not_authorised, not_found
from lmsform.providers.damstra.emulator.paging import envelope
from lmsform.providers.damstra.emulator.requests_in import (
    Body,
    query_choice,
    query_integer,
    query_text,
    request_body,
)
from lmsform.providers.damstra.emulator.shapes import one_user_json, users_json
from lmsform.providers.damstra.emulator.store import OWNER_ROLE, DamstraStore
from lmsform.providers.damstra.emulator.user_store import (
    ACTIVE_STATUS,
    INACTIVE_STATUS,
    UserFilter,
    UserRecord,
)
from lmsform.providers.damstra.emulator.user_writes import change_user, create_user, read_user_input
from lmsform.providers.emulation.flask_kit import json_response

STATUS_FILTERS = {
    "active": (ACTIVE_STATUS,),
    "inactive": (INACTIVE_STATUS,),
    "all": (ACTIVE_STATUS, INACTIVE_STATUS),
}
REQUIRED_ON_UPDATE = (
    "id",
    "firstName",
    "lastName",
    "emailAddress",
    "phoneNumber",
    "mobileNumber",
    "employeeNumber",
    "roles",
    "timeZone",
)


def require_user(store: DamstraStore, user_id: int) -> UserRecord:
    user = store.get_user(user_id)
    if user is None:
        raise not_found("User", user_id)
    return user


class UserApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/user", {"GET": Operation(self.search_users), "POST": Operation(self.create_user)}),
            ("/user/<int:user_id>", {"GET": Operation(self.get_user), "POST": Operation(self.update_user)}),
            ("/user/<int:user_id>/activate", {"POST": Operation(self.activate_user)}),
            ("/user/<int:user_id>/inactivate", {"POST": Operation(self.inactivate_user)}),
        )

    def search_users(self) -> flask.Response:
        user_filter = UserFilter(
            text=query_text("q"),
            email_address=query_text("emailAddress"),
            employee_number=query_text("empId"),
            role_id=query_integer("roleId"),
            status_ids=STATUS_FILTERS[query_choice("activeValue", tuple(STATUS_FILTERS), "active")],
        )
        window = self.window()
        total, users = self.store.find_users(user_filter, window.offset, window.limit)
        return json_response(envelope(window, total, users_json(self.store, users)))

    def get_user(self, user_id: int) -> flask.Response:
        return json_response(one_user_json(self.store, require_user(self.store, user_id)))

    def create_user(self) -> flask.Response:
        user = create_user(self.store, read_user_input(Body(request_body())))
        return json_response(
            {"id": user.id, "createdDate": f2(user.created_at), "modifiedDate": f2(user.modified_at)}
        )

    def update_user(self, user_id: int) -> flask.Response:
        user = require_user(self.store, user_id)
        body = Body(request_body())
        body.require(REQUIRED_ON_UPDATE)
        if body.integer("id") != user_id:
            raise bad_request(f"The body's id ({body.raw('id')}) is not the id in the path ({user_id})")
        updated = change_user(self.store, user, read_user_input(body), reset_absent_roles=False)
        return json_response(one_user_json(self.store, updated))

    def activate_user(self, user_id: int) -> flask.Response:
        user = require_user(self.store, user_id)
        if not user.active:
            self.store.update_user(
                user_id, {"client_status_id": ACTIVE_STATUS, "modified_at": self.store.now_stored()}
            )
        return no_content()

    def inactivate_user(self, user_id: int) -> flask.Response:
        user = require_user(self.store, user_id)
        if OWNER_ROLE in user.roles:
            raise not_authorised()
        if user.active:
            self.store.update_user(
                user_id, {"client_status_id": INACTIVE_STATUS, "modified_at": self.store.now_stored()}
            )
        return no_content()
