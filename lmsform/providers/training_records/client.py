"""The Training Records API: one method per endpoint, dicts in and out.

The document shows the list as `{ [ … ] }`, which is not JSON. What servers send is either a bare
array (the whole list, when no `limit` is given) or a limit/offset envelope
`{"count", "next", "previous", "results"}`; an object holding a single list is read too. With an
envelope, `count` says how many pages there are, so pages after the first are read in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import requests
from requests import PreparedRequest
from requests.auth import AuthBase, HTTPBasicAuth

from lmsform.errors import ProviderError
from lmsform.providers.http import HttpClient
from lmsform.providers.training_records.settings import AuthScheme

RECORDS = "/training/record/"
KIND = "enrollments"
NOT_FOUND = 404


class HeaderAuth(AuthBase):
    """`Authorization: <scheme> <key>` (DRF's `Token`, or `Bearer`)."""

    def __init__(self, scheme: str, key: str) -> None:
        self._value = f"{scheme} {key}"

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = self._value
        return request


def make_auth(scheme: AuthScheme, username: str, key: str) -> AuthBase:
    if scheme == "basic":
        return HTTPBasicAuth(username, key)
    return HeaderAuth("Token" if scheme == "token" else "Bearer", key)


def record_path(api_id: str) -> str:
    return f"{RECORDS}{quote(api_id, safe='')}/"


class TrainingRecordsClient:
    def __init__(self, http: HttpClient, *, page_size: int, parallelism: int) -> None:
        self.http = http
        self.page_size = page_size
        self.parallelism = parallelism

    def records(self) -> list[dict[str, Any]]:
        """Every record of the organisation."""
        first = self._page(0)
        items, total = self._items(first, offset=0)
        if total is None or len(items) >= total:
            return items
        if not items:
            raise self._malformed(f"the first page is empty, but `count` is {total}")
        # A server may serve fewer than `limit` per page; the first page says how many it does.
        size = len(items)
        offsets = range(size, total, size)
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            pages = list(pool.map(self._page, offsets))
        for offset, page in zip(offsets, pages, strict=True):
            more, _ = self._items(page, offset=offset)
            items.extend(more)
        if len(items) != total:
            raise self._malformed(
                f"`count` is {total} but the pages held {len(items)} records "
                "(records changed while they were read: run again)"
            )
        return items

    def _page(self, offset: int) -> Any:
        return self.http.json("GET", RECORDS, params={"limit": self.page_size, "offset": offset}, kind=KIND)

    def _items(self, body: Any, *, offset: int) -> tuple[list[dict[str, Any]], int | None]:
        """A page's records, and the size of the whole list when the page says it."""
        if isinstance(body, list):
            return _records(body, self._malformed), None
        if not isinstance(body, dict):
            raise self._malformed("expected a JSON array or object")
        if isinstance(body.get("results"), list):
            count = body.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise self._malformed("the page envelope has no numeric `count`")
            return _records(body["results"], self._malformed), count
        lists = [value for value in body.values() if isinstance(value, list)]
        if len(lists) == 1 and offset == 0:
            return _records(lists[0], self._malformed), None
        raise self._malformed("no list of records in the response")

    def _malformed(self, what: str) -> ProviderError:
        return ProviderError(
            vendor="training-records",
            message=f"malformed list response: {what}",
            method="GET",
            path=RECORDS,
            kind=KIND,
        )

    def get(self, api_id: str, *, key: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.http.json("GET", record_path(api_id), kind=KIND, key=key)
        except ProviderError as error:
            if error.status == NOT_FOUND:
                return None
            raise
        return found

    def create(self, body: Mapping[str, Any], *, key: str) -> requests.Response:
        # The api_id is chosen by lmsform and unique, so a re-sent create cannot make a second record.
        return self.http.request("POST", RECORDS, json_body=dict(body), kind=KIND, key=key, idempotent=True)

    def patch(self, api_id: str, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.json(
            "PATCH", record_path(api_id), json_body=dict(body), kind=KIND, key=key
        )
        return updated

    def delete(self, api_id: str, *, key: str) -> bool:
        """Delete a record; False when it was already gone."""
        try:
            self.http.request("DELETE", record_path(api_id), kind=KIND, key=key)
        except ProviderError as error:
            if error.status == NOT_FOUND:
                return False
            raise
        return True


def _records(items: list[Any], malformed: Callable[[str], ProviderError]) -> list[dict[str, Any]]:
    if not all(isinstance(item, dict) for item in items):
        raise malformed("a record is not a JSON object")
    return items
