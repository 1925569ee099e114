"""Student-manager access: a per-domain role, granted or replaced by PUT, revoked by DELETE, never read.

There is no GET (skilljar.md Managers, D24); the records show only in the `/_emulator/state` dump.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flask

from lmsform.providers.emulation.flask_kit import empty_response, json_response
from lmsform.providers.skilljar.emulator.context import ApiArea, Routes
from lmsform.providers.skilljar.emulator.errors import field_error, not_found
from lmsform.providers.skilljar.emulator.lookups import referenced_member, require_domain
from lmsform.providers.skilljar.emulator.manager_store import ManagerAccessRecord
from lmsform.providers.skilljar.emulator.people_store import UserRecord
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    boolean,
    list_of,
    request_body,
    text,
    validate_object,
)
from lmsform.providers.skilljar.emulator.shapes import read_only_user_json

_IDS = list_of(text(allow_blank=False))
MANAGER_ACCESS_PUT: Schema = {
    "group_name": Field(text(allow_blank=False), required=True),
    "can_create_users": Field(boolean()),
    # The spec does not enumerate the levels, so any non-empty text is taken and echoed.
    "course_access_level": Field(text(allow_blank=False), required=True),
    "course_ids": Field(_IDS),
    "path_access_level": Field(text(allow_blank=False), required=True),
    "path_ids": Field(_IDS),
    "license_ids": Field(_IDS),
}


def _split(ids: Sequence[str], exists: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """The known ids and the unknown ones, each in the order given."""
    known = [item for item in ids if exists(item)]
    return known, [item for item in ids if item not in known]


def _no_licenses(_: str) -> bool:
    return False  # the emulator has no license packages, so every license id is unknown


def manager_access_json(
    user: UserRecord, access: ManagerAccessRecord, invalid_ids: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "user": read_only_user_json(user),
        "manager_access": {
            "group_id": access.group_id,
            "can_create_users": access.can_create_users,
            "course_access_level": access.course_access_level,
            "course_ids": access.course_ids,
            "path_access_level": access.path_access_level,
            "path_ids": access.path_ids,
            "license_ids": access.license_ids,
        },
        "invalid_ids": invalid_ids,
    }


class ManagerAccessApi(ApiArea):
    def routes(self) -> Routes:
        # The spec gives these two path parameters no pattern, so the user id takes any segment.
        return (
            (
                "/v1/domains/<domain:domain_name>/users/<user_id>/manager-access",
                {"PUT": self.put_manager_access, "DELETE": self.revoke_manager_access},
            ),
        )

    def put_manager_access(self, domain_name: str, user_id: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        clean = validate_object(request_body(), MANAGER_ACCESS_PUT)
        user = referenced_member(self.store, domain.name, user_id)
        group = self.store.find_group_by_name(clean["group_name"])
        if group is None:
            raise field_error("group_name", "No group with this name exists.")
        course_ids, bad_courses = _split(clean.get("course_ids", []), self.store.course_exists)
        path_ids, bad_paths = _split(clean.get("path_ids", []), self.store.path_exists)
        license_ids, bad_licenses = _split(clean.get("license_ids", []), _no_licenses)
        access = self.store.put_manager_access(
            ManagerAccessRecord(
                domain_name=domain.name,
                user_id=user.id,
                group_id=group.id,
                can_create_users=clean.get("can_create_users", False),
                course_access_level=clean["course_access_level"],
                course_ids=course_ids,
                path_access_level=clean["path_access_level"],
                path_ids=path_ids,
                license_ids=license_ids,
            )
        )
        invalid_ids = {"course_ids": bad_courses, "path_ids": bad_paths, "license_ids": bad_licenses}
        return json_response(manager_access_json(user, access, invalid_ids))

    def revoke_manager_access(self, domain_name: str, user_id: str) -> flask.Response:
        domain = require_domain(self.store, domain_name)
        if not self.store.revoke_manager_access(domain.name, user_id):
            raise not_found()
        return empty_response(204)
