"""The Training Records API: one method per endpoint, dicts in and out.

The document shows the list as `{ [ … ] }`, which is not JSON. What servers send is either a bare
array (the whole list, when no `limit` is given) or a limit/offset envelope
`{"count", "next", "previous", "results"}`; an object holding a single list is read too. With an
envelope, `count` says how many pages there are, so pages after the first are read in parallel.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import Any
from urllib.parse import quote

from requests import PreparedRequest
from requests.auth import AuthBase, HTTPBasicAuth

from lmsform.errors import ProviderError
from lmsform.providers.answers import item_fields_missing, shape_of
from lmsform.providers.http import HttpClient
from lmsform.providers.training_records.settings import AuthScheme

RECORDS = "/training/record/"
KIND = "enrollments"
RECORD_FIELDS = ("api_id", "person_api_id", "package_api_id")  # what every record must hold
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
        """Every record of the organisation.

        A list that does not add up is an error, not a list cut short or read forever: a page that
        is empty before `count` is reached, a record on two pages (a server ignoring `offset`), or
        pages holding more or fewer records than `count`.
        """
        first = self._page(0)
        items, total = self._items(first, offset=0)
        seen = _Distinct(self._malformed)
        seen.add(items)
        if total is None or len(items) >= total:
            return items
        if not items:
            raise self._malformed(f"the first page is empty, but `count` is {total}")
        # A server may serve fewer than `limit` per page; the first page says how many it does.
        size = len(items)
        for offset, page in self._pages(range(size, total, size)):
            more, _ = self._items(page, offset=offset)
            if not more:
                raise self._malformed(
                    f"`count` is {total}, but the page at offset {offset} is empty "
                    "(records changed while they were read, or the count is wrong: run again)"
                )
            seen.add(more)
            items.extend(more)
        if len(items) != total:
            raise self._malformed(
                f"`count` is {total} but the pages held {len(items)} records "
                "(records changed while they were read: run again)"
            )
        return items

    def _pages(self, offsets: range) -> Iterator[tuple[int, Any]]:
        """The pages at `offsets`, in order, read `parallelism` at a time; no more are asked for than
        are about to be used, so a `count` that lies costs a few requests, not millions."""
        ahead = 2 * self.parallelism
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            waiting: deque[tuple[int, Future[Any]]] = deque()
            upcoming = iter(offsets)
            try:
                for offset in islice(upcoming, ahead):
                    waiting.append((offset, pool.submit(self._page, offset)))
                while waiting:
                    offset, future = waiting.popleft()
                    page = future.result()
                    following = next(upcoming, None)
                    if following is not None:
                        waiting.append((following, pool.submit(self._page, following)))
                    yield offset, page
            finally:
                for _, pending in waiting:
                    pending.cancel()

    def _page(self, offset: int) -> Any:
        return self.http.json("GET", RECORDS, params={"limit": self.page_size, "offset": offset}, kind=KIND)

    def _items(self, body: Any, *, offset: int) -> tuple[list[dict[str, Any]], int | None]:
        """A page's records, and the size of the whole list when the page says it."""
        if isinstance(body, list):
            return _records(body, self._malformed), None
        if not isinstance(body, dict):
            raise self._malformed(f"expected a list of records, got {shape_of(body)}")
        if isinstance(body.get("results"), list):
            count = body.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise self._malformed("the page envelope has no numeric `count`")
            return _records(body["results"], self._malformed), count
        lists = [value for value in body.values() if isinstance(value, list)]
        if len(lists) == 1 and offset == 0:
            return _records(lists[0], self._malformed), None
        raise self._malformed(f"expected a list of records, got {shape_of(body)}")

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
            found: dict[str, Any] = self.http.json(
                "GET", record_path(api_id), kind=KIND, key=key, fields=RECORD_FIELDS
            )
        except ProviderError as error:
            if error.status == NOT_FOUND:
                return None
            raise
        return found

    def create(self, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        # The api_id is chosen by lmsform and unique, so a re-sent create cannot make a second record.
        # The answer must be the record: a 2xx that is not (a proxy's page) is no proof it was made.
        created: dict[str, Any] = self.http.json(
            "POST", RECORDS, json_body=dict(body), kind=KIND, key=key, idempotent=True, fields=RECORD_FIELDS
        )
        return created

    def patch(self, api_id: str, body: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.json(
            "PATCH", record_path(api_id), json_body=dict(body), kind=KIND, key=key, fields=RECORD_FIELDS
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
    problem = item_fields_missing(items, RECORD_FIELDS)
    if problem is not None:
        raise malformed(problem)
    return items


class _Distinct:
    """The api_ids read so far: a record on two pages is an error, not a duplicate."""

    def __init__(self, malformed: Callable[[str], ProviderError]) -> None:
        self._malformed = malformed
        self._ids: set[str] = set()

    def add(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            api_id = str(record["api_id"])
            if api_id in self._ids:
                raise self._malformed(
                    f"pagination loops, record {api_id} is on two pages (the server ignores `offset`, "
                    "or records changed while they were read: run again)"
                )
            self._ids.add(api_id)
