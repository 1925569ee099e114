"""Groups: list, read, create, update and inactivate (damstra.md Groups).

* `name` (non-blank) and `description` (may be "") are both required on create and update — the
  reference marks `description` required although the vendor's examples omit it (decision: follow the
  schema; 400 when missing). Names need not be unique (G2).
* `parentId`: absent on create → a root; on update, absent → unchanged (G4). The reference types it
  as a number, with no null in any example: anything else, null included, → 400 A8 (decision, stricter
  than G3/G4, so that a client sending null for a root is caught). So the API cannot make a group
  under another a top-level group. An unknown or inactive parent → 404 E842; a parent that is the
  group itself or one of its descendants → 400 (G3).
* `GET /group` lists active groups whose name contains `q` ignoring case (G1), by id.
* Inactive groups are gone (G5): `GET /group/{id}` → 404 A7, update and inactivate → 404 E842
  (so inactivating twice → 404). There is no way back.
"""

from __future__ import annotations

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes, no_content
from lmsform.providers.damstra.emulator.errors import bad_request, group_lookup_failed, group_not_found
from lmsform.providers.damstra.emulator.group_store import GroupRecord
from lmsform.providers.damstra.emulator.paging import envelope
from lmsform.providers.damstra.emulator.requests_in import Body, query_text, request_body
from lmsform.providers.damstra.emulator.shapes import groups_json, one_group_json
from lmsform.providers.damstra.emulator.store import DamstraStore
from lmsform.providers.emulation.flask_kit import json_response


def require_group(store: DamstraStore, group_id: int) -> GroupRecord:
    group = store.get_group(group_id)
    if group is None:
        raise group_not_found(group_id)
    return group


def _name_and_description(body: Body) -> tuple[str, str]:
    body.require(["name", "description"])
    return body.required_text("name", blank=False), body.required_text("description")


def _parent(store: DamstraStore, body: Body, group_id: int | None) -> int | None:
    parent_id = body.integer("parentId", nullable=False)
    if parent_id is None:
        return None
    require_group(store, parent_id)
    if group_id is not None and (parent_id == group_id or group_id in store.ancestors(parent_id)):
        raise bad_request(f"Group {parent_id} cannot be the parent of group {group_id}: that makes a cycle")
    return parent_id


class GroupApi(ApiArea):
    def routes(self) -> Routes:
        return (
            (
                "/group",
                {
                    "GET": Operation(self.list_groups, terse_auth_error=True),
                    "POST": Operation(self.create_group),
                },
            ),
            (
                "/group/<int:group_id>",
                {
                    "GET": Operation(self.get_group, terse_auth_error=True),
                    "POST": Operation(self.update_group),
                },
            ),
            ("/group/<int:group_id>/inactivate", {"POST": Operation(self.inactivate_group)}),
        )

    def list_groups(self) -> flask.Response:
        window = self.window()
        total, groups = self.store.find_groups(query_text("q"), window.offset, window.limit)
        return json_response(envelope(window, total, groups_json(self.store, groups)))

    def get_group(self, group_id: int) -> flask.Response:
        group = self.store.get_group(group_id)
        if group is None:
            raise group_lookup_failed()
        return json_response(one_group_json(self.store, group))

    def create_group(self) -> flask.Response:
        body = Body(request_body())
        name, description = _name_and_description(body)
        parent_id = _parent(self.store, body, None)
        group = self.store.insert_group(
            self.store.next_id("group"), name, description, parent_id, self.store.now_stored()
        )
        return json_response(one_group_json(self.store, group))

    def update_group(self, group_id: int) -> flask.Response:
        group = require_group(self.store, group_id)
        body = Body(request_body())
        name, description = _name_and_description(body)
        parent_id = _parent(self.store, body, group_id) if body.has("parentId") else group.parent_id
        updated = self.store.update_group(group_id, name, description, parent_id)
        return json_response(one_group_json(self.store, updated))

    def inactivate_group(self, group_id: int) -> flask.Response:
        require_group(self.store, group_id)
        self.store.inactivate_group(group_id)
        return no_content()
