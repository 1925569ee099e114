"""Versal's Partner API: one method per endpoint lmsform uses, dicts in and out.

Authentication is a `SID` header holding the organisation's API key. Lists are numbered pages
(`page`, `perPage`) whose position comes back in headers: one `X-Pagination` JSON object (the API
description's prose) or four separate `count`, `page`, `pageCount`, `perPage` headers (the Swagger
responses); either is read (`paging.page_info`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from requests.auth import AuthBase

from lmsform.providers.http import HeaderAuth, HttpClient
from lmsform.providers.paging import NumberedPage, Spread, checked_items, header_numbered_pages


def sid_auth(sid: str) -> AuthBase:
    """Versal authenticates every call with a `SID` header: an API key or a session id."""
    return HeaderAuth("SID", sid)


class VersalClient:
    def __init__(self, http: HttpClient, organisation: int, *, page_size: int) -> None:
        self.http = http
        self.organisation = organisation
        self.page_size = page_size

    def _pages(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        kind: str,
        item_fields: Sequence[str],
        single: bool = False,
        spread: Spread | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a numbered list (`paging.header_numbered_pages`). Every item must be an
        object holding `item_fields`. `single`: the spec declares one object for this list, so an
        object is taken as a page of one. `spread` reads the pages after the first at once (the same
        requests, without waiting for each in turn)."""

        def page(number: int) -> NumberedPage:
            return self._page(path, number, params, kind, item_fields, single)

        return header_numbered_pages(
            self.http, page, path=path, page_size=self.page_size, kind=kind, spread=spread
        )

    def _page(
        self,
        path: str,
        page: int,
        params: Mapping[str, Any] | None,
        kind: str,
        item_fields: Sequence[str],
        single: bool,
    ) -> NumberedPage:
        query = {**(params or {}), "page": page, "perPage": self.page_size}
        response = self.http.request("GET", path, params=query, kind=kind)
        body = self.http.decode(response, kind=kind)
        items = [body] if single and isinstance(body, dict) else body
        return checked_items(self.http, items, item_fields, response, kind), response

    # Organisation users

    def members(self, *, spread: Spread | None = None) -> Iterator[dict[str, Any]]:
        return self._pages(
            f"/orgs/{self.organisation}/members",
            kind="users",
            item_fields=("user.id", "user.email"),
            spread=spread,
        )

    def find_member(self, email: str) -> dict[str, Any] | None:
        """The member of this e-mail address (ignoring case), or None. The API has no look-up by
        e-mail (`POST /sessions` takes one, but makes a session), so this pages through the members,
        stopping at the first match: at most ⌈members / page size⌉ requests."""
        wanted = email.lower()
        for item in self.members():
            user = item.get("user") if isinstance(item, dict) else None
            if isinstance(user, dict) and str(user.get("email", "")).lower() == wanted:
                return item
        return None

    def add_user(self, roles: Sequence[str], user: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # Not idempotent: a repeat for an address already a member is refused (400 "User already
        # exists in organization", versal.md D6), so the caller looks the member up first.
        body = {"roles": list(roles), "user": dict(user)}
        path = f"/orgs/{self.organisation}/users"
        created: dict[str, Any] = self.http.json(
            "POST", path, json_body=body, kind="users", key=key, fields=("user.id",)
        )
        return created

    def update_profile(self, user_id: str, profile: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.json(
            "PUT", f"/users/{user_id}", json_body=dict(profile), kind="users", key=key, fields=()
        )
        return updated

    def set_org_roles(self, user_id: str, roles: Sequence[str], *, key: str) -> None:
        path = f"/orgs/{self.organisation}/users/{user_id}"
        self.http.request("PUT", path, json_body={"roles": list(roles)}, kind="users", key=key)

    def remove_user(self, user_id: str, *, key: str) -> None:
        self.http.request("DELETE", f"/orgs/{self.organisation}/users/{user_id}", kind="users", key=key)

    def remove_users(self, user_ids: Sequence[str], *, key: str) -> None:
        # The Swagger spec types `users` as a string ("List of user IDs"): comma-separated ids.
        # Re-sent after a lost answer: removing cannot make anything twice, and a repeat finds the
        # users gone (404, all or nothing, versal.md D11), which the caller handles.
        body = {"users": ",".join(user_ids)}
        path = f"/orgs/{self.organisation}/delete_users"
        self.http.request("POST", path, json_body=body, kind="users", key=key, idempotent=True)

    # Courses and who takes or edits them

    def courses(self) -> Iterator[dict[str, Any]]:
        return self._pages("/courses", kind="org_courses", item_fields=("id",))

    def tracked_learners(self, course_id: str) -> Iterator[dict[str, Any]]:
        # The spec declares one object here, though the list is paged: either is read (versal.md D3).
        return self._pages(
            f"/courses/{course_id}/userdata", kind="enrollments", item_fields=("id",), single=True
        )

    def set_course_user(
        self, course_id: str, user_id: str, *, tracked: bool | None, roles: Sequence[str] | None, key: str
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if tracked is not None:
            body["tracked"] = tracked
        if roles is not None:
            body["roles"] = list(roles)
        answer: dict[str, Any] = self.http.json(
            "PATCH",
            f"/courses/{course_id}/users/{user_id}",
            json_body=body,
            kind="enrollments",
            key=key,
            fields=(),
        )
        return answer
