"""`POST /bulkUserImport`: create or merge many users in one all-or-nothing call (damstra.md Import).

* `users` (required, an array of user objects with the create fields, B7) and `mergeType`: `none`
  (default), `email`, `empNo` or `userName` (B1; anything else → 400).
* Every item is type-checked before anything is written; then items are applied in order, each seeing
  the ones before it (decision: so two items with the same `userName` under `mergeType: none` collide
  with 409, and under `userName` the second merges into the first). Any failure rolls the whole request
  back (B6) and answers one error whose `message` starts with `users[<index>]:`.
* Matching (B2) looks at users of any status: `email` ignores case, `empNo` is exact (an item without a
  non-empty `employeeNumber` matches nobody), `userName` ignores case (an item without one matches
  nobody). No match → create (with a welcome e-mail unless `sendWelcomeEmail` is false); one match →
  update the fields sent, replace `groups`/`groupsSupervised` when sent, and set `roles` to [6] when
  omitted (B3); more than one → 409 Ambiguous merge. A merge never re-activates a user (B10).
* More users than `bulk_import_limit` → 400 (B9). An empty `users` array answers `[]`.
* The answer is the resulting User objects in input order, as they are after the whole import (B8).
"""

from __future__ import annotations

from typing import Any

import flask

from lmsform.providers.damstra.emulator.context import ApiArea, Operation, Routes
from lmsform.providers.damstra.emulator.errors import ApiError, ambiguous_merge, bad_request
from lmsform.providers.damstra.emulator.requests_in import Body, request_body
from lmsform.providers.damstra.emulator.shapes import users_json
from lmsform.providers.damstra.emulator.user_store import (
    ACTIVE_STATUS,
    INACTIVE_STATUS,
    UserFilter,
    UserRecord,
)
from lmsform.providers.damstra.emulator.user_writes import (
    UserInput,
    change_user,
    create_user,
    read_user_input,
)
from lmsform.providers.emulation.flask_kit import json_response

MERGE_TYPES = ("none", "email", "empNo", "userName")
_ANY_STATUS = (ACTIVE_STATUS, INACTIVE_STATUS)


def _for_item(error: ApiError, index: int) -> ApiError:
    """The same error, its message saying which item failed."""
    body = dict(error.body)
    body["message"] = f"users[{index}]: {body.get('message', body.get('error', 'rejected'))}"
    return ApiError(error.status, body)


class BulkImportApi(ApiArea):
    def routes(self) -> Routes:
        return (("/bulkUserImport", {"POST": Operation(self.bulk_import)}),)

    def bulk_import(self) -> flask.Response:
        body = Body(request_body())
        body.require(["users"])
        merge_type = body.text("mergeType", nullable=True) or "none"
        if merge_type not in MERGE_TYPES:
            raise bad_request(f"mergeType must be one of {', '.join(MERGE_TYPES)}")
        items = self._items(body.raw("users"))
        inputs = [self._read(item, index) for index, item in enumerate(items)]
        users = [self._apply(merge_type, given, index) for index, given in enumerate(inputs)]
        final = [self.store.require_user(user.id) for user in users]
        return json_response(users_json(self.store, final))

    def _items(self, items: Any) -> list[dict[str, Any]]:
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise bad_request("users must be an array of user objects")
        limit = self.options.bulk_import_limit
        if limit is not None and len(items) > limit:
            raise bad_request(f"At most {limit} users per import; this one has {len(items)}")
        return items

    @staticmethod
    def _read(item: dict[str, Any], index: int) -> UserInput:
        try:
            return read_user_input(Body(item))
        except ApiError as error:
            raise _for_item(error, index) from None

    def _apply(self, merge_type: str, given: UserInput, index: int) -> UserRecord:
        try:
            target = self._merge_target(merge_type, given)
            if target is None:
                return create_user(self.store, given)
            return change_user(self.store, target, given, reset_absent_roles=True)
        except ApiError as error:
            raise _for_item(error, index) from None

    def _merge_target(self, merge_type: str, given: UserInput) -> UserRecord | None:
        if merge_type == "userName":
            user_name = given.text.get("user_name")
            return None if user_name is None else self.store.user_by_user_name(user_name)
        if merge_type == "email" and "email_address" in given.text:
            return self._single(UserFilter(email_address=given.text["email_address"], status_ids=_ANY_STATUS))
        if merge_type == "empNo" and given.text.get("employee_number"):
            return self._single(
                UserFilter(employee_number=given.text["employee_number"], status_ids=_ANY_STATUS)
            )
        return None

    def _single(self, user_filter: UserFilter) -> UserRecord | None:
        matches = self.store.users_matching(user_filter)
        if len(matches) > 1:
            key = user_filter.email_address or user_filter.employee_number
            raise ambiguous_merge(
                f"{len(matches)} users match {key!r}: {', '.join(str(user.id) for user in matches)}"
            )
        return matches[0] if matches else None
