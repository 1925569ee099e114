"""Org membership (all API key only): add, remove, batch-remove, set org roles, list members.

* `POST /orgs/{orgId}/users` → 201 `Org_User_View_Model`. `roles` (array) and `user.email` are required
  (the seed's marks, versal.md Models); `member` means no role. Duplicates follow versal.md D6 (see
  `user_rules`). An unknown org answers 403: the operation declares no 404 (versal.md Auth).
* `DELETE /orgs/{orgId}/users/{userId}` → 200 `{}`, with the cascade of `user_rules.remove_members`;
  a user that is not a member → 404 "Org or User not found".
* `POST /orgs/{orgId}/delete_users` → 200 `{}`. `users` may be an array of digit strings or integers,
  a string holding a JSON array, or a comma-separated string (versal.md D11); empty or unparseable → 400.
  All or nothing: any id that is not a member → 404 and nothing is removed. Duplicates are fine.
* `PUT /orgs/{orgId}/users/{userId}` → 201 `Org_User_View_Model`; `roles` replaces the set, `[]`
  leaves a role-less member, `member` → 400 "Invalid role: member" (versal.md D1).
* `GET /orgs/{orgId}/members` → 200, a page of `Org_Member_View_Model` by user id.
"""

from __future__ import annotations

import json
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import json_response
from lmsform.providers.versal.emulator.access import caller_org
from lmsform.providers.versal.emulator.auth import Caller
from lmsform.providers.versal.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.versal.emulator.errors import bad_request, not_found
from lmsform.providers.versal.emulator.requests_in import Body, id_value, json_body, path_integer
from lmsform.providers.versal.emulator.shapes import org_member_view, org_user_view
from lmsform.providers.versal.emulator.user_rules import (
    ORG_INPUT_ROLES,
    add_org_user,
    read_profile,
    remove_members,
)
from lmsform.providers.versal.emulator.user_store import ORG_ROLES


def parse_user_ids(value: Any) -> list[int]:
    """`Batch_Delete_Members_Input_Model.users` in any of its accepted forms, deduplicated in order."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise bad_request("users is not a JSON array") from None
        else:
            value = [item.strip() for item in text.split(",")] if text else []
    if not isinstance(value, list) or not value:
        raise bad_request("users must list at least one user id")
    ids = [id_value(item) for item in value]
    if any(user_id is None for user_id in ids):
        raise bad_request("users must hold numeric user ids")
    return list(dict.fromkeys(user_id for user_id in ids if user_id is not None))


class OrgUserApi(ApiArea):
    def routes(self) -> Routes:
        return (
            ("/orgs/<org_ref>/users", {"POST": Operation(self.add_user, "key")}),
            (
                "/orgs/<org_ref>/users/<user_ref>",
                {"DELETE": Operation(self.remove_user, "key"), "PUT": Operation(self.set_roles, "key")},
            ),
            ("/orgs/<org_ref>/delete_users", {"POST": Operation(self.remove_users, "key")}),
            ("/orgs/<org_ref>/members", {"GET": Operation(self.list_members, "key")}),
        )

    def add_user(self, caller: Caller, org_ref: str) -> flask.Response:
        org_id = caller_org(self.store, caller, org_ref, missing_status=403)
        body = Body(json_body())
        roles = body.roles("roles", ORG_INPUT_ROLES, required=True)
        assert roles is not None
        user = Body(body.object("user", required=True) or {}, where="user.")
        member = add_org_user(self.store, org_id, user.email("email"), read_profile(user), roles)
        return json_response(org_user_view(member), 201)

    def remove_user(self, caller: Caller, org_ref: str, user_ref: str) -> flask.Response:
        user_id = path_integer(user_ref)
        org_id = caller_org(self.store, caller, org_ref)
        if not self.store.is_member(org_id, user_id):
            raise not_found("Org or User not found")
        remove_members(self.store, org_id, [user_id])
        return json_response({})

    def remove_users(self, caller: Caller, org_ref: str) -> flask.Response:
        org_id = caller_org(self.store, caller, org_ref)
        body = Body(json_body())
        if not body.has("users"):
            raise bad_request("users is required")
        user_ids = parse_user_ids(body.raw("users"))
        if self.store.non_members(org_id, user_ids):
            raise not_found("Org or User not found")
        remove_members(self.store, org_id, user_ids)
        return json_response({})

    def set_roles(self, caller: Caller, org_ref: str, user_ref: str) -> flask.Response:
        user_id = path_integer(user_ref)
        org_id = caller_org(self.store, caller, org_ref)
        if not self.store.is_member(org_id, user_id):
            raise not_found("Org or User not found")
        roles = Body(json_body()).roles("roles", ORG_ROLES, required=True)
        assert roles is not None
        member = self.store.set_member_roles(org_id, user_id, roles)
        return json_response(org_user_view(member), 201)

    def list_members(self, caller: Caller, org_ref: str) -> flask.Response:
        org_id = caller_org(self.store, caller, org_ref)
        page = self.page()
        members = self.store.members_page(org_id, page.per_page, page.offset)
        return self.paged(
            [org_member_view(member) for member in members], page, self.store.count_members(org_id)
        )
