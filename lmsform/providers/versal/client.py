"""Versal's Partner API: one method per endpoint lmsform uses, dicts in and out.

Authentication is a `SID` header holding the organisation's API key. Lists are numbered pages
(`page`, `perPage`) whose position comes back in headers: one `X-Pagination` JSON object (the API
description's prose) or four separate `count`, `page`, `pageCount`, `perPage` headers (the Swagger
responses); either is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from requests import PreparedRequest
from requests.auth import AuthBase

from lmsform.errors import ProviderError
from lmsform.providers.answers import item_fields_missing
from lmsform.providers.http import HttpClient

# Versal reads more pages than this only if the list is enormous or the paging headers lie.
_MAX_PAGES = 100_000
_Page = tuple[list[dict[str, Any]], "PageInfo | None", requests.Response]
# A thread pool's `map`: calls a function on each page number, concurrently, and yields the results in order.
SpreadPages = Callable[[Callable[[int], _Page], Iterable[int]], Iterator[_Page]]


class SidAuth(AuthBase):
    """Versal authenticates every call with a `SID` header: an API key or a session id."""

    def __init__(self, sid: str) -> None:
        self._sid = sid

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["SID"] = self._sid
        return request


@dataclass(frozen=True)
class PageInfo:
    page: int | None
    page_count: int | None
    next_page: int | None
    per_page: int | None
    items: int | None = None  # `count`: how many items the whole list holds

    def is_last(self) -> bool:
        """The reference's rule: done when there is no next page, or this page is the last counted."""
        if self.next_page is None:
            return True
        return self.page is not None and self.page_count is not None and self.page >= self.page_count


def page_info(headers: Mapping[str, str]) -> PageInfo | None:
    """Where a page sits in its list, from either header form; None when the answer has neither."""
    combined = headers.get("X-Pagination")
    if combined:
        try:
            data = json.loads(combined)
        except ValueError:
            data = None
        if isinstance(data, dict):
            page, count = _int(data.get("page")), _int(data.get("pageCount"))
            following, per_page = _int(data.get("nextPage")), _int(data.get("perPage"))
            return PageInfo(page, count, following, per_page, _int(data.get("count")))
    page, count = _int(headers.get("page")), _int(headers.get("pageCount"))
    if page is None and count is None:
        return None
    following = page + 1 if page is not None and count is not None and page < count else None
    return PageInfo(page, count, following, _int(headers.get("perPage")), _int(headers.get("count")))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


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
        spread: SpreadPages | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a numbered list, page by page, until the headers say it was the last.

        Every item must be an object holding `item_fields`. `single`: the spec declares one object
        for this list, so an object is taken as a page of one. With `spread` (a thread pool's `map`),
        the pages after the first are read at once when the first page's headers count them: the
        same requests, without waiting for each in turn. Pages that hold more or fewer items than
        the latest `count` their headers gave are an error, however the pages were read.
        """
        read = 0
        counted: int | None = None
        last: requests.Response | None = None
        for items, info, response in self._answers(path, params, kind, item_fields, single, spread):
            read += len(items)
            counted = info.items if info is not None and info.items is not None else counted
            last = response
            yield from items
        if last is not None and counted is not None and read != counted:
            raise self._malformed(
                last,
                kind,
                f"`count` is {counted}, but the pages held {read} item(s) (the list changed while it "
                "was read, or the count is wrong): run again",
            )

    def _answers(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        kind: str,
        item_fields: Sequence[str],
        single: bool,
        spread: SpreadPages | None,
    ) -> Iterator[_Page]:
        """Each page of a numbered list in turn, until the headers say it was the last."""
        page = 1
        for _ in range(_MAX_PAGES):
            items, info, response = self._page(path, page, params, kind, item_fields, single)
            yield items, info, response
            if not items or (info is None and len(items) < self.page_size):
                return
            if info is not None and info.is_last():
                return
            following = info.next_page if info is not None and info.next_page is not None else page + 1
            if following <= page:
                raise self._malformed(
                    response,
                    kind,
                    f"pagination loops, the next page ({following}) is not after page {page}",
                )
            counted = info.page_count if info is not None else None
            if spread is not None and (page, following) == (1, 2) and counted and counted <= _MAX_PAGES:
                pages = spread(
                    lambda number: self._page(path, number, params, kind, item_fields, single),
                    range(2, counted + 1),
                )
                yield from pages
                return
            page = following
        raise ProviderError(
            vendor="versal",
            message="malformed list response: pagination does not end",
            method="GET",
            path=path,
            kind=kind,
        )

    def _page(
        self,
        path: str,
        page: int,
        params: Mapping[str, Any] | None,
        kind: str,
        item_fields: Sequence[str],
        single: bool,
    ) -> _Page:
        query = {**(params or {}), "page": page, "perPage": self.page_size}
        response = self.http.request("GET", path, params=query, kind=kind)
        body = self.http.decode(response, kind=kind)
        items = [body] if single and isinstance(body, dict) else body
        problem = item_fields_missing(items, item_fields)
        if problem is not None:
            raise self._malformed(response, kind, problem)
        return items, page_info(response.headers), response

    def _malformed(self, response: requests.Response, kind: str, what: str) -> ProviderError:
        return self.http.malformed(f"malformed list response: {what}", response, kind=kind)

    # Organisation users

    def members(self, *, spread: SpreadPages | None = None) -> Iterator[dict[str, Any]]:
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
        # exists in organization", reference §5 #6), so the caller looks the member up first.
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
        # users gone (404, all or nothing, reference §5 #11), which the caller handles.
        body = {"users": ",".join(user_ids)}
        path = f"/orgs/{self.organisation}/delete_users"
        self.http.request("POST", path, json_body=body, kind="users", key=key, idempotent=True)

    # Courses and who takes or edits them

    def courses(self) -> Iterator[dict[str, Any]]:
        return self._pages("/courses", kind="org_courses", item_fields=("id",))

    def tracked_learners(self, course_id: str) -> Iterator[dict[str, Any]]:
        # The spec declares one object here, though the list is paged: either is read (reference §5 #3).
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
