"""Damstra Learning's Public REST API v2: one method per endpoint, dicts in and out.

Every write is a POST (there is no PUT and no DELETE); lists are offset-paged with
`startIndex`/`maxResults` (`paging.offset_pages`).

A POST is re-sent after a lost answer only where repeating it cannot make a second object
(`idempotent=True`, each with the vendor's reason). Creates are not: their callers look the object
up by its key first (`find_user`, `find_group`, `safe_writes.create_once`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from requests.auth import AuthBase

from lmsform.errors import ProviderError
from lmsform.providers.http import HeaderAuth, HttpClient
from lmsform.providers.paging import offset_pages

PAGE_SIZE = 100  # the largest page the vendor's document uses; the server may clamp it
LESSON_STATES = "active,inactive,never,rendering,error"
# What every user, and every group, in a list or a create's answer must hold.
USER_FIELDS = ("id", "userName")
GROUP_FIELDS = ("id", "name")
SESSION_FIELDS = ("id", "startDatetime", "endDatetime")


def access_key_auth(key: str) -> AuthBase:
    """Damstra authenticates every call with an `AccessKey` header holding the bare key."""
    return HeaderAuth("AccessKey", key)


class DamstraClient:
    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def _post(
        self,
        path: str,
        body: Any = None,
        *,
        kind: str,
        key: str,
        idempotent: bool = False,
        fields: Sequence[str] | None = None,
        item_fields: Sequence[str] | None = None,
    ) -> Any:
        return self.http.json(
            "POST",
            path,
            json_body=body if body is not None else {},
            kind=kind,
            key=key,
            idempotent=idempotent,
            fields=fields,
            item_fields=item_fields,
        )

    # Users

    def list_users(self) -> Iterator[dict[str, Any]]:
        # Without activeValue=all, inactive users look missing and would be created again.
        return offset_pages(
            self.http,
            "/user",
            params={"activeValue": "all"},
            size=PAGE_SIZE,
            kind="users",
            item_fields=USER_FIELDS,
        )

    def find_user(self, user_name: str) -> dict[str, Any] | None:
        """The user (any status) of this user name, ignoring case, as Damstra keeps user names unique.

        `q` is the only user-name search, a substring one over user, first and last names: one page
        unless more than a page of users contain the name.
        """
        wanted = user_name.lower()
        params = {"q": user_name, "activeValue": "all"}
        users = offset_pages(
            self.http, "/user", params=params, size=PAGE_SIZE, kind="users", item_fields=USER_FIELDS
        )
        for item in users:
            if str(item.get("userName", "")).lower() == wanted:
                return item
        return None

    def create_user(self, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # Damstra answers a user create with the id and dates only (damstra.md Users).
        created: dict[str, Any] = self._post("/user", dict(body), kind="users", key=key, fields=("id",))
        return created

    def update_user(self, user_id: int, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # Idempotent: the body is the whole user, so a repeat sets the same values (its own user name
        # is no conflict).
        updated: dict[str, Any] = self._post(
            f"/user/{user_id}", dict(body), kind="users", key=key, idempotent=True
        )
        return updated

    def bulk_import(self, users: Sequence[Mapping[str, Any]], *, key: str) -> list[dict[str, Any]]:
        body = {"mergeType": "none", "users": [dict(user) for user in users]}
        created: list[dict[str, Any]] = self._post(
            "/bulkUserImport", body, kind="users", key=key, item_fields=USER_FIELDS
        )
        return created

    def merge_users(self, users: Sequence[Mapping[str, Any]], *, key: str) -> list[dict[str, Any]]:
        """Update many users in one import that merges on `userName` (damstra.md B1; the vendor's prose
        lists `userName` among the merge types, its schema's enum does not). An item whose user name nobody
        has is created instead, so callers check the ids answered.

        Idempotent: each item sets the values sent on the user of that name, and a repeat sets the
        same values again (an item created by the first call is merged into by the repeat).
        """
        body = {"mergeType": "userName", "users": [dict(user) for user in users]}
        merged: list[dict[str, Any]] = self._post(
            "/bulkUserImport", body, kind="users", key=key, idempotent=True
        )
        return merged

    # Activating or inactivating sets a status: a repeat answers 200 and changes nothing (U18).

    def activate_user(self, user_id: int, *, key: str) -> None:
        self._post(f"/user/{user_id}/activate", kind="users", key=key, idempotent=True)

    def inactivate_user(self, user_id: int, *, key: str) -> None:
        self._post(f"/user/{user_id}/inactivate", kind="users", key=key, idempotent=True)

    # Groups, members and supervisors

    def list_groups(self) -> Iterator[dict[str, Any]]:
        return offset_pages(self.http, "/group", size=PAGE_SIZE, kind="groups", item_fields=GROUP_FIELDS)

    def groups_named(self, name: str) -> list[dict[str, Any]]:
        """The active groups of exactly this name. `q` matches a part of the name: one page unless
        more than a page of groups contain it."""
        matching = offset_pages(
            self.http, "/group", params={"q": name}, size=PAGE_SIZE, kind="groups", item_fields=GROUP_FIELDS
        )
        return [item for item in matching if item.get("name") == name]

    def find_group(self, name: str, *, key: str) -> dict[str, Any] | None:
        """The active group of exactly this name. Several of that name (Damstra allows it) is an
        error: which one is meant cannot be known."""
        found = self.groups_named(name)
        if len(found) > 1:
            ids = ", ".join(str(item.get("id")) for item in found)
            raise ProviderError(
                vendor=self.http.vendor,
                message=f"{len(found)} groups have this name ({ids})",
                kind="groups",
                key=key,
            )
        return found[0] if found else None

    def create_group(self, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        created: dict[str, Any] = self._post(
            "/group", dict(body), kind="groups", key=key, fields=GROUP_FIELDS
        )
        return created

    def update_group(self, group_id: int, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # Idempotent: the body is the whole group (name, description, parent); a repeat sets the same.
        updated: dict[str, Any] = self._post(
            f"/group/{group_id}", dict(body), kind="groups", key=key, idempotent=True
        )
        return updated

    def inactivate_group(self, group_id: int, *, key: str) -> None:
        """Re-sent after a lost answer: a repeat finds the group already inactive and answers 404
        (G5), which the caller takes as done."""
        self._post(f"/group/{group_id}/inactivate", kind="groups", key=key, idempotent=True)

    def change_group_users(
        self, group_id: int, action: str, user_ids: Sequence[int], *, kind: str, key: str
    ) -> None:
        """`action`: add_members, remove_members, add_supervisors or remove_supervisors.

        Idempotent: these calls change sets, and adding a member (or supervisor) already there, or
        removing one who is not, is a no-op 200 (G9), so a repeat after a lost answer is safe.
        """
        path = f"/group/{group_id}/{action}"
        self._post(path, {"userIds": list(user_ids)}, kind=kind, key=key, idempotent=True)

    # Lessons (read-only) and lesson schedules

    def list_lessons(self) -> Iterator[dict[str, Any]]:
        params = {"publishedStates": LESSON_STATES}
        return offset_pages(
            self.http,
            "/lesson",
            params=params,
            size=PAGE_SIZE,
            kind="lessons",
            item_fields=("lessonId", "lessonVersionId", "name"),
        )

    def list_schedules(self, user_id: int) -> Iterator[dict[str, Any]]:
        path = f"/user/{user_id}/lesson_schedule"
        return offset_pages(
            self.http,
            path,
            params={"status": "all"},
            size=PAGE_SIZE,
            kind="enrollments",
            item_fields=("id", "lessonId"),
        )

    def schedule(self, user_id: int, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # Safe to re-send after a lost answer: Damstra refuses a schedule for a lesson the user already
        # has open with 409 "Lesson Schedule already exists" (documented, E409; S4), so a repeat
        # cannot make a second one, and the caller then schedules only what is missing.
        path = f"/user/{user_id}/lesson_schedule"
        created: dict[str, Any] = self.http.json(
            "POST", path, json_body=dict(body), kind="enrollments", key=key, idempotent=True
        )
        return created

    # Instructor-led sessions (damstra.md Sessions)

    def list_sessions(self) -> Iterator[dict[str, Any]]:
        return offset_pages(
            self.http, "/ilt_session", size=PAGE_SIZE, kind="sessions", item_fields=SESSION_FIELDS
        )

    def list_attendees(self, session_id: int) -> Iterator[dict[str, Any]]:
        # Documented with `meta` and no paging parameters (damstra.md P5): paged like every list anyway.
        path = f"/ilt_session/{session_id}/attendees"
        return offset_pages(self.http, path, size=PAGE_SIZE, kind="sessions", item_fields=("id", "userId"))

    def create_session(self, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        created: dict[str, Any] = self._post(
            "/ilt_session", dict(body), kind="sessions", key=key, fields=("id",)
        )
        return created

    def update_session(self, session_id: int, body: Mapping[str, Any], *, key: str) -> None:
        # Idempotent: the body sets the same values again.
        self.http.json(
            "PATCH",
            f"/ilt_session/{session_id}",
            json_body=dict(body),
            kind="sessions",
            key=key,
            idempotent=True,
        )

    def cancel_session(self, session_id: int, body: Mapping[str, Any], *, key: str) -> None:
        """Re-sent after a lost answer: cancelling a cancelled session changes nothing (damstra.md I16)."""
        path = f"/ilt_session/{session_id}/cancel_session"
        self._post(path, dict(body), kind="sessions", key=key, idempotent=True)

    def change_attendees(self, session_id: int, action: str, user_ids: Sequence[int], *, key: str) -> None:
        """`action`: bulk_register or bulk_deregister. Idempotent: registering a registered user, or
        deregistering one who is not, changes nothing (damstra.md I9, I10)."""
        path = f"/ilt_session/{session_id}/{action}"
        self._post(path, {"userIds": list(user_ids)}, kind="sessions", key=key, idempotent=True)
