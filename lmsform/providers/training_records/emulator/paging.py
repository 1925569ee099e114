"""Limit/offset paging as DRF's `LimitOffsetPagination` does it, with no default limit
(training-records.md Paging, D2).

* No `limit` in the query: the whole (searched) list as a bare JSON array. `offset` is then still
  checked but not applied, as DRF ignores it without a limit.
* With `limit`: `{"count", "next", "previous", "results"}`. A `limit` above the cap (100 unless
  configured) is served as the cap, and the links carry the size used.
* `limit` must be an integer of at least 1 (so `limit=0` answers 400 rather than DRF's silent "no
  paging": a client sending it would page forever), `offset` an integer of at least 0; otherwise 400
  with DRF's `IntegerField` messages under the parameter's name, both at once.
* `next` is null on the last page; `previous` is null at offset 0 and drops `offset` when it would be 0.
  Both are absolute URLs of the request's own path and host, keeping every other query parameter
  (`search` …), in DRF's order: parameters sorted by name.
* An offset past the end answers `results: []` with the real `count`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import flask

from lmsform.providers.training_records.emulator.errors import FieldErrors

_INTEGER = re.compile(r"-?[0-9]+")
_NOT_AN_INTEGER = "A valid integer is required."


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int

    def envelope(self, count: int, results: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "count": count,
            "next": self._next_link(count),
            "previous": self._previous_link(),
            "results": results,
        }

    def _next_link(self, count: int) -> str | None:
        if self.offset + self.limit >= count:
            return None
        return _link(limit=self.limit, offset=self.offset + self.limit)

    def _previous_link(self) -> str | None:
        if self.offset <= 0:
            return None
        if self.offset - self.limit <= 0:
            return _link(limit=self.limit, offset=None)
        return _link(limit=self.limit, offset=self.offset - self.limit)


def _link(*, limit: int, offset: int | None) -> str:
    """This request's URL with `limit` and `offset` replaced (`offset` None: removed)."""
    request = flask.request
    params = parse_qs(request.query_string.decode("utf-8", "replace"), keep_blank_values=True)
    params["limit"] = [str(limit)]
    if offset is None:
        params.pop("offset", None)
    else:
        params["offset"] = [str(offset)]
    return f"{request.base_url}?{urlencode(sorted(params.items()), doseq=True)}"


def _integer(name: str, minimum: int, errors: FieldErrors) -> int | None:
    text = flask.request.args.get(name)
    if text is None:
        return None
    if not _INTEGER.fullmatch(text):
        errors.add(name, _NOT_AN_INTEGER)
        return None
    value = int(text)
    if value < minimum:
        errors.add(name, f"Ensure this value is greater than or equal to {minimum}.")
        return None
    return value


def requested_page(cap: int) -> PageRequest | None:
    """The page the query asks for; None when it sends no `limit` (no paging)."""
    errors = FieldErrors()
    limit = _integer("limit", 1, errors)
    offset = _integer("offset", 0, errors)
    errors.raise_any()
    if limit is None:
        return None
    return PageRequest(min(limit, cap), offset or 0)
