"""Group members and supervisors, read and written from the group's side (damstra.md Groups).

The same two relations feed every user's `groups` and `groupsSupervised` arrays, so a change here
shows there at once and the other way round.

* The lists page active users only, by id (U19); an unknown or inactive group → 404 E842.
* `userIds` is required (missing → 400, not an array of integers → 400); `[]` is a no-op (G10). An
  unknown user id anywhere in it → the whole call 404 G8 naming the first one, nothing changed (G8).
  Adding what is there or removing what is not is a no-op (G9). Inactive users may be added (decision;
  they are kept but not listed). Supervising needs no role and grants none (G12); membership and
  supervision are independent (G13). Each path does what its name says (G14).
* Success is 200 with no content. These calls do not move the users' `modifiedDate` (decision).
"""

from __future__ import annotations

from collections.abc import Callable

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes, no_content
from lmsform.providers.damstra.emulator.errors import bad_request, listed_user_not_found
from lmsform.providers.damstra.emulator.group_store import Relation
from lmsform.providers.damstra.emulator.groups import require_group
from lmsform.providers.damstra.emulator.paging import envelope
from lmsform.providers.damstra.emulator.requests_in import Body, request_body
from lmsform.providers.damstra.emulator.shapes import users_json
from lmsform.providers.emulation.flask_kit import json_response


class MembershipApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/group/<int:group_id>/member", {"GET": Operation(self._lister("memberships"))}),
            ("/group/<int:group_id>/supervisor", {"GET": Operation(self._lister("supervisions"))}),
            (
                "/group/<int:group_id>/add_members",
                {"POST": Operation(self._changer("memberships", add=True))},
            ),
            (
                "/group/<int:group_id>/remove_members",
                {"POST": Operation(self._changer("memberships", add=False))},
            ),
            (
                "/group/<int:group_id>/add_supervisors",
                {"POST": Operation(self._changer("supervisions", add=True))},
            ),
            (
                "/group/<int:group_id>/remove_supervisors",
                {"POST": Operation(self._changer("supervisions", add=False))},
            ),
        )

    def _lister(self, relation: Relation) -> Callable[[int], flask.Response]:
        def list_users(group_id: int) -> flask.Response:
            require_group(self.store, group_id)
            window = self.window()
            total, user_ids = self.store.related_active_users(relation, group_id, window.offset, window.limit)
            users = self.store.get_users(user_ids)
            return json_response(
                envelope(window, total, users_json(self.store, [users[i] for i in user_ids]))
            )

        return list_users

    def _changer(self, relation: Relation, *, add: bool) -> Callable[[int], flask.Response]:
        def change(group_id: int) -> flask.Response:
            require_group(self.store, group_id)
            user_ids = self._user_ids(Body(request_body()))
            if user_ids:
                if add:
                    self.store.relate(relation, group_id, user_ids)
                else:
                    self.store.unrelate(relation, group_id, user_ids)
            return no_content()

        return change

    def _user_ids(self, body: Body) -> list[int]:
        body.require(["userIds"])
        user_ids = body.integers("userIds")
        if user_ids is None:
            raise bad_request("userIds must be an array of integer ids")
        known = self.store.get_users(user_ids)
        for user_id in user_ids:
            if user_id not in known:
                raise listed_user_not_found(user_id)
        return list(dict.fromkeys(user_ids))
