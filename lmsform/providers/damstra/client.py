"""Damstra Learning's Public REST API v2: one method per endpoint, dicts in and out.

Every write is a POST (there is no PUT and no DELETE); lists are offset-paged with
`startIndex`/`maxResults`, which the shared HTTP layer walks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from requests import PreparedRequest
from requests.auth import AuthBase

from lmsform.providers.http import HttpClient

PAGE_SIZE = 100  # the largest page the vendor's document uses; the server may clamp it
LESSON_STATES = "active,inactive,never,rendering,error"


class AccessKeyAuth(AuthBase):
    """Damstra authenticates every call with an `AccessKey` header holding the bare key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["AccessKey"] = self._key
        return request


class DamstraClient:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _post(self, path: str, body: Any = None, *, kind: str, key: str) -> Any:
        return self.http.json("POST", path, json_body=body if body is not None else {}, kind=kind, key=key)

    # Users

    def list_users(self) -> Iterator[dict[str, Any]]:
        # Without activeValue=all, inactive users look missing and would be created again.
        return self.http.paginate_offset("/user", params={"activeValue": "all"}, size=PAGE_SIZE, kind="users")

    def create_user(self, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        created: dict[str, Any] = self._post("/user", dict(body), kind="users", key=key)
        return created

    def update_user(self, user_id: int, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self._post(f"/user/{user_id}", dict(body), kind="users", key=key)
        return updated

    def bulk_import(self, users: Sequence[Mapping[str, Any]], *, key: str) -> list[dict[str, Any]]:
        body = {"mergeType": "none", "users": [dict(user) for user in users]}
        created: list[dict[str, Any]] = self._post("/bulkUserImport", body, kind="users", key=key)
        return created

    def activate_user(self, user_id: int, *, key: str) -> None:
        self._post(f"/user/{user_id}/activate", kind="users", key=key)

    def inactivate_user(self, user_id: int, *, key: str) -> None:
        self._post(f"/user/{user_id}/inactivate", kind="users", key=key)

    # Groups, members and supervisors

    def list_groups(self) -> Iterator[dict[str, Any]]:
        return self.http.paginate_offset("/group", size=PAGE_SIZE, kind="groups")

    def create_group(self, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        created: dict[str, Any] = self._post("/group", dict(body), kind="groups", key=key)
        return created

    def update_group(self, group_id: int, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self._post(f"/group/{group_id}", dict(body), kind="groups", key=key)
        return updated

    def inactivate_group(self, group_id: int, *, key: str) -> None:
        self._post(f"/group/{group_id}/inactivate", kind="groups", key=key)

    def change_group_users(
        self, group_id: int, action: str, user_ids: Sequence[int], *, kind: str, key: str
    ) -> None:
        """`action`: add_members, remove_members, add_supervisors or remove_supervisors."""
        self._post(f"/group/{group_id}/{action}", {"userIds": list(user_ids)}, kind=kind, key=key)

    # Lessons (read-only) and lesson schedules

    def list_lessons(self) -> Iterator[dict[str, Any]]:
        params = {"publishedStates": LESSON_STATES}
        return self.http.paginate_offset("/lesson", params=params, size=PAGE_SIZE, kind="lessons")

    def list_schedules(self, user_id: int) -> Iterator[dict[str, Any]]:
        path = f"/user/{user_id}/lesson_schedule"
        return self.http.paginate_offset(path, params={"status": "all"}, size=PAGE_SIZE, kind="enrollments")

    def schedule(self, user_id: int, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # Safe to re-send after a lost answer: a repeat gets 409 and the caller schedules what is missing.
        path = f"/user/{user_id}/lesson_schedule"
        created: dict[str, Any] = self.http.json(
            "POST", path, json_body=dict(body), kind="enrollments", key=key, idempotent=True
        )
        return created
