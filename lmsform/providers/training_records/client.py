"""The Training Records API: one method per endpoint, dicts in and out.

The document shows the list as `{ [ … ] }`, which is not JSON. What servers send is either a bare
array (the whole list, when no `limit` is given) or a limit/offset envelope
`{"count", "next", "previous", "results"}`; an object holding a single list is read too. With an
envelope, `count` says how many pages there are, so pages after the first are read ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from requests.auth import AuthBase, HTTPBasicAuth

from lmsform.errors import ProviderError
from lmsform.providers.http import HeaderAuth, HttpClient
from lmsform.providers.paging import limit_offset_list
from lmsform.providers.training_records.settings import AuthScheme
from lmsform.providers.vendor_answers import item_fields_missing, shape_of

RECORDS = "/training/record/"
KIND = "enrollments"
RECORD_FIELDS = ("api_id", "person_api_id", "package_api_id")  # what every record must hold
NOT_FOUND = 404


def make_auth(scheme: AuthScheme, username: str, key: str) -> AuthBase:
    """Basic (the API user name and key), or `Authorization: <scheme> <key>` (DRF's `Token`, or `Bearer`)."""
    if scheme == "basic":
        return HTTPBasicAuth(username, key)
    return HeaderAuth("Authorization", f"{'Token' if scheme == 'token' else 'Bearer'} {key}")


def record_path(api_id: str) -> str:
    return f"{RECORDS}{quote(api_id, safe='')}/"


class TrainingRecordsClient:
    def __init__(self, http: HttpClient, *, page_size: int, parallelism: int) -> None:
        self.http = http
        self.page_size = page_size
        self.parallelism = parallelism

    def records(self) -> list[dict[str, Any]]:
        """Every record of the organisation (`paging.limit_offset_list`): a list that does not add up
        is an error, not a list cut short or read forever."""
        return limit_offset_list(
            self._page,
            self._items,
            workers=self.parallelism,
            malformed=self._malformed,
            identity=lambda record: str(record["api_id"]),
            noun="record",
        )

    def _page(self, offset: int) -> Any:
        return self.http.json("GET", RECORDS, params={"limit": self.page_size, "offset": offset}, kind=KIND)

    def _items(self, body: Any, offset: int) -> tuple[list[dict[str, Any]], int | None]:
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
            vendor=self.http.vendor,
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
